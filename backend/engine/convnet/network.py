"""The convolutional network: convolutional layers (small filters sliding over the image, each filter's
weights shared by every position it visits), each with its activation and optional 2 × 2 pooling, then
dense layers and a softmax over the classes (LeCun et al. 1998).

A network's Shape (image side, classes, each convolutional layer's filters, kernel and pooling, the dense
layers' widths) fixes its arrays, so each shape is a program of its own, compiled once on first use. The
activation is traced, an index into the playground's registry (engine/network.py), like everything a
person changes while training.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..network import INITS, activate

POOLINGS = ("none", "max", "average")  # each 2 × 2 → 1 where it pools
POOL = 2  # pixels a side of a pooling window, and its stride
KERNELS = (3, 5)  # pixels a side of a filter
MAX_CONV_LAYERS = 3
MAX_FILTERS = 16
MAX_DENSE_LAYERS = 2
MAX_DENSE_UNITS = 64


class Conv(NamedTuple):
    """One convolutional layer: `filters` filters of kernel × kernel pixels, then its pooling."""

    filters: int
    kernel: int
    pooling: str  # one of POOLINGS


class Shape(NamedTuple):
    """Everything that fixes a network's arrays; hashable, so it names a compiled program."""

    side: int  # pixels a side of an input image
    classes: int
    conv: tuple[Conv, ...]
    dense: tuple[int, ...]  # widths of the dense hidden layers

    def sides(self) -> list[int]:
        """The side of every convolutional layer's input, then of the last one's output (after pooling)."""
        sides = [self.side]
        for layer in self.conv:
            sides.append(sides[-1] // POOL if layer.pooling != "none" else sides[-1])
        return sides

    def channels(self) -> list[int]:
        """Channels of every convolutional layer's input, then of the last one's output."""
        return [1, *(layer.filters for layer in self.conv)]

    def flat(self) -> int:
        """Units the dense part reads: the last feature maps, flattened (the pixels with no layers)."""
        return self.sides()[-1] ** 2 * self.channels()[-1]

    def stage_sizes(self) -> list[int]:
        """Units of each stage an image passes: every convolutional layer's maps after its pooling, every
        dense layer, then the output (program.represent's columns, in order)."""
        pooled = [side**2 * channels for side, channels in zip(self.sides()[1:], self.channels()[1:])]
        return [*pooled, *self.dense, self.classes]

    def weight_shapes(self) -> list[tuple[int, ...]]:
        """Each layer's weight array: filters (kernel, kernel, channels in, filters), then dense (in, out)."""
        conv = [(c.kernel, c.kernel, cin, c.filters) for c, cin in zip(self.conv, self.channels())]
        widths = [self.flat(), *self.dense, self.classes]
        return conv + list(zip(widths[:-1], widths[1:]))

    def parameter_counts(self) -> list[int]:
        """Weights and biases of each layer: a filter's weights count once however many positions use them."""
        return [int(np.prod(shape)) + shape[-1] for shape in self.weight_shapes()]


def make_shape(side: int, classes: int, conv, dense) -> Shape:
    """A Shape from plain values (tuples or lists), checked against the bounds."""
    shape = Shape(side, classes, tuple(Conv(*layer) for layer in conv), tuple(dense))
    if len(shape.conv) > MAX_CONV_LAYERS or len(shape.dense) > MAX_DENSE_LAYERS:
        raise ValueError(f"at most {MAX_CONV_LAYERS} convolutional and {MAX_DENSE_LAYERS} dense layers")
    for layer, side_in in zip(shape.conv, shape.sides()):
        if not (1 <= layer.filters <= MAX_FILTERS and layer.kernel in KERNELS and layer.pooling in POOLINGS):
            raise ValueError(f"a convolutional layer has 1–{MAX_FILTERS} filters of {KERNELS} pixels, pooling "
                             f"one of {POOLINGS}: not {layer}")
        if layer.pooling != "none" and side_in % POOL:
            raise ValueError(f"a {side_in} × {side_in} map cannot be pooled 2 × 2")
    if not all(1 <= units <= MAX_DENSE_UNITS for units in shape.dense):
        raise ValueError(f"a dense layer has 1–{MAX_DENSE_UNITS} units")
    return shape


class Layer(NamedTuple):
    w: jax.Array  # see Shape.weight_shapes
    b: jax.Array  # (filters or units,)


Params = tuple  # of Layer: the convolutional layers, the dense ones, then the output layer


def init_params(rng: np.random.Generator, shape: Shape, init: str, scale: float) -> Params:
    """Fresh weights by the playground's named initialisation (network.INITS), weights times `scale`. A
    filter's fan-in is kernel² × channels in, its fan-out kernel² × filters."""
    sampler = INITS[init]
    layers = []
    for w_shape in shape.weight_shapes():
        spatial = int(np.prod(w_shape[:-2]))  # kernel², or 1 for a dense layer
        weights, bias = sampler(rng, spatial * w_shape[-2], spatial * w_shape[-1], w_shape)
        layers.append(Layer((weights * scale).astype(np.float32), np.full(w_shape[-1], bias, np.float32)))
    return tuple(layers)


def convolve(maps: jax.Array, filters: jax.Array) -> jax.Array:
    """Each filter (kernel, kernel, channels, filters) applied at every position of maps (n, side, side,
    channels), zero-padded so the output keeps the side: a cross-correlation, as in every deep-learning
    library.

    Written as the kernel² shifted copies of the maps: with one input channel a weighted sum of them
    (elementwise, fused), otherwise one product of all of them side by side with the filters (im2col).
    On the CPU, XLA's own convolution took about ten times as long over a one-channel image, and the
    default network trained markedly slower with it (bench/convnet.py, its last row)."""
    kernel, channels = filters.shape[0], filters.shape[2]
    pad, side = kernel // 2, maps.shape[1]
    padded = jnp.pad(maps, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    shifted = [padded[:, i : i + side, j : j + side, :] for i in range(kernel) for j in range(kernel)]
    if channels == 1:
        return sum(copy * filters[i // kernel, i % kernel, 0] for i, copy in enumerate(shifted))
    return jnp.concatenate(shifted, axis=-1) @ filters.reshape(-1, filters.shape[-1])


def pool(maps: jax.Array, pooling: str) -> jax.Array:
    """Each 2 × 2 block of maps (n, side, side, channels) to one value: its maximum or its mean."""
    if pooling == "none":
        return maps
    n, side, _, channels = maps.shape
    blocks = maps.reshape(n, side // POOL, POOL, side // POOL, POOL, channels)
    return blocks.max(axis=(2, 4)) if pooling == "max" else blocks.mean(axis=(2, 4))


class Forward(NamedTuple):
    """One pass over a batch: every stage a frame shows."""

    logits: jax.Array  # (n, classes)
    maps: tuple  # per convolutional layer: its feature maps after the activation, before pooling (n, s, s, f)
    pooled: tuple  # per convolutional layer: after pooling (the same arrays where it does not pool)
    dense: tuple  # per dense hidden layer: its activations (n, units)


def forward(params: Params, shape: Shape, activation: jax.Array, images: jax.Array) -> Forward:
    """The network over images (n, side, side); `activation` indexes network.ACTIVATIONS (traced)."""
    x = images[..., None]
    maps, pooled = [], []
    for layer, conv in zip(params, shape.conv):
        x = activate(activation, convolve(x, layer.w) + layer.b)
        maps.append(x)
        x = pool(x, conv.pooling)
        pooled.append(x)
    x = x.reshape(x.shape[0], -1)
    dense = []
    for layer in params[len(shape.conv) : -1]:
        x = activate(activation, x @ layer.w + layer.b)
        dense.append(x)
    out = params[-1]
    return Forward(x @ out.w + out.b, tuple(maps), tuple(pooled), tuple(dense))


def similar_units(shape: Shape) -> int:
    """The width of the one hidden layer that gives an MLP on the same pixels about as many parameters as a
    network of `shape` (what the translation claim compares a ConvNet with); within 1..MAX_DENSE_UNITS."""
    units = round((sum(shape.parameter_counts()) - shape.classes) / (shape.side**2 + 1 + shape.classes))
    return min(max(units, 1), MAX_DENSE_UNITS)


def receptive_field(shape: Shape, layer: int, pooled: bool, row: int, col: int) -> tuple[int, int, int, int]:
    """The input pixels a unit sees: (top, left, bottom, right), bottom and right exclusive, for the unit at
    (row, col) of convolutional layer `layer`'s maps, after its pooling if `pooled`. Exact: each pooling
    widens the window to the 2 × 2 block below, each convolution by kernel // 2 on every side, and the
    zero padding beyond the image holds no pixel."""
    sides = shape.sides()
    top, left, bottom, right = row, col, row + 1, col + 1
    for index in range(layer, -1, -1):
        conv = shape.conv[index]
        if conv.pooling != "none" and (pooled or index < layer):
            top, left, bottom, right = top * POOL, left * POOL, bottom * POOL, right * POOL
        reach, side = conv.kernel // 2, sides[index]
        top, left = max(top - reach, 0), max(left - reach, 0)
        bottom, right = min(bottom + reach, side), min(right + reach, side)
    return top, left, bottom, right


def receptive_fields(shape: Shape) -> list[dict[str, np.ndarray]]:
    """Every unit's receptive field (receptive_field), per convolutional layer: "maps" (side, side, 4) before
    its pooling and "pooled" after it, each unit's (top, left, bottom, right)."""
    sides = shape.sides()
    table = lambda layer, pooled, side: np.asarray(
        [[receptive_field(shape, layer, pooled, row, col) for col in range(side)] for row in range(side)], np.int32)
    return [{"maps": table(layer, False, sides[layer]), "pooled": table(layer, True, sides[layer + 1])}
            for layer in range(len(shape.conv))]
