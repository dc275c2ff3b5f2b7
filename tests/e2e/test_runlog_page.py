"""The run log, walked as a user would: runs kept across reloads and tabs, compared,
reused, named, exported and imported, refused when bad; a closed page, a full
storage, a shared link; the last model downloaded and checked natively.

Runs that only need to exist (not to be trained here) are trained natively on the
site's own bundle and handed to the page as a stored log, which keeps these walks short.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from e2e_helpers import REPO, SITE, SHOTS, fill, open_page, wait_for_charts, wait_for_state

pytestmark = pytest.mark.e2e

LOG_KEY = "mnist-sorter:runs:v1"
XSS = "<img src=x onerror=alert(1)>"
PALETTE = ("#0072b2", "#d55e00", "#009e73")  # mnist_sorter.compare.PALETTE, first three


# ---- helpers ------------------------------------------------------------------------

def train_and_wait(page) -> None:
    page.get_by_role("button", name="Train").click()
    wait_for_state(page, "training")
    wait_for_state(page, "ready", timeout=240_000)


def rows(page):
    return page.locator("#run-table tbody tr")


# The page's Content-Security-Policy forbids the string evaluation behind `wait_for_function`:
# these wait on selectors instead.
def wait_for_rows(page, count: int) -> None:
    page.locator("#run-table tbody tr").nth(count - 1).wait_for(state="attached")


def wait_for_marker(page, name: str, value: str) -> None:
    page.locator(f'html[data-{name}="{value}"]').wait_for(state="attached")


def wait_for_message(page, text: str) -> None:
    page.locator("#log-message", has_text=text).wait_for(state="attached")


def row_texts(page) -> list[dict]:
    """Each row's id, status and cell texts, in table order."""
    return page.evaluate("""() => Array.from(document.querySelectorAll("#run-table tbody tr"), row => ({
        id: row.dataset.runId, status: row.dataset.status, accuracy: row.dataset.testAccuracy,
        cells: Array.from(row.querySelectorAll("th, td"), cell => cell.innerText.trim())}))""")


def log_message(page) -> str:
    return page.locator("#log-message").text_content()


def colour_pixels(page, canvas_id: str, colours) -> list[int]:
    """How many pixels of a canvas are close to each colour (and the share that is not white)."""
    return page.evaluate("""([id, colours]) => {
        const canvas = document.getElementById(id);
        const {data} = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
        const rgb = colours.map(c => [1, 3, 5].map(i => parseInt(c.slice(i, i + 2), 16)));
        const counts = rgb.map(() => 0);
        for (let i = 0; i < data.length; i += 4) {
            rgb.forEach(([r, g, b], k) => {
                if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 40) counts[k]++;
            });
        }
        return counts;
    }""", [canvas_id, list(colours)])


def native_log(configs: list[dict], names=None, started_hour=9) -> str:
    """Train configs natively on the site's bundle; return the run log a page would have stored."""
    from mnist_sorter.bundles import load_bundle
    from mnist_sorter.config import TrainConfig
    from mnist_sorter.runlog import add_epoch, export_log, finish, new_run, relabel
    from mnist_sorter.training import EpochEnd, Finished, train

    runs = []
    for index, values in enumerate(configs):
        config = TrainConfig(**values)
        data = load_bundle(config.dataset, SITE / "data")
        run = new_run(f"native-{index}", f"2026-11-28T{started_hour + index:02d}:15:00.000Z", config,
                      {"name": data.name, "sha256": data.sha256})
        for event in train(config, data):
            if isinstance(event, EpochEnd):
                run = add_epoch(run, event.to_dict())
            elif isinstance(event, Finished):
                run = finish(run, event.status, event.message, event.test_accuracy, run["duration"])
        if names and names[index]:
            run = relabel(run, name=names[index][0], note=names[index][1])
        runs.append(run)
    return export_log(runs)


def stored_log_script(text: str) -> str:
    """An init script that puts a log in localStorage before the page's first visit."""
    return (f"if (localStorage.getItem({json.dumps(LOG_KEY)}) === null) "
            f"localStorage.setItem({json.dumps(LOG_KEY)}, {json.dumps(text)});")


def evaluate_natively(path) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "mnist_sorter", "evaluate", str(path), "--json", "--data-dir", str(SITE / "data")],
        capture_output=True, text=True, timeout=120, cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO / "py")})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def file_payload(name: str, data: bytes | str, mime="application/json") -> dict:
    return {"name": name, "mimeType": mime, "buffer": data.encode() if isinstance(data, str) else data}


# ---- the walks ----------------------------------------------------------------------

def test_runs_kept_across_reload_and_tabs_compared_reused_named_and_model_checked(desktop, tmp_path):
    dialogs = []
    page = open_page(desktop)
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    other_tab = open_page(desktop)
    wait_for_charts(page)
    wait_for_charts(other_tab)
    assert page.get_by_text("No runs yet").is_visible()

    fill(page, {"Hidden layers": "16", "Epochs": "1"})
    train_and_wait(page)
    fill(page, {"Hidden layers": "16", "Epochs": "2", "Seed": "3", "Learning rate": "0.003"})
    train_and_wait(page)
    shown = float(page.get_by_test_id("test-accuracy").get_attribute("data-value"))
    assert rows(page).count() == 2
    # The other tab hears of both runs through the `storage` event, without reloading.
    wait_for_rows(other_tab, 2)
    other_tab.close()

    page.reload()
    wait_for_state(page, "ready")
    wait_for_charts(page)
    table = row_texts(page)
    assert [row["status"] for row in table] == ["done", "done"]
    assert {row["cells"][7] for row in table} == {"1/1", "2/2"}  # epochs column
    wait_for_marker(page, "last-model", "kept")
    assert "kept from your last visit" in page.locator("#model-text").text_content()

    # The best run is marked, in text too; sorting by a column says so (aria-sort).
    best = page.locator("#run-table tbody tr.best")
    assert best.count() == 1 and "best" in best.inner_text()
    assert float(best.get_attribute("data-test-accuracy")) == max(float(row["accuracy"]) for row in table)
    sort = page.get_by_role("button", name="Test accuracy", exact=True)
    sort.click()
    header = page.locator("#run-table thead th", has=page.get_by_role("button", name="Test accuracy", exact=True))
    assert header.get_attribute("aria-sort") == "descending"
    accuracies = [float(row["accuracy"]) for row in row_texts(page)]
    assert accuracies == sorted(accuracies, reverse=True)
    sort.click()
    assert header.get_attribute("aria-sort") == "ascending"
    accuracies = [float(row["accuracy"]) for row in row_texts(page)]
    assert accuracies == sorted(accuracies)

    # Both ticked: their curves overlay in one chart, each in its own colour.
    for box in page.get_by_role("checkbox", name=re.compile("^Compare")).all():
        box.check()
    wait_for_marker(page, "compare", "2")
    first, second = colour_pixels(page, "compare-chart", PALETTE[:2])
    assert first > 50 and second > 50, (first, second)

    # "Use this config" puts the one-epoch run back in the form.
    fill(page, {"Hidden layers": "256", "Epochs": "9", "Seed": "42"})
    one_epoch = rows(page).filter(has_text="1/1")
    one_epoch.get_by_role("button", name="Use this config").click()
    assert page.get_by_label("Hidden layers").input_value() == "16"
    assert page.get_by_label("Epochs").input_value() == "1"
    assert page.get_by_label("Seed").input_value() == "0"
    assert page.get_by_label("Learning rate").input_value() == "0.001"
    assert "settings of" in log_message(page)

    # A name and note, shown as typed: markup in them stays text.
    one_epoch.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog")
    assert dialog.is_visible()
    dialog.get_by_label("Name").fill(XSS)
    dialog.get_by_label("Note").fill("first try: 16 hidden units")
    dialog.get_by_role("button", name="Save").click()
    assert not dialog.is_visible()
    named = rows(page).filter(has_text="1/1")
    assert named.locator(".run-name").text_content() == XSS
    assert named.locator(".run-note").text_content() == "first try: 16 hidden units"
    assert page.locator("#run-log img").count() == 0
    page.locator("#run-log").screenshot(path=str(SHOTS / "log-desktop-trained.png"))

    # The model kept from the last run evaluates natively to the accuracy the page showed.
    with page.expect_download() as download:
        page.get_by_role("button", name="Download model").click()
    model_path = tmp_path / download.value.suggested_filename
    download.value.save_as(model_path)
    assert model_path.suffix == ".npz"
    native = evaluate_natively(model_path)
    print(f"\nmodel: shown {shown:.4f}, evaluated natively {native['test_accuracy']:.4f}")
    assert abs(native["test_accuracy"] - shown) < 1e-9

    # Delete one; "Delete all" asks first, in the page.
    rows(page).filter(has_text="2/2").get_by_role("button", name="Delete").click()
    assert rows(page).count() == 1
    page.get_by_role("button", name="Delete all runs").click()
    confirm = page.get_by_role("dialog")
    assert "Delete all 1 run" in confirm.text_content()
    confirm.get_by_role("button", name="Cancel").click()
    assert rows(page).count() == 1
    page.get_by_role("button", name="Delete all runs").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete all runs").click()
    assert rows(page).count() == 0
    assert page.get_by_text("No runs yet").is_visible()
    page.reload()
    wait_for_state(page, "ready")
    assert rows(page).count() == 0
    wait_for_charts(page)
    assert dialogs == []


def test_export_then_import_into_a_fresh_browser_and_bad_files_refused(desktop, make_context, tmp_path):
    log = native_log([{"hidden_layers": (16,), "epochs": 2, "seed": 1},
                      {"hidden_layers": (32,), "epochs": 3, "seed": 2, "optimizer": "sgd", "learning_rate": 0.1}],
                     names=[("baseline", ""), ("", "")])
    desktop.context.add_init_script(stored_log_script(log))
    page = open_page(desktop)
    before = row_texts(page)
    assert len(before) == 2
    with page.expect_download() as download:
        page.get_by_role("button", name="Export runs").click()
    exported = tmp_path / download.value.suggested_filename
    download.value.save_as(exported)
    assert exported.name.startswith("mnist-sorter-runs-") and exported.suffix == ".json"
    wait_for_charts(page)

    fresh = make_context("")
    page = open_page(fresh)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    assert rows(page).count() == 0
    page.set_input_files("#log-import", str(exported))
    wait_for_rows(page, 2)
    assert row_texts(page) == before
    assert "Imported 2 runs" in log_message(page)
    page.set_input_files("#log-import", str(exported))  # the same again: nothing doubles
    wait_for_message(page, "already here")
    assert rows(page).count() == 2

    # Bad files are refused with the reason, and the log stays as it was.
    envelope = json.loads(exported.read_text())
    scripted = json.loads(exported.read_text())  # markup in every string field of every run
    for run in scripted["runs"]:
        for record in (run, run["dataset"], run["config"]):
            for key, value in record.items():
                if isinstance(value, str):
                    record[key] = XSS
    bad_files = [
        ("schema2.json", json.dumps({**envelope, "schema": 2}), "schema 2"),
        ("huge.json", " " * (2 * 1024 * 1024 + 10), "larger than 2 MB"),
        ("fifty.json", " " * (50 * 1024 * 1024), "larger than 2 MB"),
        ("scripted.json", json.dumps(scripted), "run 1"),
        ("notes.json", "hello, world", "not JSON"),
        ("nan.json", exported.read_text().replace('"duration":', '"duration":NaN,"x":', 1), "NaN"),
    ]
    for name, text, reason in bad_files:
        page.set_input_files("#log-import", files=[file_payload(name, text)])
        wait_for_message(page, name)
        message = log_message(page)
        assert "Nothing imported" in message and reason in message, message
        assert row_texts(page) == before
        assert page.locator("img[src='x']").count() == 0  # markup stays text, nothing runs

    # A run named with markup is imported and shown as the very text.
    hostile = json.loads(native_log([{"hidden_layers": (8,), "epochs": 1}], names=[(XSS, XSS)], started_hour=20))
    hostile["runs"][0]["id"] = "hostile-1"
    page.set_input_files("#log-import", files=[file_payload("hostile.json", json.dumps(hostile))])
    wait_for_rows(page, 3)
    row = rows(page).filter(has=page.locator("[data-run-id='hostile-1']"))
    assert row.locator(".run-name").text_content() == XSS
    assert row.locator(".run-note").text_content() == XSS
    assert page.locator("#run-log img").count() == 0

    # A file that is not a model is refused; a real one replaces the last model.
    page.set_input_files("#model-upload", files=[file_payload("fake.npz", b"PK\x03\x04 not a zip", "application/zip")])
    wait_for_message(page, "fake.npz")
    assert "was not loaded" in log_message(page)
    assert page.get_by_role("button", name="Download model").is_disabled()
    page.set_input_files("#model-upload", str(REPO / "build" / "model" / "default-model.npz"))
    wait_for_marker(page, "last-model", "kept")
    assert re.match(r"784-(\d+-)+10 network", page.locator("#model-text").text_content())
    assert page.get_by_role("button", name="Download model").is_enabled()
    wait_for_charts(page)
    assert dialogs == []


FILL_STORAGE = """() => {
    // Fill this origin's localStorage to the brim with other data.
    let size = 1 << 20, index = 0, total = 0;
    while (size >= 1) {
        try { localStorage.setItem("filler-" + index++, "x".repeat(size)); total += size; }
        catch (error) { size = Math.floor(size / 2); }
    }
    return total;
}"""


def test_damaged_log_kept_aside_closed_page_interrupted_full_storage_still_trains(desktop):
    damaged = '{"app": "mnist-sorter", "schema": 1, "runs": [{"id": "cut-off-he'
    desktop.context.add_init_script(f"""if (!localStorage.getItem("e2e-damaged")) {{
        localStorage.setItem("e2e-damaged", "1");
        localStorage.setItem({json.dumps(LOG_KEY)}, {json.dumps(damaged)});
    }}""")
    page = open_page(desktop)
    assert "damaged" in log_message(page) and "kept aside" in log_message(page)
    assert page.evaluate(f"localStorage.getItem({json.dumps(LOG_KEY + ':corrupt')})") == damaged
    assert rows(page).count() == 0
    wait_for_charts(page)
    fill(page, {"Hidden layers": "16", "Epochs": "40"})
    page.get_by_role("button", name="Train").click()
    rows(page).filter(has_text="1/40").wait_for()  # one epoch finished, and written to the log
    page.close()

    page = open_page(desktop)
    [run] = row_texts(page)
    assert run["status"] == "interrupted"
    done, planned = run["cells"][7].split("/")
    assert int(done) >= 1 and planned == "40"
    assert "interrupted" in log_message(page)
    wait_for_charts(page)

    # Storage full of other data: the page says so and still trains.
    assert page.evaluate(FILL_STORAGE) > 1_000_000
    fill(page, {"Hidden layers": "16", "Epochs": "1"})
    train_and_wait(page)
    assert float(page.get_by_test_id("test-accuracy").get_attribute("data-value")) > 0.5
    quota = page.get_by_role("alert").filter(has_text="not being saved")
    assert quota.is_visible()
    assert rows(page).count() == 2  # still shown, though not saved
    page.get_by_role("button", name="Delete the oldest runs").click()
    assert "saved again" in log_message(page)
    assert not quota.is_visible()
    stored = json.loads(page.evaluate(f"localStorage.getItem({json.dumps(LOG_KEY)})"))
    assert [run["status"] for run in stored["runs"]] == ["done"]


def test_shared_link_with_bad_values_keeps_defaults_and_copy_link_round_trips(desktop):
    page = open_page(desktop, "#hidden=abc&lr=-1&colour=blue&epochs=3")
    status = page.get_by_role("status").first.text_content()
    for part in ("ignored hidden=abc", "ignored lr=-1", "ignored colour=blue"):
        assert part in status, status
    assert page.get_by_label("Hidden layers").input_value() == "128, 64"  # the default
    assert page.get_by_label("Learning rate").input_value() == "0.001"
    assert page.get_by_label("Epochs").input_value() == "3"  # the valid part applies

    fill(page, {"Hidden layers": "32, 16", "Seed": "5"})
    page.get_by_label("Optimizer").select_option("sgd")
    page.get_by_role("button", name="Copy link to these settings").click()
    wait_for_message(page, "#hidden=")
    link = re.search(r"http\S+", log_message(page)).group(0)
    assert "hidden=32,16" in link and "optimizer=sgd" in link and "seed=5" in link
    wait_for_charts(page)

    shared = desktop.new_page()
    shared.goto(link)
    wait_for_state(shared, "ready")
    assert shared.get_by_label("Hidden layers").input_value() == "32, 16"
    assert shared.get_by_label("Optimizer").input_value() == "sgd"
    assert shared.get_by_label("Learning rate").input_value() == "0.1"
    assert shared.get_by_label("Seed").input_value() == "5"
    assert shared.get_by_label("Epochs").input_value() == "3"
    wait_for_charts(shared)


SHOWCASE = [
    {"hidden_layers": (32,), "epochs": 6, "seed": 1, "optimizer": "sgd", "learning_rate": 0.1},
    {"hidden_layers": (64, 32), "epochs": 8, "seed": 2},
    {"hidden_layers": (16,), "epochs": 5, "seed": 3, "optimizer": "momentum", "learning_rate": 0.05},
    {"hidden_layers": (), "epochs": 4, "seed": 4, "optimizer": "sgd", "learning_rate": 0.5},
]
SHOWCASE_NAMES = [("sgd baseline", ""), ("two layers", "adam, default rate; best so far"), ("", ""),
                  ("softmax only", "no hidden layer")]


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_screenshot_of_a_log_with_several_runs_and_a_comparison(viewport, request):
    strict = request.getfixturevalue(viewport)
    strict.context.add_init_script(stored_log_script(native_log(SHOWCASE, SHOWCASE_NAMES)))
    page = open_page(strict)
    wait_for_charts(page)
    assert rows(page).count() == 4
    for name in ("sgd baseline", "two layers", "softmax only"):
        page.get_by_role("checkbox", name=f"Compare {name}").check()
    wait_for_marker(page, "compare", "3")
    counts = colour_pixels(page, "compare-chart", PALETTE)
    assert all(count > 50 for count in counts), counts
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#run-log").screenshot(path=str(SHOTS / f"log-{viewport}.png"))
