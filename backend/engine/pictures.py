"""The pictures of a frame: the network's output over the plane and every hidden neuron's thumbnail.

Both come from one pass over a regular lattice of points (thumbnails sample the output
grid), which lets them skip most of the work the data-side frame does:
- The first layer needs no product over the 10 000 points. Every input feature depends on
  x1 alone, on x2 alone or on both, so over a lattice it is a row of values, a column of
  values or a full cells × cells array: the rows' and the columns' shares are small
  (cells, units) products, broadcast together with the few full terms in one fused pass.
- The layers above run in a loop over the network's traced depth, at a static width that
  covers its widest layer (PICTURE_WIDTHS): a network of 4-unit layers computes 4 rows, not the
  padded MAX_WIDTH.
- Values are laid out units × points, so that each elementwise pass runs along the
  10 000 points. (Layers of up to 8 units used to be weighted sums written out term by term,
  which fused into one pass; in one kernel (backend/xla.py) a product measured as fast or faster.)
So one program per width serves every depth, and a small network's pictures cost a small
fraction of the largest's (the output grid is 10 000 points, twenty times the data).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .data import EXTENT
from .features import FEATURES, NUM_FEATURES
from .network import (
    ACTIVATION_FUNCTIONS, ACTIVATION_INDEX, MAX_LAYERS, MAX_WIDTH, Arch, Params, activate, fitting_width, score,
)

DENSITY = 100  # output grid cells per side
THUMBNAIL = 16  # neuron thumbnail cells per side (160 neurons must fit a 64 KB frame)
# A thumbnail cell shows its neuron at the output-grid cell nearest the cell's centre (at most 0.06 away on
# the 12-wide plane), so one pass over the output lattice draws both pictures.
_NEAREST = np.round((np.arange(THUMBNAIL) + 0.5) * (DENSITY / THUMBNAIL) - 0.5).astype(np.int32)
THUMBNAIL_CELLS = (_NEAREST[:, None] * DENSITY + _NEAREST[None, :]).ravel()  # flat output-grid cells, row by row
PICTURE_WIDTHS = (4, 8, MAX_WIDTH)  # static widths of the picture programs; a network takes the smallest that fits


class Pictures(NamedTuple):
    output: jax.Array  # (DENSITY, DENSITY) the network's output in label units, row 0 at the top
    neurons: jax.Array  # (MAX_LAYERS, width, THUMBNAIL, THUMBNAIL) every hidden unit; absent layers are zero


def picture_width_for(hidden_layers) -> int:
    """The narrowest picture program that holds every layer of a network."""
    return fitting_width(PICTURE_WIDTHS, hidden_layers)


def lattice(cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Cell centres of a cells×cells grid over the plane: x1 per column, x2 per row from the top (x2 = +EXTENT).
    Host arrays: constants in a program, and no device work outside one."""
    step = 2 * EXTENT / cells
    centres = (-EXTENT + step * (np.arange(cells) + 0.5)).astype(np.float32)
    return centres, centres[::-1]


def _first_layer(weights: jax.Array, bias: jax.Array, feature_mask: jax.Array, cells: int):
    """A function giving pre-activations (units, cells, cells) over a lattice from weights (NUM_FEATURES, units)
    on the features; what it needs beyond one pass over the points is computed here, outside it.
    The caller flattens the cells after the activation: flattened inside the pass, every value's row and
    column would be a division and a remainder of its flat index (the default network's pictures took a
    third longer).

    Features of x1 alone vary along a row only and those of x2 alone down a column only, so their share
    is a small (cells, units) matrix product each, broadcast together with the terms of both (x1·x2) in
    one pass over the cells² points. Summed inside that pass, every feature (sin included) would be
    recomputed at each of the points.
    """
    x1, x2 = lattice(cells)
    w = weights * feature_mask[:, None]
    columns = [feature.value(x1[None, :], x2[:, None], jnp) for feature in FEATURES.values()]
    along = jnp.stack([v[0] if v.shape == (1, cells) else jnp.zeros(cells) for v in columns], axis=1)
    down = jnp.stack([v[:, 0] if v.shape == (cells, 1) else jnp.zeros(cells) for v in columns], axis=1)
    rows, cols = (along @ w).T[:, None, :], (down @ w + bias).T[:, :, None]
    full = [(w[column][:, None, None], values[None]) for column, values in enumerate(columns) if values.shape == (cells, cells)]

    def pass_over_points() -> jax.Array:
        total = rows + cols
        for weight, values in full:
            total = total + weight * values
        return total

    return pass_over_points


def _affine(h: jax.Array, weights: jax.Array, bias: jax.Array) -> jax.Array:
    """weightsᵀ h + bias for values h (units in, points) and weights (units in, units out)."""
    return weights.T @ h + bias[:, None]


def _layer(activation: jax.Array, h: jax.Array, weights: jax.Array, bias: jax.Array) -> jax.Array:
    """The activation the traced index names of the affine map: each branch is one fused pass."""
    branches = [lambda h, w, b, f=f: f(_affine(h, w, b)) for f in ACTIVATION_FUNCTIONS]
    return jax.lax.switch(activation, branches, h, weights, bias)


def pictures(params: Params, arch: Arch, width: int) -> Pictures:
    """Both pictures for a network of at most `width` (static) units a layer and any depth (traced).

    A linear model is the same pass with its output unit in the first layer's unit 0, passed through
    unchanged: a choice among a few weights rather than a select over every point. Padded units'
    values run through the layers above unmasked (their outgoing weights are zero) and only their
    thumbnails are masked.
    """
    depth = arch.depth
    hidden = depth > 0
    # The first weight layer: into hidden layer 0, or straight into the output unit for a linear model.
    into_output = jnp.zeros((MAX_WIDTH, width)).at[:, 0].set(params.w_out)
    first_w = jnp.where(hidden, params.w[0][:, :width], into_output)[:NUM_FEATURES]
    first_b = jnp.where(hidden, params.b[0][:width], jnp.zeros(width).at[0].set(params.b_out))
    first = _first_layer(first_w, first_b, arch.feature_mask, DENSITY)
    # The activation's branches each make the pass over the points: one fused pass with the activation.
    branches = [lambda f=f: f(first()) for f in ACTIVATION_FUNCTIONS]
    h = jax.lax.switch(jnp.where(hidden, arch.activation, ACTIVATION_INDEX["linear"]), branches).reshape(width, -1)
    thumbs = jnp.zeros((MAX_LAYERS, width, THUMBNAIL * THUMBNAIL)).at[0].set(h[:, THUMBNAIL_CELLS])

    def layer(index, carry):
        h, thumbs = carry
        h = _layer(arch.activation, h, params.w[index][:width, :width], params.b[index][:width])
        return h, jax.lax.dynamic_update_index_in_dim(thumbs, h[:, THUMBNAIL_CELLS], index, 0)

    h, thumbs = jax.lax.fori_loop(1, jnp.maximum(depth, 1), layer, (h, thumbs))
    last_w = jnp.where(hidden, params.w_out[:width], jnp.zeros(width).at[0].set(1.0))
    logit = _affine(h, last_w[:, None], jnp.where(hidden, params.b_out, 0.0)[None])[0]
    output = score(arch, activate(arch.output, logit))
    thumbs = thumbs * arch.unit_mask[:, :width, None]  # absent layers and padded units are zero
    return Pictures(
        output=output.reshape(DENSITY, DENSITY),
        neurons=thumbs.reshape(MAX_LAYERS, width, THUMBNAIL, THUMBNAIL),
    )
