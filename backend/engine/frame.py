"""What one frame shows of the data, computed together at the current weights.

Losses and accuracies, gradient flow per weight layer, and each hidden layer's
view of the data: a steady 2-D projection and a linear-probe accuracy. The
pictures over the plane (output grid, neuron thumbnails) are pictures.py's.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from .network import MAX_LAYERS, MAX_WIDTH, Arch, Params, forward, layer_masks, relative_slope, score, weight_masks
from .training import Data, Hyper, TrainState, backprop, point_loss

SATURATED = 0.1  # a unit is saturated where its slope is below this fraction of the steepest
PROBE_RIDGE = 1e-3  # ridge strength of the linear probe, relative to the number of points


class Frame(NamedTuple):
    train_loss: jax.Array
    test_loss: jax.Array
    train_accuracy: jax.Array
    test_accuracy: jax.Array
    gradient_norms: jax.Array  # (depth + 1,) input side first
    update_ratios: jax.Array  # (depth + 1,)
    saturation: jax.Array  # (depth + 1,)
    projections: jax.Array  # (depth, slots, 2)
    params: Params  # the weights the frame was taken at (padded)
    probe_accuracy: jax.Array  # (depth,)
    input_probe_accuracy: jax.Array  # ()


def _accuracy(scores, labels, mask):
    hits = (jnp.where(scores >= 0, 1.0, -1.0) == labels) * mask
    return jnp.sum(hits) / jnp.maximum(jnp.sum(mask), 1.0)


def _layer_norms(w: jax.Array, w_out: jax.Array, depth: int) -> jax.Array:
    """The Euclidean norm of each weight layer, input side first: `depth` hidden layers, then the output's."""
    return jnp.concatenate([jnp.sqrt(jnp.sum(w[:depth] ** 2, axis=(1, 2))), jnp.sqrt(jnp.sum(w_out**2))[None]])


def _solve_spd(matrices: jax.Array, rhs: jax.Array) -> jax.Array:
    """Solve a batch of small symmetric positive-definite systems by Gauss-Jordan elimination.

    Unrolled elementwise steps batch across layers and fuse, where a LAPACK call per layer does not;
    each step is one select over the whole augmented matrix, so it compiles to one fused operation.
    """
    aug = jnp.concatenate([matrices, rhs[..., None]], axis=-1)
    rows = jnp.arange(matrices.shape[-1])[None, :, None]
    for i in range(matrices.shape[-1]):
        pivot = aug[:, i : i + 1, :] / aug[:, i : i + 1, i : i + 1]
        aug = jnp.where(rows == i, pivot, aug - aug[:, :, i : i + 1] * pivot)
    return aug[..., -1]


def moments(acts: jax.Array, mask: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Per layer of acts (layers, n, width), over the masked points: the mean, the points minus it
    (masked), and the covariance. The probe and the projection both start from these."""
    n = jnp.maximum(jnp.sum(mask), 1.0)
    mean = jnp.einsum("lni,n->li", acts, mask) / n
    centred = (acts - mean[:, None, :]) * mask[None, :, None]
    return mean, centred, jnp.einsum("lni,lnj->lij", centred, centred) / n


def probe_accuracy(centred: jax.Array, cov: jax.Array, labels: jax.Array, mask: jax.Array) -> jax.Array:
    """Per layer, the accuracy on the masked points of the best ridge-regularised linear read-out of the
    ±1 labels: how linearly separable each representation is.

    A closed-form ridge fit on the layer's centred units (see `moments`), with an intercept that is
    not penalised (the mean label).
    """
    n = jnp.maximum(jnp.sum(mask), 1.0)
    mean_label = jnp.sum(labels * mask) / n
    ridged = cov + PROBE_RIDGE * jnp.eye(cov.shape[-1])
    weights = _solve_spd(ridged, jnp.einsum("lni,n->li", centred, (labels - mean_label) * mask) / n)
    guesses = jnp.where(jnp.einsum("lni,li->ln", centred, weights) + mean_label >= 0, 1.0, -1.0)
    return jnp.sum((guesses == labels) * mask, axis=1) / n


POWER_SQUARINGS = 6  # a covariance is raised to the 2^6-th power to isolate its top axis
# Scaled so its largest entry is 1, a w × w covariance has its top eigenvalue between 1 and w (16), so
# three squarings in a row stay below 16^8 = 2^32, far from float32's range either way: the scaling
# (a reduction and a division) is needed before every third squaring only.
SQUARINGS_PER_SCALING = 3


def _unit(v: jax.Array) -> jax.Array:
    return v / jnp.maximum(jnp.linalg.norm(v, axis=-1, keepdims=True), 1e-30)


def _top_axis(cov: jax.Array, start: jax.Array) -> jax.Array:
    """The top eigenvector of each covariance (layers, w, w) by repeated squaring, from `start` (layers, w)."""
    power = cov
    for squaring in range(POWER_SQUARINGS):
        if squaring % SQUARINGS_PER_SCALING == 0:
            power = power / jnp.maximum(jnp.max(jnp.abs(power), axis=(1, 2), keepdims=True), 1e-30)
        power = power @ power
    return _unit(jnp.einsum("lij,lj->li", power, start) + 1e-6 * start)


def _principal_axes(cov: jax.Array, start: jax.Array) -> jax.Array:
    """Top two eigenvectors of each covariance (layers, w, w) by power iteration with deflation, largest first.

    `start` (layers, 2, w) is last frame's axes, so the answer moves smoothly from frame to frame.
    The second axis is the top axis of the covariance with the first removed (Hotelling's deflation):
    a high power of the covariance itself keeps nothing of the second eigenvector in float32.
    """
    fallback = jnp.eye(2, cov.shape[-1]) + 1e-3
    start = jnp.where(jnp.sum(start**2, axis=(1, 2), keepdims=True) > 0, start, fallback)
    first = _top_axis(cov, start[:, 0])
    variance = jnp.einsum("li,lij,lj->l", first, cov, first)
    deflated = cov - variance[:, None, None] * first[:, :, None] * first[:, None, :]
    second = _top_axis(deflated, start[:, 1])
    second = _unit(second - jnp.sum(second * first, axis=-1, keepdims=True) * first)
    # Rotate within the plane found so the first axis carries the most variance (2×2 Rayleigh-Ritz).
    q = jnp.stack([first, second], axis=1)
    small = jnp.einsum("lai,lij,lbj->lab", q, cov, q)
    angle = 0.5 * jnp.arctan2(2 * small[:, 0, 1], small[:, 0, 0] - small[:, 1, 1])
    c, s = jnp.cos(angle)[:, None], jnp.sin(angle)[:, None]
    return jnp.stack([c * first + s * second, -s * first + c * second], axis=1)


def _projections(hidden: jax.Array, mean: jax.Array, cov: jax.Array, widths: jax.Array, prev_axes: jax.Array):
    """Each layer's points in 2-D: principal components (of the training points' `cov`, about their
    `mean`), or the raw units when a layer has ≤ 2.

    Each axis keeps the sign it had last frame (with no history, its largest entry is positive),
    so the picture does not flip from frame to frame.
    """
    raw = widths[:, None, None] <= 2
    axes = jnp.where(raw, jnp.eye(2, hidden.shape[-1]), _principal_axes(cov, prev_axes))
    centre = jnp.where(raw[:, :, 0], 0.0, mean)
    agreement = jnp.sum(axes * prev_axes, axis=-1)
    largest = jnp.take_along_axis(axes, jnp.argmax(jnp.abs(axes), axis=-1)[..., None], axis=-1)[..., 0]
    sign = jnp.where(agreement != 0, jnp.sign(agreement), jnp.where(largest < 0, -1.0, 1.0))
    axes = axes * sign[..., None]
    return jnp.einsum("lni,lai->lna", hidden - centre[:, None, :], axes), axes


def make_frame(
    state: TrainState, arch: Arch, hyper: Hyper, data: Data, prev_axes: jax.Array, depth: int
) -> tuple[Frame, jax.Array]:
    """Compute one frame for a network of `depth` (static) hidden layers, and the projection axes
    (MAX_LAYERS, 2, width) to feed into the next one; width is the params' (MAX_WIDTH, or a narrowed
    program's: network.narrow)."""
    params = state.params
    out = forward(params, arch, data.inputs, depth)
    scores = score(arch, out.output)
    losses = point_loss(hyper.loss, out.logit, out.output, data.labels)
    mean = lambda v, m: jnp.sum(v * m) / jnp.maximum(jnp.sum(m), 1.0)

    grads = backprop(params, arch, hyper, out, data.inputs, data.labels, data.train, depth)
    masks = weight_masks(arch)
    # Per weight layer, input side first, each as one (depth + 1, ...) stack: one reduction for all layers.
    # Masked, so values in the padding (zero, unless an edited export put them there) count for nothing.
    real_norms = lambda p: _layer_norms(p.w * masks.w, p.w_out * masks.w_out, depth)
    gradient_norms = real_norms(grads)
    ratios = real_norms(state.last_update) / jnp.maximum(real_norms(params), 1e-12)

    unit_masks = layer_masks(arch)[1:]
    units = unit_masks[:depth, None, :]
    flat = (relative_slope(arch.activation, jnp.stack(out.derivatives)) < SATURATED) * units if depth else units
    hidden_saturation = jnp.sum(jnp.sum(flat, axis=2) * data.train, axis=1) / jnp.maximum(
        jnp.sum(data.train) * jnp.sum(units, axis=(1, 2)), 1.0
    )
    saturation = jnp.concatenate(
        [hidden_saturation, mean(relative_slope(arch.output, out.output_derivative) < SATURATED, data.train)[None]]
    )

    hidden = jnp.stack(out.hidden) if depth else jnp.zeros((0, out.logit.shape[0], params.b.shape[1]))
    # One fit per layer on the training points serves both the probe and the projection.
    centre, centred, cov = moments(hidden, data.train)
    widths = unit_masks.sum(axis=1)[:depth]
    projections, axes = _projections(hidden, centre, cov, widths, prev_axes[:depth])

    frame = Frame(
        train_loss=mean(losses, data.train),
        test_loss=mean(losses, data.test),
        train_accuracy=_accuracy(scores, data.labels, data.train),
        test_accuracy=_accuracy(scores, data.labels, data.test),
        gradient_norms=gradient_norms,
        update_ratios=ratios,
        saturation=saturation,
        projections=projections,
        params=params,
        probe_accuracy=probe_accuracy(centred, cov, data.labels, data.train),
        input_probe_accuracy=data.input_probe_accuracy,
    )
    return frame, jnp.concatenate([axes, prev_axes[depth:]])


def empty_axes() -> jax.Array:
    return jnp.zeros((MAX_LAYERS, 2, MAX_WIDTH), jnp.float32)
