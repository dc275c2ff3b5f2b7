"""Gradient-descent update rules: SGD, momentum and Adam.

Each optimiser updates a fixed list of parameter arrays in place and keeps its
own state (velocities, moments) in the same order. The learning rate is passed
at every step so that a schedule stays the trainer's business.
"""

from __future__ import annotations

import numpy as np


class SGD:
    """Plain gradient descent: p -= lr * g."""

    def __init__(self, parameters: list[np.ndarray]):
        self.parameters = parameters

    def step(self, gradients: list[np.ndarray], learning_rate: float) -> None:
        """Apply one update to every parameter, in place."""
        rate = np.float32(learning_rate)
        for p, g in zip(self.parameters, gradients):
            g *= rate  # the gradient is ours to overwrite: saves a temporary
            p -= g


class Momentum:
    """Heavy-ball momentum: v = beta * v - lr * g; p += v."""

    def __init__(self, parameters: list[np.ndarray], beta: float = 0.9):
        self.parameters = parameters
        self.beta = np.float32(beta)
        self.velocities = [np.zeros_like(p) for p in parameters]

    def step(self, gradients: list[np.ndarray], learning_rate: float) -> None:
        """Apply one update to every parameter, in place."""
        rate = np.float32(learning_rate)
        for p, g, v in zip(self.parameters, gradients, self.velocities):
            v *= self.beta
            g *= rate
            v -= g
            p += v


class Adam:
    """Adam (Kingma & Ba 2015) with bias-corrected first and second moments."""

    def __init__(self, parameters: list[np.ndarray], beta1: float = 0.9,
                 beta2: float = 0.999, epsilon: float = 1e-8):
        self.parameters = parameters
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.first = [np.zeros_like(p) for p in parameters]
        self.second = [np.zeros_like(p) for p in parameters]
        self.steps = 0

    def step(self, gradients: list[np.ndarray], learning_rate: float) -> None:
        """Apply one update to every parameter, in place."""
        self.steps += 1
        b1, b2 = np.float32(self.beta1), np.float32(self.beta2)
        # Fold both bias corrections into the step size (as in the paper's section 2).
        correction = np.sqrt(1 - self.beta2 ** self.steps) / (1 - self.beta1 ** self.steps)
        rate = np.float32(learning_rate * correction)
        epsilon = np.float32(self.epsilon * np.sqrt(1 - self.beta2 ** self.steps))
        for p, g, m, v in zip(self.parameters, gradients, self.first, self.second):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            g *= g
            g *= 1 - b2
            v += g
            update = np.sqrt(v)
            update += epsilon
            np.divide(m, update, out=update)
            update *= rate
            p -= update


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(name: str, parameters: list[np.ndarray]) -> SGD | Momentum | Adam:
    """Return the optimiser called `name` for these parameters."""
    try:
        return OPTIMIZERS[name](parameters)
    except KeyError:
        raise ValueError(f"optimizer: {name!r} is not one of {', '.join(OPTIMIZERS)}") from None
