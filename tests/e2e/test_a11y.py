"""Accessibility: axe-core (npm, pinned) finds no serious or critical violation on the loaded
page, during a run, and with the run log filled and "Inside the network" open; and the
page works by keyboard alone (Tab to Train, Enter, then Enter on Stop).

axe is injected with `page.evaluate` of its source (the DevTools protocol, which the page's
Content-Security-Policy does not govern), so the page keeps its real CSP during the checks.
"""

from __future__ import annotations

import pytest

from e2e_helpers import REPO, wait_for_state

pytestmark = pytest.mark.e2e

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


def axe_problems(page, context: str = "document") -> list[str]:
    """Run axe on the page (WCAG 2.x A/AA and best practices); return serious/critical findings."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    violations = page.evaluate(f"""async () => (await axe.run({context}, {{
        resultTypes: ["violations"],
        runOnly: {{type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
    }})).violations""")
    return [f"{v['impact']}: {v['id']} ({v['help']}) at "
            + "; ".join(node["target"][0] if isinstance(node["target"][0], str) else str(node["target"])
                        for node in v["nodes"][:5])
            for v in violations if v["impact"] in SERIOUS]


pytestmark = [pytestmark, pytest.mark.skipif(not AXE.exists(), reason="node_modules/axe-core is missing: run npm ci")]


def test_no_serious_axe_violation_loaded_training_log_and_inside_views(desktop):
    page = desktop.new_page()
    page.goto(desktop.url)
    wait_for_state(page, "ready")
    page.wait_for_function("document.documentElement.dataset.charts === 'ready'")
    found = {"loaded": axe_problems(page)}

    for label, value in {"Hidden layers": "64", "Epochs": "30", "Seed": "1"}.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Train").click()
    wait_for_state(page, "training")
    page.locator("#run-text", has_text="batch").wait_for()
    found["training"] = axe_problems(page)
    page.get_by_role("button", name="Stop").click()
    wait_for_state(page, "ready")

    page.locator("#run-table tbody tr").first.wait_for()
    page.locator("#inside summary").click()
    page.wait_for_function("""() => document.getElementById("inside-status").textContent
        .includes("test images misread")""", timeout=120_000)
    found["run log and inside views"] = axe_problems(page)
    problems = [f"{state}: {problem}" for state, list_ in found.items() for problem in list_]
    assert problems == [], "\n".join(problems)


def test_keyboard_alone_tab_to_train_enter_then_stop(desktop):
    page = desktop.new_page()
    page.goto(desktop.url + "#hidden=64&epochs=30")
    wait_for_state(page, "ready")
    page.locator("body").focus()
    for presses in range(1, 60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "train-button":
            break
    else:
        pytest.fail("Tab never reached the Train button")
    print(f"\nTrain reached with {presses} Tab presses")
    page.keyboard.press("Enter")
    wait_for_state(page, "training")
    assert page.evaluate("document.activeElement.id") == "stop-button"
    page.keyboard.press("Enter")
    wait_for_state(page, "ready")
    assert "Stopped" in page.locator("#run-text").text_content()
    assert page.evaluate("document.activeElement.id") == "train-button"
    page.wait_for_function("document.documentElement.dataset.charts === 'ready'")
