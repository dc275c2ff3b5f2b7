"""What the user does to the run log: sort, tick, reuse, name, delete, export, import, share.

Each control reads and changes the log through the panel (runlog_panel.py),
which stores and shows it; the rules are `mnist_sorter.runlog`'s.
"""

from __future__ import annotations

import js
from pyodide.ffi import JsException, create_proxy

import view
from files import chosen_file, download, file_bytes
from form import format_value
from runlog_view import run_label
from mnist_sorter.config import FIELDS
from mnist_sorter.runlog import MAX_LOG_BYTES, RunLogError, delete_runs, export_log, merge, parse_import, relabel
from mnist_sorter.share import config_to_hash


class RunLogControls:
    """The table's buttons and checkboxes, the dialogs, and the log's toolbar."""

    def __init__(self, panel) -> None:
        self.panel = panel
        self.editing: str | None = None  # id of the run in the name-and-note dialog
        self._proxies = []
        for element_id, event, handler in (
                ("run-table", "click", self.on_table_click), ("run-table", "change", self.on_table_change),
                ("log-export", "click", self.on_export),
                ("log-import-button", "click", lambda event: view.by_id("log-import").click()),
                ("log-import", "change", lambda event: panel.spawn(self.import_file())),
                ("copy-link", "click", lambda event: panel.spawn(self.copy_link())),
                ("log-delete-all", "click", self.on_delete_all),
                ("confirm-yes", "click", self.on_confirm_delete_all),
                ("confirm-no", "click", lambda event: view.by_id("confirm-dialog").close()),
                ("edit-save", "click", self.on_edit_save),
                ("edit-name", "keydown", self.on_edit_key),
                ("edit-cancel", "click", lambda event: view.by_id("edit-dialog").close())):
            proxy = create_proxy(handler)
            self._proxies.append(proxy)
            view.by_id(element_id).addEventListener(event, proxy)
        for element_id in ("log-export", "log-import-button", "copy-link"):
            view.by_id(element_id).disabled = False

    def on_table_change(self, event) -> None:
        target = event.target
        if target.getAttribute("data-action") != "select":
            return
        run_id = str(target.getAttribute("data-run-id"))
        if target.checked:
            self.panel.selected.add(run_id)
        else:
            self.panel.selected.discard(run_id)
        self.panel.draw_comparison()

    def on_table_click(self, event) -> None:
        button = event.target.closest("button")
        if button is None:
            return
        column = button.getAttribute("data-column")
        if column:
            column = str(column)
            if column == self.panel.sort_column:
                self.panel.descending = not self.panel.descending
            else:
                self.panel.sort_column, self.panel.descending = column, column in ("date", "test_accuracy")
            self.panel.render()
            view.by_id("run-table").querySelector(f'button[data-column="{column}"]').focus()
            return
        run = self.panel.run_by_id(str(button.getAttribute("data-run-id") or ""))
        action = str(button.getAttribute("data-action") or "")
        if run is None:
            return
        if action == "use":
            self.use_config(run)
        elif action == "edit":
            self.editing = run["id"]
            view.by_id("edit-name").value = run["name"]
            view.by_id("edit-note").value = run["note"]
            view.by_id("edit-error").hidden = True
            view.by_id("edit-dialog").showModal()
        elif action == "delete":
            self.panel.pending.pop(run["id"], None)
            self.panel.commit(lambda runs: delete_runs(runs, [run["id"]]))
            self.panel.render()
            self.panel.say(f"Deleted the run {run_label(run, self.panel.offset)}.")
            view.by_id("run-log-title").focus()

    def use_config(self, run: dict) -> None:
        """Put a run's settings back into the form."""
        if self.panel.is_busy():
            self.panel.say("The form is locked while a run trains.", error=True)
            return
        for spec in FIELDS:
            self.panel.form.controls[spec.name].value = format_value(spec.name, run["config"][spec.name])
        self.panel.form.learning_rate_touched = True  # keep the run's rate whatever the optimizer
        valid = self.panel.form.validate() is not None
        label = run_label(run, self.panel.offset)
        if valid:
            self.panel.say(f"The form now holds the settings of {label}.")
        else:
            self.panel.say(f"The form now holds the settings of {label}, but some cannot be used "
                           "here: see the form.", error=True)
        view.by_id("train-button" if valid else "config-form").scrollIntoView()
        if valid:
            view.by_id("train-button").focus()

    def on_edit_key(self, event) -> None:
        if event.key == "Enter":
            event.preventDefault()
            self.on_edit_save(event)

    def on_edit_save(self, event) -> None:
        run = self.panel.run_by_id(self.editing or "")
        dialog = view.by_id("edit-dialog")
        if run is None:
            dialog.close()
            return
        try:
            changed = relabel(run, name=str(view.by_id("edit-name").value),
                              note=str(view.by_id("edit-note").value))
        except RunLogError as error:
            message = view.by_id("edit-error")
            message.textContent = str(error).split(": ", 1)[-1]
            message.hidden = False
            return
        dialog.close()
        self.panel.save_run(changed)
        self.panel.say(f"Saved the name and note of {run_label(changed, self.panel.offset)}.")

    def on_delete_all(self, event) -> None:
        count = sum(run["status"] != "running" for run in self.panel.runs)
        view.by_id("confirm-text").textContent = (
            f"Delete all {view.plural(count, 'run')} from this browser? This cannot be undone; "
            "export them first to keep a copy.")
        view.by_id("confirm-dialog").showModal()
        view.by_id("confirm-no").focus()  # the safe choice first

    def on_confirm_delete_all(self, event) -> None:
        view.by_id("confirm-dialog").close()
        doomed = [run["id"] for run in self.panel.runs if run["status"] != "running"]
        for run_id in doomed:
            self.panel.pending.pop(run_id, None)
        self.panel.commit(lambda runs: delete_runs(runs, doomed))
        self.panel.render()
        self.panel.say(f"Deleted {view.plural(len(doomed), 'run')}.")

    # ---- export, import, link ---------------------------------------------------

    def on_export(self, event) -> None:
        try:
            text = export_log(self.panel.runs)
        except RunLogError as error:
            self.panel.say(f"The runs could not be exported: {error}.", error=True)
            return
        day = str(js.Date.new().toISOString())[:10]
        download(f"mnist-sorter-runs-{day}.json", text, "application/json")
        self.panel.say(f"Exported {view.plural(len(self.panel.runs), 'run')}.")

    async def import_file(self) -> None:
        field = view.by_id("log-import")
        file = chosen_file(field)
        if file is None:
            return
        name = str(file.name)
        try:
            if file.size > MAX_LOG_BYTES:
                raise RunLogError(f"the file is larger than {MAX_LOG_BYTES // 2**20} MB; "
                                  "a run log is never that big")
            incoming = parse_import(await file_bytes(file))
        except RunLogError as error:
            self.panel.say(f"Nothing imported from {name}: {error}. The run log is unchanged.", error=True)
            return
        finally:
            field.value = ""  # choosing the same file again fires `change` again
        _, added, skipped = merge(self.panel.runs, incoming)
        saved = self.panel.commit(lambda runs: merge(runs, incoming)[0])
        self.panel.render()
        already = f"; {skipped} {'was' if skipped == 1 else 'were'} already here" if skipped else ""
        self.panel.say(f"Imported {view.plural(added, 'run')} from {name}{already}."
                       + ("" if saved else " They are not saved: storage is full."))

    async def copy_link(self) -> None:
        config = self.panel.form.validate()
        if config is None:
            self.panel.say("Fix the highlighted settings first: a link holds valid settings only.", error=True)
            return
        url = str(js.location.href).split("#")[0] + config_to_hash(config)
        try:
            await js.navigator.clipboard.writeText(url)
        except (JsException, AttributeError):
            self.panel.say(f"Copy this link to share these settings: {url}")
            return
        self.panel.say(f"Copied a link to these settings: {url}")
