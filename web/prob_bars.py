"""Ten probability bars in plain HTML: a list a screen reader reads as "7: 94 %".

Each item holds the digit, a bar whose width is the probability, and the
percentage as text; the most probable digit is marked. Used for the drawing pad
and for a mistake picked in the inside views.
"""

from __future__ import annotations

import numpy as np
from pyscript import document

DIGITS = 10


class ProbabilityBars:
    """The `<ul>` of bars with the given id, filled with ten items once."""

    def __init__(self, list_id: str) -> None:
        self.list = document.getElementById(list_id)
        self.items = []
        self.list.replaceChildren()
        for digit in range(DIGITS):
            item = document.createElement("li")
            label = document.createElement("span")
            label.className = "prob-digit"
            label.textContent = str(digit)
            track = document.createElement("span")
            track.className = "prob-track"
            track.setAttribute("aria-hidden", "true")
            bar = document.createElement("span")
            bar.className = "prob-bar"
            track.appendChild(bar)
            value = document.createElement("span")
            value.className = "prob-value"
            item.append(label, track, value)
            self.list.appendChild(item)
            self.items.append((item, bar, value))
        self.show(None)

    def show(self, probabilities: np.ndarray | None) -> None:
        """Show ten probabilities (or empty bars, with dashes, for None)."""
        best = int(np.argmax(probabilities)) if probabilities is not None else -1
        for digit, (item, bar, value) in enumerate(self.items):
            share = float(probabilities[digit]) if probabilities is not None else 0.0
            bar.style.width = f"{share * 100:.1f}%"
            value.textContent = _percent(share) if probabilities is not None else "–"
            item.classList.toggle("best", digit == best)
            item.setAttribute("aria-label", f"{digit}: {value.textContent}"
                              + (", most likely" if digit == best else ""))
        self.list.classList.toggle("empty", probabilities is None)


def _percent(share: float) -> str:
    if 0 < share < 0.005:
        return "<1%"
    return f"{share * 100:.0f}%"
