"""The padded network: every architecture the bounds allow in one fixed-shape pytree.

Weights are stacked to MAX_LAYERS hidden layers of MAX_WIDTH units; masks mark
the real units. The activation is chosen by a traced index into ACTIVATIONS, so
changing it never recompiles. The depth is traced too: the layers are a loop that runs
as many times as a network has layers, so it computes only those. Width is the static
choice: a network no wider than NARROW units computes its layers NARROW wide
(`narrow`; see program.py). Shapes below say MAX_WIDTH for the padded pytrees a
run keeps; inside a narrowed program the same arrays are NARROW wide.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .features import NUM_FEATURES, array_module, feature_mask

MAX_LAYERS = 10  # hidden layers at most
MAX_WIDTH = 16  # units per hidden layer at most; also the padded input width

# Ordered registry: name -> (function, its steepest slope). The order is the traced index.
ACTIVATIONS = {
    "linear": (lambda z: z, 1.0),
    "sigmoid": (jax.nn.sigmoid, 0.25),
    "tanh": (jnp.tanh, 1.0),
    "relu": (jax.nn.relu, 1.0),
    "leaky_relu": (lambda z: jax.nn.leaky_relu(z, 0.01), 1.0),
    "elu": (jax.nn.elu, 1.0),
    "sin": (jnp.sin, 1.0),
}
ACTIVATION_INDEX = {name: i for i, name in enumerate(ACTIVATIONS)}
OUTPUT_ACTIVATIONS = ("linear", "sigmoid", "tanh")  # what the output unit can be (see Config.output_activation)
# Each activation's place among OUTPUT_ACTIVATIONS (make_arch refuses the others as outputs).
_OUTPUT_SLOT = np.asarray([OUTPUT_ACTIVATIONS.index(n) if n in OUTPUT_ACTIVATIONS else 0 for n in ACTIVATIONS])
ACTIVATION_FUNCTIONS = [f for f, _ in ACTIVATIONS.values()]  # in index order
_PEAK_SLOPES = np.asarray([slope for _, slope in ACTIVATIONS.values()], np.float32)


class Params(NamedTuple):
    """Every weight and bias, padded to PADDED_PARAMS: w[l][i, j] joins unit i below to unit j of hidden layer l."""

    w: jax.Array
    b: jax.Array
    w_out: jax.Array
    b_out: jax.Array


PADDED_PARAMS = Params(w=(MAX_LAYERS, MAX_WIDTH, MAX_WIDTH), b=(MAX_LAYERS, MAX_WIDTH), w_out=(MAX_WIDTH,), b_out=())


class Arch(NamedTuple):
    """The traced description of one architecture."""

    feature_mask: jax.Array  # (NUM_FEATURES,) float, 1 for chosen features
    unit_mask: jax.Array  # (MAX_LAYERS, MAX_WIDTH) float, 1 for real units
    depth: jax.Array  # () int32, number of hidden layers
    activation: jax.Array  # () int32 index into ACTIVATIONS
    output: jax.Array  # () int32 index into ACTIVATIONS for the output unit


def make_arch(features, hidden_layers, activation: str, output: str) -> Arch:
    """The traced description of a network with these features, hidden layer widths and activations.

    Built in numpy: eager jax operations with a new static slice (a layer, a width) would each compile a
    program of their own the first time a person picks that shape.
    """
    if output not in OUTPUT_ACTIVATIONS:
        raise ValueError(f"the output unit is one of {', '.join(OUTPUT_ACTIVATIONS)}, not {output}")
    units = np.zeros((MAX_LAYERS, MAX_WIDTH), np.float32)
    for layer, width in enumerate(hidden_layers):
        units[layer, :width] = 1.0
    return Arch(
        feature_mask=feature_mask(features),
        unit_mask=units,
        depth=np.int32(len(hidden_layers)),
        activation=np.int32(ACTIVATION_INDEX[activation]),
        output=np.int32(ACTIVATION_INDEX[output]),
    )


def activate(index: jax.Array, z: jax.Array) -> jax.Array:
    """Apply the activation the traced index names; only the chosen branch runs."""
    return jax.lax.switch(index, ACTIVATION_FUNCTIONS, z)


def activate_with_derivative(index: jax.Array, z: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The activation the traced index names and its derivative at z, both from the one branch that runs."""
    branches = [lambda v, f=f: jax.jvp(f, (v,), (jnp.ones_like(v),)) for f in ACTIVATION_FUNCTIONS]
    return jax.lax.switch(index, branches, z)


def relative_slope(index: jax.Array, derivative: jax.Array) -> jax.Array:
    """A derivative's size relative to the activation's steepest (1 = fully live, 0 = flat).

    The size, not the signed value: sin's derivative runs down to −1 where the unit is fully live.
    """
    return jnp.abs(derivative) / jnp.asarray(_PEAK_SLOPES)[index]


POINTS_BLOCK = 16  # rows per block of a sum over the points (see sum_over_points)


def sum_over_points(spec: str, *operands: jax.Array) -> jax.Array:
    """jnp.einsum(spec, *operands) where the index `n`, the points, is summed: in blocks of POINTS_BLOCK
    points, a batch of small products, then a sum over the blocks.

    XLA's one-kernel code for a frame (backend/xla.py) computes a product along a long axis as a plain
    loop, about ten times slower than these blocks (ten products over 2000 points of 16 units: 7.5 ms
    against 0.7 ms). A number of points that is not a multiple of the block is summed in one product.
    """
    inputs, output = spec.split("->")
    terms = inputs.split(",")
    points = operands[0].shape[terms[0].index("n")]
    xp = array_module(operands[0])
    if points % POINTS_BLOCK or points == POINTS_BLOCK:
        return xp.einsum(spec, *operands)
    blocked = []
    for term, operand in zip(terms, operands):
        axis = term.index("n")
        shape = (*operand.shape[:axis], points // POINTS_BLOCK, POINTS_BLOCK, *operand.shape[axis + 1:])
        blocked.append(operand.reshape(shape))
    per_block = xp.einsum(",".join(t.replace("n", "bn") for t in terms) + "->b" + output, *blocked)
    return xp.sum(per_block, axis=0)


def score(arch: Arch, output: jax.Array) -> jax.Array:
    """The output in label units: a sigmoid's probability p becomes 2p − 1; others pass through."""
    return jnp.where(arch.output == ACTIVATION_INDEX["sigmoid"], 2.0 * output - 1.0, output)


def input_mask(arch: Arch) -> jax.Array:
    """The padded input layer's mask: chosen features, then zeros to the layers' width (MAX_WIDTH, or less
    in a narrowed program: see narrow)."""
    return array_module(arch.unit_mask).pad(arch.feature_mask, (0, arch.unit_mask.shape[1] - NUM_FEATURES))


def layer_masks(arch: Arch) -> jax.Array:
    """Masks of every layer from the input up: (MAX_LAYERS + 1, MAX_WIDTH)."""
    return array_module(arch.unit_mask).concatenate([input_mask(arch)[None], arch.unit_mask])


def last_mask(arch: Arch) -> jax.Array:
    """The mask of the layer the output unit reads: the last hidden layer, or the inputs."""
    return layer_masks(arch)[arch.depth]


def weight_masks(arch: Arch) -> Params:
    """1 where a weight or bias joins two real units, 0 in the padding."""
    masks = layer_masks(arch)
    return Params(
        w=masks[:-1, :, None] * masks[1:, None, :],
        b=arch.unit_mask,
        w_out=last_mask(arch),
        b_out=array_module(arch.unit_mask).ones((), np.float32),
    )


NARROW = 8  # a network no wider than this trains in programs of this width (see narrow)
assert NARROW >= NUM_FEATURES, "a narrowed first layer must still hold every input feature"


def fitting_width(widths, hidden_layers) -> int:
    """The narrowest of the static `widths` (ascending, the last MAX_WIDTH) that holds every hidden layer."""
    widest = max(hidden_layers, default=1)
    return next(width for width in widths if width >= widest)


def is_params(x) -> bool:
    return isinstance(x, Params)


def narrow(tree, width: int):
    """`tree` (a pytree holding Params and an Arch, or either) cut to the first `width` units of every layer.

    Padding to MAX_WIDTH makes every product, covariance and elimination of a narrow network as large as the
    widest's; a program specialised to a static width computes only what a network that narrow can use
    (the masks keep padded units out of every result, so cutting them changes none). `widen` puts the cut back.
    """
    def cut(x):
        if isinstance(x, Params):
            return Params(x.w[:, :width, :width], x.b[:, :width], x.w_out[:width], x.b_out)
        if isinstance(x, Arch):
            return x._replace(unit_mask=x.unit_mask[:, :width])
        return x
    return jax.tree.map(cut, tree, is_leaf=lambda x: isinstance(x, (Params, Arch)))


def widen(tree, padded):
    """`tree` from `narrow` written back into the full-width pytree `padded` it was cut from."""
    def paste(old, new):
        if not isinstance(old, Params):
            return new
        width = new.b.shape[1]
        return Params(old.w.at[:, :width, :width].set(new.w), old.b.at[:, :width].set(new.b),
                      old.w_out.at[:width].set(new.w_out), new.b_out)
    return jax.tree.map(paste, padded, tree, is_leaf=is_params)


class Forward(NamedTuple):
    """One pass: the output unit before and after its activation, every layer's values, and the derivatives
    of every activation at its input, which backpropagation (training.backprop) and saturation read.

    Layers past the network's depth are zero: the arrays have MAX_LAYERS hidden layers whatever the depth."""

    logit: jax.Array  # (n,)
    output: jax.Array  # (n,)
    output_derivative: jax.Array  # (n,) d output / d logit
    layers: jax.Array  # (MAX_LAYERS + 1, n, MAX_WIDTH) the inputs, then every hidden layer's activations, padding zeroed
    derivatives: jax.Array  # (MAX_LAYERS, n, MAX_WIDTH) d activation / d pre-activation, padding zeroed

    @property
    def hidden(self) -> jax.Array:
        """(MAX_LAYERS, n, MAX_WIDTH) the hidden layers' activations."""
        return self.layers[1:]


def forward(params: Params, arch: Arch, inputs: jax.Array) -> Forward:
    """Run the network's hidden layers (as many as its traced depth) over padded inputs (n, MAX_WIDTH).

    The layers are a loop with a traced trip count, so one program serves every depth and computes only
    the layers a network has.
    """
    layers = jnp.zeros((params.w.shape[0] + 1, *inputs.shape), inputs.dtype).at[0].set(inputs)
    derivatives = jnp.zeros((params.w.shape[0], *inputs.shape), inputs.dtype)

    def layer(index, carry):
        h, layers, derivatives = carry
        a, d = activate_with_derivative(arch.activation, h @ params.w[index] + params.b[index])
        h = a * arch.unit_mask[index]
        return h, layers.at[index + 1].set(h), derivatives.at[index].set(d * arch.unit_mask[index])

    h, layers, derivatives = jax.lax.fori_loop(0, arch.depth, layer, (inputs, layers, derivatives))
    logit = h @ params.w_out + params.b_out
    output, output_derivative = _output_with_derivative(arch.output, logit)
    return Forward(logit, output, output_derivative, layers, derivatives)


def _output_with_derivative(index: jax.Array, logit: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The output unit's value and derivative: every possible output activation computed and the named one kept.

    Over one value per point that is a single fused operation, where a switch is three (the conditional,
    the activation, its derivative) — and a training step runs it for every batch.
    """
    pairs = [jax.jvp(ACTIVATIONS[name][0], (logit,), (jnp.ones_like(logit),)) for name in OUTPUT_ACTIVATIONS]
    which = jnp.asarray(_OUTPUT_SLOT)[index]
    return jax.lax.select_n(which, *(v for v, _ in pairs)), jax.lax.select_n(which, *(d for _, d in pairs))


def _playground(rng, fan_in, fan_out, shape):
    """The TensorFlow Playground's start: uniform in ±0.5, biases 0.1."""
    return rng.uniform(-0.5, 0.5, shape), 0.1


def _xavier(rng, fan_in, fan_out, shape):
    """Glorot and Bengio (2010): uniform with variance 2 / (fan_in + fan_out)."""
    return rng.uniform(-1.0, 1.0, shape) * np.sqrt(6.0 / max(fan_in + fan_out, 1.0)), 0.0


def _he(rng, fan_in, fan_out, shape):
    """He et al. (2015): normal with variance 2 / fan_in, for rectifiers."""
    return rng.normal(size=shape) * np.sqrt(2.0 / max(fan_in, 1.0)), 0.0


def _lecun(rng, fan_in, fan_out, shape):
    """LeCun et al. (1998): normal with variance 1 / fan_in."""
    return rng.normal(size=shape) * np.sqrt(1.0 / max(fan_in, 1.0)), 0.0


# Ordered registry: name -> sampler(rng, fan_in, fan_out, shape) -> (weights, bias value), on the host.
INITS = {"playground": _playground, "xavier": _xavier, "he": _he, "lecun": _lecun}


def init_params(rng: np.random.Generator, arch: Arch, init: str, scale: float) -> Params:
    """Fresh weights for `arch` (built by make_arch, on the host) by the named init, weights times `scale`;
    padding is zero. numpy, not a program: it runs once a network and compiling it took a second of every
    cold start."""
    masks = weight_masks(arch)
    fans = layer_masks(arch).sum(axis=1)
    fan_in = [*fans[:-1], fans[arch.depth]]
    fan_out = [*fans[1:], 1.0]  # the output layer feeds one unit
    sampler = INITS[init]
    layers = [sampler(rng, fan_in[layer], fan_out[layer], PADDED_PARAMS.w[1:]) for layer in range(MAX_LAYERS)]
    w_out, b_out = sampler(rng, fan_in[-1], fan_out[-1], PADDED_PARAMS.w_out)
    params = Params(
        w=np.stack([w for w, _ in layers]) * scale,
        b=np.stack([np.full(PADDED_PARAMS.b[1:], b) for _, b in layers]),
        w_out=w_out * scale,
        b_out=np.asarray(b_out),
    )
    return Params(*((p * m).astype(np.float32) for p, m in zip(params, masks)))
