"""The run log table: headers with sort buttons, one row per run, the best run marked.

Everything a run's record holds reaches the page through `textContent`, never
as HTML: names and notes are whatever the user (or an imported file) typed.
The rows' buttons and checkboxes carry `data-action` and `data-run-id`; the
panel listens once on the table body. Text comes from `runlog.summary_row`.
"""

from __future__ import annotations

from pyscript import document

from mnist_sorter.runlog import COLUMNS, summary_row

HEADINGS = {"date": "Date", "name": "Name", "dataset": "Dataset", "layers": "Layers",
            "learning_rate": "Learning rate", "optimizer": "Optimizer", "epochs": "Epochs",
            "test_accuracy": "Test accuracy", "duration": "Duration", "status": "Status"}
ACTIONS = (("use", "Use this config", ""), ("edit", "Edit", " name or note"), ("delete", "Delete", ""))


def _element(tag: str, text: str = "", class_name: str = ""):
    element = document.createElement(tag)
    if text:
        element.textContent = text
    if class_name:
        element.className = class_name
    return element


def run_label(run: dict, utc_offset_minutes: int) -> str:
    """Name a run in a legend or a message: its name, else its date and network."""
    row = summary_row(run, utc_offset_minutes)
    return run["name"] or f"{row['date']} · {row['layers']} · {row['optimizer']}"


def build_header(row) -> dict:
    """Fill the header row; return {column: (th, button)} for the sortable columns."""
    row.replaceChildren()
    row.appendChild(_element("th", "Compare", "select"))
    row.lastChild.scope = "col"
    sortable = {}
    for column in COLUMNS:
        cell = _element("th", class_name=f"column-{column}")
        cell.scope = "col"
        button = _element("button", class_name="sort")
        button.type = "button"
        button.dataset.column = column
        button.appendChild(_element("span", HEADINGS[column]))
        button.appendChild(_element("span", "", "sort-mark"))
        button.lastChild.setAttribute("aria-hidden", "true")
        cell.appendChild(button)
        row.appendChild(cell)
        sortable[column] = (cell, button)
    actions = _element("th", "Actions", "run-actions")
    actions.scope = "col"
    row.appendChild(actions)
    return sortable


def show_sort(sortable: dict, column: str, descending: bool) -> None:
    """Mark the sorted column (aria-sort, and an arrow for the eye)."""
    for name, (cell, button) in sortable.items():
        if name == column:
            cell.setAttribute("aria-sort", "descending" if descending else "ascending")
            button.lastChild.textContent = " ▼" if descending else " ▲"
        else:
            cell.removeAttribute("aria-sort")
            button.lastChild.textContent = ""


def render_rows(body, runs: list[dict], best_id: str | None, selected: set[str],
                utc_offset_minutes: int, busy: bool) -> None:
    """Replace the table body with one row per run, in the order given."""
    rows = [_row(run, run["id"] == best_id, run["id"] in selected, utc_offset_minutes, busy)
            for run in runs]
    body.replaceChildren(*rows)


def _row(run: dict, best: bool, selected: bool, utc_offset_minutes: int, busy: bool):
    summary = summary_row(run, utc_offset_minutes)
    label = run_label(run, utc_offset_minutes)
    row = _element("tr", class_name="best" if best else "")
    row.dataset.runId = run["id"]
    row.dataset.status = run["status"]
    if run["test_accuracy"] is not None:
        row.dataset.testAccuracy = repr(float(run["test_accuracy"]))

    select = _element("td", class_name="select")
    box = document.createElement("input")
    box.type = "checkbox"
    box.checked = selected
    box.dataset.action = "select"
    box.dataset.runId = run["id"]
    box.setAttribute("aria-label", f"Compare {label}")
    select.appendChild(box)
    row.appendChild(select)

    for column in COLUMNS:
        cell = _element("th" if column == "date" else "td", class_name=f"column-{column}")
        cell.dataset.label = HEADINGS[column]
        if column == "date":
            cell.scope = "row"
        if column == "name":
            cell.appendChild(_element("span", run["name"] or "(no name)",
                                      "run-name" if run["name"] else "run-name unnamed"))
            if run["note"]:
                cell.appendChild(_element("span", run["note"], "run-note"))
        elif column == "test_accuracy":
            cell.appendChild(_element("span", summary[column] or "–"))
            if best:
                cell.appendChild(_element("span", "best", "badge"))
        elif column == "status":
            cell.appendChild(_element("span", summary[column], f"status-{run['status']}"))
            if run["message"] and run["status"] != "done":
                cell.appendChild(_element("span", run["message"], "run-note"))
        else:
            cell.textContent = summary[column]
        row.appendChild(cell)

    actions = _element("td", class_name="run-actions")
    for action, text, more in ACTIONS:
        button = _element("button", class_name="small" + (" danger" if action == "delete" else ""))
        button.type = "button"
        button.dataset.action = action
        button.dataset.runId = run["id"]
        button.appendChild(_element("span", text))
        button.appendChild(_element("span", f"{more} ({label})", "visually-hidden"))
        # A running run's tab still writes to it; the form is locked during a run.
        button.disabled = (action == "delete" and run["status"] == "running") or (action == "use" and busy)
        actions.appendChild(button)
    row.appendChild(actions)
    return row
