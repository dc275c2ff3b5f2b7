"""The hyperparameter form, generated from `config.FIELDS`: one labelled control per field.

Each control shows its allowed range; a value `parse_field` refuses is explained
next to its control, and Train stays disabled until every value parses.
Changing the optimizer while the learning rate is untouched sets that
optimizer's default rate.
"""

from __future__ import annotations

from typing import Callable

from pyodide.ffi import create_proxy
from pyscript import document

from mnist_sorter.config import DEFAULT_LEARNING_RATES, FIELDS, FieldSpec, TrainConfig, parse_field

# Soft keyboards on phones: digits only, or digits with a decimal point.
_INPUT_MODES = {"int": "numeric", "float": "decimal", "layers": "text", "name": "text"}


def format_value(name: str, value) -> str:
    """Format a config value the way a user would type it."""
    if name == "hidden_layers":
        return ", ".join(str(width) for width in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class ConfigForm:
    """The generated controls, their validation messages and the Train button's state."""

    def __init__(self, container, train_button, dataset_names: list[str],
                 initial: TrainConfig, on_validity: Callable[[bool], None] | None = None) -> None:
        self.train_button = train_button
        self.on_validity = on_validity
        self.controls: dict[str, object] = {}
        self.errors: dict[str, object] = {}
        self.learning_rate_touched = False
        self._proxies = []  # event handlers must outlive this call
        for spec in FIELDS:
            container.appendChild(self._field(spec, format_value(spec.name, getattr(initial, spec.name)),
                                              dataset_names))
        self.validate()

    def _field(self, spec: FieldSpec, value: str, dataset_names: list[str]):
        wrapper = document.createElement("div")
        wrapper.className = "field"
        control_id, hint_id, error_id = f"field-{spec.name}", f"hint-{spec.name}", f"error-{spec.name}"

        label = document.createElement("label")
        label.htmlFor = control_id
        label.textContent = spec.label

        choices = spec.choices or (tuple(dataset_names) if spec.name == "dataset" else ())
        if choices:
            control = document.createElement("select")
            for choice in choices:
                option = document.createElement("option")
                option.value = option.textContent = choice
                control.appendChild(option)
        else:
            control = document.createElement("input")
            control.type = "text"
            control.inputMode = _INPUT_MODES[spec.kind]
            control.autocomplete = "off"
            control.spellcheck = False
        control.id = control_id
        control.name = spec.name
        control.value = value
        control.setAttribute("aria-describedby", f"{hint_id} {error_id}")

        hint = document.createElement("p")
        hint.className = "hint"
        hint.id = hint_id
        purpose = document.createElement("span")
        purpose.textContent = spec.help
        allowed = document.createElement("span")
        allowed.className = "allowed"
        allowed.textContent = "Allowed: " + (f"one of {', '.join(choices)}" if choices else spec.range_text())
        hint.appendChild(purpose)
        hint.appendChild(allowed)

        error = document.createElement("p")
        error.className = "field-error"
        error.id = error_id
        error.hidden = True

        handler = create_proxy(lambda event, name=spec.name: self._changed(name))
        self._proxies.append(handler)
        control.addEventListener("change" if choices else "input", handler)

        self.controls[spec.name] = control
        self.errors[spec.name] = error
        for child in (label, control, hint, error):
            wrapper.appendChild(child)
        return wrapper

    def _changed(self, name: str) -> None:
        if name == "learning_rate":
            self.learning_rate_touched = True
        if name == "optimizer" and not self.learning_rate_touched:
            optimizer = self.controls["optimizer"].value
            self.controls["learning_rate"].value = format_value("learning_rate",
                                                                DEFAULT_LEARNING_RATES[optimizer])
        self.validate()

    def values(self) -> tuple[dict, dict[str, str]]:
        """Parse every control; return (values of the valid ones, messages of the invalid ones)."""
        values, messages = {}, {}
        for spec in FIELDS:
            try:
                values[spec.name] = parse_field(spec.name, self.controls[spec.name].value)
            except ValueError as error:
                messages[spec.name] = _without_field_name(str(error), spec.name)
        return values, messages

    def validate(self) -> TrainConfig | None:
        """Show each control's message (or none); enable Train iff the config is valid."""
        values, messages = self.values()
        config = None
        if not messages:
            try:
                config = TrainConfig(**values)
            except ValueError as error:  # a rule across fields; show it on the form's first field
                messages[FIELDS[0].name] = str(error)
        for spec in FIELDS:
            control, error = self.controls[spec.name], self.errors[spec.name]
            message = messages.get(spec.name)
            error.textContent = message or ""
            error.hidden = message is None
            if message is None:
                control.removeAttribute("aria-invalid")
            else:
                control.setAttribute("aria-invalid", "true")
        self.train_button.disabled = config is None
        if self.on_validity is not None:
            self.on_validity(config is not None)
        return config


def _without_field_name(message: str, name: str) -> str:
    """Shorten config's message for its place under the control.

    The leading "name: " and the trailing "; allowed: ..." go: the label and the
    hint just above say both.
    """
    message = message.removeprefix(f"{name}: ").split("; allowed:")[0]
    return message[:1].upper() + message[1:]
