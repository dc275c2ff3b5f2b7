"""A multilayer perceptron in plain numpy: ReLU hidden layers, softmax output.

Purpose: the maths of one network, and nothing else. Forward pass, the
cross-entropy loss with L2 weight decay, and its gradients by backpropagation,
all vectorised over a batch and in float32. No I/O, no training loop, no state
outside the `Network` object.

Notation: x is a batch of inputs (B, 784); activations[i] is the input to layer
i; z = a @ W + b; hidden layers apply ReLU; the last layer's z are the logits.
Loss = mean cross-entropy + l2/2 * sum of squared weights (biases are not decayed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_sorter.linalg import matmul

INPUT_SIZE = 784
CLASSES = 10


@dataclass
class Network:
    """Weights (n_in, n_out) and biases (n_out,) of each layer, float32."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """Widths from input to output, e.g. (784, 128, 64, 10)."""
        return (self.weights[0].shape[0], *(w.shape[1] for w in self.weights))

    @property
    def parameters(self) -> list[np.ndarray]:
        """All trainable arrays, weights then biases (the arrays themselves, not copies)."""
        return [*self.weights, *self.biases]

    def copy(self) -> Network:
        """Return an independent copy (for snapshots the trainer keeps changing)."""
        return Network([w.copy() for w in self.weights], [b.copy() for b in self.biases])


def init_network(layer_sizes: tuple[int, ...], rng: np.random.Generator) -> Network:
    """Create a network with He-initialised weights, W ~ N(0, 2 / n_in), and zero biases."""
    weights, biases = [], []
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        scale = np.sqrt(2.0 / n_in)
        weights.append((rng.standard_normal((n_in, n_out)) * scale).astype(np.float32))
        biases.append(np.zeros(n_out, dtype=np.float32))
    return Network(weights, biases)


def images_to_inputs(images: np.ndarray) -> np.ndarray:
    """Flatten images (N, 28, 28) into inputs (N, 784) float32 in [0, 1].

    uint8 pixels are divided by 255; float images are taken as already in [0, 1].
    """
    images = np.asarray(images)
    flat = images.reshape(len(images), -1)
    if flat.shape[1] != INPUT_SIZE:
        raise ValueError(f"images must be 28x28 (784 pixels), got shape {images.shape}")
    if flat.dtype == np.uint8:
        return flat.astype(np.float32) * np.float32(1 / 255)
    return flat.astype(np.float32, copy=False)


def forward(network: Network, x: np.ndarray) -> list[np.ndarray]:
    """Return the activations of every layer: [x, hidden..., logits]."""
    activations = [x]
    last = len(network.weights) - 1
    for i, (w, b) in enumerate(zip(network.weights, network.biases)):
        z = matmul(activations[-1], w)  # (B, n_out)
        z += b
        if i < last:
            np.maximum(z, 0, out=z)  # ReLU, in place: z is not needed afterwards
        activations.append(z)
    return activations


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Return log softmax of each row, stable for any finite logits (log-sum-exp trick)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Return class probabilities for each row of logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def l2_penalty(network: Network, l2: float) -> float:
    """Return l2/2 * sum of squared weights (biases excluded)."""
    if l2 == 0:
        return 0.0
    return 0.5 * l2 * float(sum(np.vdot(w, w) for w in network.weights))


def loss_and_gradients(
    network: Network, x: np.ndarray, labels: np.ndarray, l2: float
) -> tuple[float, int, list[np.ndarray]]:
    """Backpropagate one batch.

    Returns (loss, number of correct predictions, gradients) where gradients
    follow `network.parameters`: dL/dW for every layer, then dL/db.
    """
    activations = forward(network, x)
    logits = activations[-1]  # (B, 10)
    batch = len(x)
    rows = np.arange(batch)
    log_probs = log_softmax(logits)
    loss = -float(log_probs[rows, labels].mean()) + l2_penalty(network, l2)
    correct = int((logits.argmax(axis=1) == labels).sum())

    # dL/dlogits of mean cross-entropy after softmax: (p - onehot) / B.
    delta = np.exp(log_probs)  # (B, 10)
    delta[rows, labels] -= 1
    delta *= np.float32(1 / batch)

    count = len(network.weights)
    grad_w: list[np.ndarray] = [None] * count  # type: ignore[list-item]
    grad_b: list[np.ndarray] = [None] * count  # type: ignore[list-item]
    for i in range(count - 1, -1, -1):
        w = network.weights[i]
        grad_w[i] = matmul(activations[i].T, delta)  # (n_in, n_out)
        if l2:
            grad_w[i] += np.float32(l2) * w
        grad_b[i] = delta.sum(axis=0)
        if i > 0:
            delta = matmul(delta, w.T)  # (B, n_in)
            delta *= activations[i] > 0  # ReLU'(z) is 1 where the activation is positive
    return loss, correct, grad_w + grad_b


def predict_logits(network: Network, x: np.ndarray, chunk: int = 2000) -> np.ndarray:
    """Return logits (N, 10) for inputs (N, 784), in chunks to bound memory."""
    parts = [forward(network, x[start:start + chunk])[-1] for start in range(0, len(x), chunk)]
    return np.concatenate(parts) if parts else np.zeros((0, CLASSES), np.float32)


def predict_proba(network: Network, images: np.ndarray) -> np.ndarray:
    """Return class probabilities (N, 10) for images (N, 28, 28) or inputs (N, 784)."""
    return softmax(predict_logits(network, images_to_inputs(images)))
