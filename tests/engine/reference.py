"""An independent network in plain numpy: features, forward pass and backpropagation by hand.

The engine's padded JAX network is checked against this one. It shares nothing
with backend.engine but the names of its choices, and works on the real,
unpadded layers: weights[l] is (fan_in, fan_out), the last one (fan_in, 1).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from backend.engine.features import FEATURES
from backend.engine.network import MAX_LAYERS, MAX_WIDTH, Params

LEAK = 0.01  # leaky_relu's slope below zero


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# name -> (function, derivative)
ACTIVATIONS = {
    "linear": (lambda z: z, lambda z: np.ones_like(z)),
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1.0 - _sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(z.dtype)),
    "leaky_relu": (lambda z: np.where(z > 0, z, LEAK * z), lambda z: np.where(z > 0, 1.0, LEAK)),
    "elu": (lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0.0))), lambda z: np.where(z > 0, 1.0, np.exp(z))),
    "sin": (np.sin, np.cos),
}

# name -> function of an (n, 2) array of points
FEATURE_FUNCTIONS = {
    "x1": lambda p: p[:, 0],
    "x2": lambda p: p[:, 1],
    "x1_squared": lambda p: p[:, 0] ** 2,
    "x2_squared": lambda p: p[:, 1] ** 2,
    "x1_x2": lambda p: p[:, 0] * p[:, 1],
    "sin_x1": lambda p: np.sin(p[:, 0]),
    "sin_x2": lambda p: np.sin(p[:, 1]),
}


def feature_columns(features) -> list[int]:
    """The padded input columns the chosen features occupy: the registry's order, not the caller's."""
    return sorted(list(FEATURES).index(name) for name in features)


def features_of(points: np.ndarray, features) -> np.ndarray:
    """(n, len(features)) inputs, columns in registry order."""
    names = [name for name in FEATURES if name in features]
    return np.stack([FEATURE_FUNCTIONS[name](points) for name in names], axis=1)


def padded_inputs(points: np.ndarray, features) -> np.ndarray:
    """The engine's input layout: every chosen feature in its registry column, zeros elsewhere."""
    padded = np.zeros((len(points), MAX_WIDTH), points.dtype)
    padded[:, feature_columns(features)] = features_of(points, features)
    return padded


class Net(NamedTuple):
    weights: list[np.ndarray]
    biases: list[np.ndarray]


def random_net(rng: np.random.Generator, n_inputs: int, hidden: list[int], scale: float = 0.8) -> Net:
    sizes = [n_inputs, *hidden, 1]
    weights = [rng.normal(0.0, scale, (a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(0.0, 0.3, b) for b in sizes[1:]]
    return Net(weights, biases)


def pad(net: Net, features, dtype=np.float64) -> Params:
    """The engine's padded Params holding `net`; every other entry zero."""
    w = np.zeros((MAX_LAYERS, MAX_WIDTH, MAX_WIDTH), dtype)
    b = np.zeros((MAX_LAYERS, MAX_WIDTH), dtype)
    rows = feature_columns(features)
    for layer, (weights, biases) in enumerate(zip(net.weights[:-1], net.biases[:-1])):
        w[layer][np.ix_(rows, range(weights.shape[1]))] = weights
        b[layer, : len(biases)] = biases
        rows = list(range(weights.shape[1]))
    w_out = np.zeros(MAX_WIDTH, dtype)
    w_out[rows] = net.weights[-1][:, 0]
    return Params(w, b, w_out, np.asarray(net.biases[-1][0], dtype))


def unpad(params: Params, features, hidden: list[int]) -> Net:
    """The real layers of padded Params."""
    params = Params(*(np.asarray(p, np.float64) for p in params))
    rows, weights, biases = feature_columns(features), [], []
    for layer, width in enumerate(hidden):
        weights.append(params.w[layer][np.ix_(rows, range(width))])
        biases.append(params.b[layer, :width])
        rows = list(range(width))
    weights.append(params.w_out[rows][:, None])
    biases.append(np.asarray([params.b_out]))
    return Net(weights, biases)


class Pass(NamedTuple):
    inputs: np.ndarray
    pre: list[np.ndarray]  # per hidden layer (n, width)
    hidden: list[np.ndarray]
    logit: np.ndarray  # (n,)
    output: np.ndarray


def forward(net: Net, inputs: np.ndarray, activation: str, output: str) -> Pass:
    f = ACTIVATIONS[activation][0]
    h, pre, hidden = inputs, [], []
    for weights, biases in zip(net.weights[:-1], net.biases[:-1]):
        z = h @ weights + biases
        h = f(z)
        pre.append(z)
        hidden.append(h)
    logit = (h @ net.weights[-1] + net.biases[-1])[:, 0]
    return Pass(inputs, pre, hidden, logit, ACTIVATIONS[output][0](logit))


def point_losses(run: Pass, labels: np.ndarray, loss: str) -> np.ndarray:
    if loss == "squared":
        return 0.5 * (run.output - labels) ** 2
    target = (labels + 1.0) / 2.0
    return np.logaddexp(0.0, run.logit) - target * run.logit  # −t·log σ(z) − (1−t)·log(1−σ(z))


def penalty(net: Net, regularization: str, rate: float) -> float:
    weights = np.concatenate([w.ravel() for w in net.weights])
    if regularization == "l1":
        return rate * np.sum(np.abs(weights))
    if regularization == "l2":
        return rate * 0.5 * np.sum(weights**2)
    return 0.0


def objective(net, inputs, labels, mask, activation, output, loss, regularization="none", rate=0.0) -> float:
    """Mean loss over the masked points plus the weight penalty."""
    losses = point_losses(forward(net, inputs, activation, output), labels, loss)
    return np.sum(losses * mask) / max(np.sum(mask), 1.0) + penalty(net, regularization, rate)


def gradients(net, inputs, labels, mask, activation, output, loss, regularization="none", rate=0.0) -> Net:
    """Backpropagation of `objective`, layer by layer from the output down."""
    run = forward(net, inputs, activation, output)
    if loss == "squared":
        delta = (run.output - labels) * ACTIVATIONS[output][1](run.logit)
    else:
        delta = _sigmoid(run.logit) - (labels + 1.0) / 2.0
    delta = (delta * mask / max(np.sum(mask), 1.0))[:, None]  # dL/dlogit, (n, 1)
    below = [inputs, *run.hidden]
    grad_w, grad_b = [below[-1].T @ delta], [delta.sum(axis=0)]
    for layer in reversed(range(len(run.hidden))):
        delta = (delta @ net.weights[layer + 1].T) * ACTIVATIONS[activation][1](run.pre[layer])
        grad_w.insert(0, below[layer].T @ delta)
        grad_b.insert(0, delta.sum(axis=0))
    if regularization == "l1":
        grad_w = [g + rate * np.sign(w) for g, w in zip(grad_w, net.weights)]
    elif regularization == "l2":
        grad_w = [g + rate * w for g, w in zip(grad_w, net.weights)]
    return Net(grad_w, grad_b)


def ridge_probe_accuracy(acts: np.ndarray, labels: np.ndarray, ridge: float) -> float:
    """Accuracy of the ridge-regularised least-squares linear read-out of ±1 labels: ridge on the
    centred units, the intercept (the mean label) not penalised."""
    n = len(acts)
    centred, mean_label = acts - acts.mean(axis=0), labels.mean()
    weights = np.linalg.solve(centred.T @ centred / n + ridge * np.eye(acts.shape[1]), centred.T @ (labels - mean_label) / n)
    return float(np.mean(np.where(centred @ weights + mean_label >= 0, 1.0, -1.0) == labels))