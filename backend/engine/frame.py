"""What one frame shows of the data, computed together at the current weights.

Losses and accuracies, gradient flow per weight layer, and each hidden layer's
view of the data: a steady 2-D projection and a linear-probe accuracy. The
pictures over the plane (output grid, neuron thumbnails) are pictures.py's.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .features import array_module
from .network import (
    MAX_LAYERS, MAX_WIDTH, Arch, Params, forward, relative_slope, score, sum_over_points, weight_masks,
)
from .training import Data, Hyper, TrainState, backprop, point_loss

SATURATED = 0.1  # a unit is saturated where its slope is below this fraction of the steepest
PROBE_RIDGE = 1e-3  # ridge strength of the linear probe, relative to the number of points


class Frame(NamedTuple):
    train_loss: jax.Array
    test_loss: jax.Array
    train_accuracy: jax.Array
    test_accuracy: jax.Array
    # Per weight layer or hidden layer, padded to MAX_LAYERS (+ 1): only the network's depth (+ 1) are real.
    gradient_norms: jax.Array  # (MAX_LAYERS + 1,) input side first, the output layer's at index depth
    update_ratios: jax.Array  # (MAX_LAYERS + 1,) likewise
    saturation: jax.Array  # (MAX_LAYERS + 1,) likewise
    projections: jax.Array  # (MAX_LAYERS, slots, 2)
    params: Params  # the weights the frame was taken at (padded)
    probe_accuracy: jax.Array  # (MAX_LAYERS,)
    input_probe_accuracy: jax.Array  # ()


def _accuracy(scores, labels, mask):
    hits = (jnp.where(scores >= 0, 1.0, -1.0) == labels) * mask
    return jnp.sum(hits) / jnp.maximum(jnp.sum(mask), 1.0)


def _per_weight_layer(hidden: jax.Array, output: jax.Array, depth: jax.Array) -> jax.Array:
    """(MAX_LAYERS + 1,) one value per weight layer, input side first: the hidden layers' (zero past the
    depth), then the output layer's at index `depth`."""
    return jnp.concatenate([hidden, jnp.zeros(1)]).at[depth].set(output)


def _layer_norms(w: jax.Array, w_out: jax.Array, depth: jax.Array) -> jax.Array:
    """The Euclidean norm of each weight layer, input side first (see _per_weight_layer)."""
    return _per_weight_layer(jnp.sqrt(jnp.sum(w**2, axis=(1, 2))), jnp.sqrt(jnp.sum(w_out**2)), depth)


def _solve_spd(matrices: jax.Array, rhs: jax.Array) -> jax.Array:
    """Solve a batch of small symmetric positive-definite systems by Gauss-Jordan elimination.

    Unrolled elementwise steps batch across layers and fuse, where a LAPACK call per layer does not;
    each step is one select over the whole augmented matrix, so it compiles to one fused operation.
    """
    xp = array_module(matrices)
    aug = xp.concatenate([matrices, rhs[..., None]], axis=-1)
    rows = xp.arange(matrices.shape[-1])[None, :, None]
    for i in range(matrices.shape[-1]):
        pivot = aug[:, i : i + 1, :] / aug[:, i : i + 1, i : i + 1]
        aug = xp.where(rows == i, pivot, aug - aug[:, :, i : i + 1] * pivot)
    return aug[..., -1]


def moments(acts: jax.Array, mask: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Per layer of acts (layers, n, width), over the masked points: the mean, the points minus it
    (masked), and the covariance. The probe and the projection both start from these. numpy arrays in,
    numpy out (the inputs' probe is computed on the host: program.to_device)."""
    n = array_module(acts).maximum(mask.sum(), 1.0)
    mean = sum_over_points("lni,n->li", acts, mask) / n
    centred = (acts - mean[:, None, :]) * mask[None, :, None]
    return mean, centred, sum_over_points("lni,lnj->lij", centred, centred) / n


def probe_accuracy(centred: jax.Array, cov: jax.Array, labels: jax.Array, mask: jax.Array) -> jax.Array:
    """Per layer, the accuracy on the masked points of the best ridge-regularised linear read-out of the
    ±1 labels: how linearly separable each representation is.

    A closed-form ridge fit on the layer's centred units (see `moments`), with an intercept that is
    not penalised (the mean label). Like `moments`, on the host for numpy arrays.
    """
    xp = array_module(centred)
    n = xp.maximum(mask.sum(), 1.0)
    mean_label = (labels * mask).sum() / n
    ridged = cov + PROBE_RIDGE * xp.eye(cov.shape[-1], dtype=cov.dtype)
    weights = _solve_spd(ridged, sum_over_points("lni,n->li", centred, (labels - mean_label) * mask) / n)
    guesses = xp.where(xp.einsum("lni,li->ln", centred, weights) + mean_label >= 0, 1.0, -1.0)
    return ((guesses == labels) * mask).sum(axis=1) / n


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


def make_frame(state: TrainState, arch: Arch, hyper: Hyper, data: Data, prev_axes: jax.Array) -> tuple[Frame, jax.Array]:
    """Compute one frame, and the projection axes (MAX_LAYERS, 2, width) to feed into the next one; width is
    the params' (MAX_WIDTH, or a narrowed program's: network.narrow).

    Gradient norms, update ratios and saturation are computed for all MAX_LAYERS layers at once (those past
    the depth are zero); each layer's view (probe and projection) in a loop over the real layers only, which
    measured faster for the default network than one batch over all of them."""
    params, depth = state.params, arch.depth
    out = forward(params, arch, data.inputs)
    scores = score(arch, out.output)
    losses = point_loss(hyper.loss, out.logit, out.output, data.labels)
    mean = lambda v, m: jnp.sum(v * m) / jnp.maximum(jnp.sum(m), 1.0)

    grads = backprop(params, arch, hyper, out, data.labels, data.train)
    masks = weight_masks(arch)
    # Masked, so values in the padding (zero, unless an edited export put them there) count for nothing.
    real_norms = lambda p: _layer_norms(p.w * masks.w, p.w_out * masks.w_out, depth)
    gradient_norms = real_norms(grads)
    ratios = real_norms(state.last_update) / jnp.maximum(real_norms(params), 1e-12)

    units = arch.unit_mask[:, None, :]
    flat = (relative_slope(arch.activation, out.derivatives) < SATURATED) * units
    hidden_saturation = jnp.sum(jnp.sum(flat, axis=2) * data.train, axis=1) / jnp.maximum(
        jnp.sum(data.train) * jnp.sum(units, axis=(1, 2)), 1.0
    )
    output_saturation = mean(relative_slope(arch.output, out.output_derivative) < SATURATED, data.train)

    widths = arch.unit_mask.sum(axis=1)

    def layer_view(index, carry):
        projections, axes, probes = carry
        h = out.hidden[index][None]
        # One fit per layer on the training points serves both the probe and the projection.
        centre, centred, cov = moments(h, data.train)
        projection, axis = _projections(h, centre, cov, widths[index][None], prev_axes[index][None])
        probe = probe_accuracy(centred, cov, data.labels, data.train)
        return projections.at[index].set(projection[0]), axes.at[index].set(axis[0]), probes.at[index].set(probe[0])

    empty = (jnp.zeros((MAX_LAYERS, out.logit.shape[0], 2)), prev_axes, jnp.zeros(MAX_LAYERS))
    projections, axes, probes = jax.lax.fori_loop(0, depth, layer_view, empty)

    frame = Frame(
        train_loss=mean(losses, data.train),
        test_loss=mean(losses, data.test),
        train_accuracy=_accuracy(scores, data.labels, data.train),
        test_accuracy=_accuracy(scores, data.labels, data.test),
        gradient_norms=gradient_norms,
        update_ratios=ratios,
        saturation=_per_weight_layer(hidden_saturation, output_saturation, depth),
        projections=projections,
        params=params,
        probe_accuracy=probes,
        input_probe_accuracy=data.input_probe_accuracy,
    )
    return frame, axes


def empty_axes() -> np.ndarray:
    """No projection axes yet (the first frame picks them), on the host: copied over with the first frame's call."""
    return np.zeros((MAX_LAYERS, 2, MAX_WIDTH), np.float32)
