"""The page's state marker, live status line, loading steps and run progress.

Every text the user reads about what is happening goes through here; the
controller (main.py) decides what to say.
"""

from __future__ import annotations

from pyscript import document, window


def by_id(element_id: str):
    """Return the page element with this id (raise if the page lacks it)."""
    element = document.getElementById(element_id)
    if element is None:
        raise LookupError(f"the page has no element #{element_id}")
    return element


def set_state(state: str) -> None:
    """Set `<html data-state>`: loading, ready, training or error.

    Each change is also a performance mark ("data-state:ready"), so a benchmark can
    read when it happened rather than when it noticed.
    """
    document.documentElement.dataset.state = state
    window.performance.mark(f"data-state:{state}")


def set_marker(name: str, value: str) -> None:
    """Set another `<html data-*>` marker, e.g. data-charts="ready" once charts can be drawn."""
    setattr(document.documentElement.dataset, name, value)


def announce(message: str) -> None:
    """Show a message in the aria-live status region."""
    by_id("status").textContent = message


def show_step(step: str, text: str, fraction: float | None = None) -> None:
    """Update a loading step (runtime, packages, data); fraction None means unknown."""
    bar = by_id(f"step-{step}")
    if fraction is None:
        bar.removeAttribute("value")  # indeterminate
    else:
        bar.max = 1
        bar.value = fraction
    by_id(f"step-{step}-text").textContent = text


def show_load_error(message: str) -> None:
    """Put the page in the error state with one readable line (an alert, so it is announced)."""
    message = message.removeprefix("Error: ")  # how JavaScript errors read in Python
    box = by_id("load-error")
    box.textContent = f"Loading failed: {message}. Reload the page to try again."
    box.hidden = False
    for step in ("runtime", "packages", "data"):
        if not by_id(f"step-{step}").hasAttribute("value"):  # still indeterminate: never finished
            show_step(step, "not loaded", 0.0)
    set_state("error")


def show_loading(visible: bool) -> None:
    by_id("loading").hidden = not visible


def show_run_progress(fraction: float, text: str) -> None:
    bar = by_id("run-progress")
    bar.value = max(0.0, min(1.0, fraction))
    by_id("run-text").textContent = text


def show_test_accuracy(accuracy: float | None) -> None:
    """Show the final test accuracy as a percentage, keeping the exact fraction in data-value."""
    element = by_id("test-accuracy")
    if accuracy is None:
        element.textContent = "not measured"
        element.removeAttribute("data-value")
    else:
        element.textContent = f"{accuracy * 100:.1f}%"
        element.dataset.value = repr(float(accuracy))


def bring_run_into_view() -> None:
    """On a phone the charts sit below the form: scroll them into view when a run starts."""
    if window.matchMedia("(max-width: 760px)").matches:
        by_id("run").scrollIntoView()


def set_running(running: bool, move_focus: bool = True) -> None:
    """Lock the form and Train while a run is going; Stop only then.

    Keyboard focus follows: from the form (about to be disabled) to Stop when a
    run starts, and back to Train when Stop goes away under it.
    """
    form, stop, train = by_id("config-form"), by_id("stop-button"), by_id("train-button")
    active = document.activeElement
    had_focus_in_form = active is not None and form.contains(active)
    by_id("config-fields").disabled = running
    stop.disabled = not running
    if running:
        train.disabled = True
    if not move_focus:
        return
    if running and had_focus_in_form:
        stop.focus()
    elif not running and (had_focus_in_form or active is None or active == document.body):
        train.focus()


def format_duration(seconds: float) -> str:
    """Format seconds as m:ss (or h:mm:ss)."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def plural(count: int, noun: str) -> str:
    """Return e.g. "1 epoch" or "3 epochs"."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def clear_epoch_table() -> None:
    """Empty the per-epoch table for a new run."""
    by_id("epoch-table").tBodies[0].replaceChildren()
    by_id("epoch-log").hidden = True


def add_epoch_row(end, test_seconds: float):
    """Append one epoch's figures; the row keeps exact values and timings in data-* attributes.

    All in seconds. data-seconds: compute time of the epoch (training and test);
    data-test-seconds: of the test evaluation alone; data-shown-at: page time
    (performance.now() / 1000) when the row appeared.
    """
    row = document.createElement("tr")
    cells = (str(end.epoch), f"{end.train_loss:.4f}", f"{end.train_accuracy * 100:.1f}%",
             f"{end.test_loss:.4f}", f"{end.test_accuracy * 100:.1f}%", f"{end.seconds:.2f}")
    for index, text in enumerate(cells):
        cell = document.createElement("th" if index == 0 else "td")
        if index == 0:
            cell.scope = "row"
        if index in (1, 3):
            cell.className = "loss"  # hidden on narrow phones: the loss chart shows it
        cell.textContent = text
        row.appendChild(cell)
    row.dataset.seconds = repr(float(end.seconds))
    row.dataset.testSeconds = repr(float(test_seconds))
    row.dataset.testAccuracy = repr(float(end.test_accuracy))
    row.dataset.shownAt = repr(window.performance.now() / 1000)
    by_id("epoch-table").tBodies[0].appendChild(row)
    by_id("epoch-log").hidden = False
    return row


def mark_charted(row) -> None:
    """Record on an epoch's row when the charts showing it were drawn (data-chart-at, s)."""
    row.dataset.chartAt = repr(window.performance.now() / 1000)
