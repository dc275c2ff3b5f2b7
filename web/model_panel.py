"""The "Last model" controls: keep the model of the latest run, download it, upload one.

The model is kept with `models.save_last_model` (IndexedDB), in the `.npz`
format of `mnist_sorter.model_io`, the one `python -m mnist_sorter evaluate`
reads. An uploaded file is checked by `load_model` before it replaces anything.
`<html data-last-model>` says "none", "kept" or "unreadable" once known.
"""

from __future__ import annotations

import asyncio

from pyodide.ffi import create_proxy

import view
from files import chosen_file, download, file_bytes
from models import ModelStoreError, load_last_model, save_last_model
from mnist_sorter.model_io import ModelFileError, SavedModel, load_model, model_to_bytes

MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # the widest network the form allows is ~540 MB; be sensible


def describe(model: SavedModel) -> str:
    """Say what a model is in one line: its layers, data, epochs and test accuracy."""
    layers = "-".join(map(str, model.network.layer_sizes))
    parts = [f"{layers} network"]
    bundle = model.bundle.get("name")
    epochs = model.metrics.get("epochs_trained")
    if isinstance(epochs, int) and not isinstance(epochs, bool):
        parts.append(f"{view.plural(epochs, 'epoch')}{f' on {bundle}' if bundle else ''}")
    elif bundle:
        parts.append(f"trained on {bundle}")
    accuracy = model.metrics.get("test_accuracy")
    if isinstance(accuracy, float) and 0 <= accuracy <= 1:
        parts.append(f"test accuracy {accuracy * 100:.2f}%")
    return ", ".join(parts)


class ModelPanel:
    """Owns the last model's bytes in memory and its buttons."""

    def __init__(self, say) -> None:
        self.say = say  # shows a message in the run log's status line
        self.data: bytes | None = None
        self.model: SavedModel | None = None
        self.tasks = set()
        self._proxies = []
        self._listen("model-download", "click", self.on_download)
        self._listen("model-upload-button", "click", lambda event: view.by_id("model-upload").click())
        self._listen("model-upload", "change", lambda event: self._spawn(self.upload()))
        view.by_id("model-upload-button").disabled = False

    def _listen(self, element_id: str, event: str, handler) -> None:
        proxy = create_proxy(handler)
        self._proxies.append(proxy)
        view.by_id(element_id).addEventListener(event, proxy)

    def _spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def start(self) -> None:
        """Show the model kept from an earlier visit, if any."""
        data = await load_last_model()
        if data is None:
            view.set_marker("lastModel", "none")
            return
        try:
            self._show(data, load_model(data), "kept from your last visit")
            view.set_marker("lastModel", "kept")
        except ModelFileError as error:
            view.by_id("model-text").textContent = f"The kept model could not be read ({error})."
            view.set_marker("lastModel", "unreadable")

    def _show(self, data: bytes, model: SavedModel, origin: str) -> None:
        self.data, self.model = data, model
        view.by_id("model-text").textContent = f"{describe(model)} ({origin})."
        view.by_id("model-download").disabled = False

    async def keep(self, model: SavedModel) -> None:
        """Make a just-trained model the last model: shown, downloadable, kept in IndexedDB."""
        data = model_to_bytes(model)
        self._show(data, model, "trained here")
        try:
            await save_last_model(data)
        except ModelStoreError as error:
            self.say(f"The model could not be kept in this browser ({error}); "
                     "download it to keep it.", error=True)
            return
        view.set_marker("lastModel", "kept")

    def on_download(self, event) -> None:
        if self.data is None or self.model is None:
            return
        layers = "-".join(map(str, self.model.network.layer_sizes))
        download(f"mnist-sorter-model-{layers}.npz", self.data, "application/octet-stream")
        self.say(f"Downloaded the model ({len(self.data) / 1e6:.1f} MB). "
                 "Check it with: python -m mnist_sorter evaluate <file>")

    async def upload(self) -> None:
        field = view.by_id("model-upload")
        file = chosen_file(field)
        if file is None:
            return
        name = str(file.name)
        try:
            if file.size > MAX_UPLOAD_BYTES:
                raise ModelFileError(f"{file.size / 1e6:.0f} MB is larger than any model this page makes")
            data = await file_bytes(file)
            model = load_model(data)
        except ModelFileError as error:
            reason = str(error).removeprefix("model file: ")
            self.say(f"{name} was not loaded: {reason}. The last model is unchanged.", error=True)
            return
        finally:
            field.value = ""  # choosing the same file again fires `change` again
        self._show(data, model, f"uploaded from {name}")
        try:
            await save_last_model(data)
        except ModelStoreError as error:
            self.say(f"Loaded {name}, but it could not be kept in this browser ({error}).", error=True)
            return
        view.set_marker("lastModel", "kept")
        self.say(f"Loaded the model from {name}.")
