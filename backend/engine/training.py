"""Losses, regularisation, the optax optimisers and the compiled multi-epoch update.

Every hyper-parameter is a traced value: the learning rate goes straight into optax's
optimisers inside the compiled program, the optimiser, loss and regulariser are chosen by traced index.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .network import Arch, Forward, Params, forward, is_params, sum_over_points, weight_masks
from .packing import Layout

MAX_BATCH = 64  # largest mini-batch
# A step's forward and backward passes take a batch CHUNK points at a time, the last chunk masked: their
# cost grows with the rows computed, and the default batch of 10 would otherwise pay for 64.
CHUNK = 16

# Ordered registry: name -> optax optimiser factory taking the learning rate.
# The programs build each optimiser with the traced learning rate (a state never depends on it), where
# optax.inject_hyperparams would keep the rate and a step count of its own in every state: three
# more scalar operations a training step.
OPTIMIZERS = {
    "sgd": optax.sgd,
    "momentum": lambda learning_rate: optax.sgd(learning_rate, momentum=0.9),
    "adam": optax.adam,
}
OPTIMIZER_INDEX = {name: i for i, name in enumerate(OPTIMIZERS)}

# Per-point losses by name, ordered (the index is what a traced Hyper.loss holds): ½(output − label)² on a tanh
# (or linear) output, binary cross-entropy from the logit on a sigmoid (labels ±1).
POINT_LOSSES = {
    "squared": lambda logit, output, labels: 0.5 * (output - labels) ** 2,
    "cross_entropy": lambda logit, output, labels: optax.sigmoid_binary_cross_entropy(logit, (labels + 1.0) / 2.0),
}
LOSSES = tuple(POINT_LOSSES)
REGULARIZATIONS = ("none", "l1", "l2")  # ordered; always on weights only, never biases


class Hyper(NamedTuple):
    """Traced training settings."""

    learning_rate: jax.Array  # () float32
    batch_size: jax.Array  # () int32
    optimizer: jax.Array  # () int32 index into OPTIMIZERS
    loss: jax.Array  # () int32 index into LOSSES
    regularization: jax.Array  # () int32 index into REGULARIZATIONS
    regularization_rate: jax.Array  # () float32


class Data(NamedTuple):
    """A dataset on the device: padded inputs and labels with train and test masks.

    The training points fill the first slots (make_dataset's layout); training relies on it.
    """

    inputs: jax.Array  # (slots, MAX_WIDTH) features of every point, zero-padded (NARROW wide when narrowed)
    points: jax.Array  # (slots, 2) raw coordinates
    labels: jax.Array  # (slots,)
    train: jax.Array  # (slots,) float mask
    test: jax.Array  # (slots,) float mask
    input_probe_accuracy: jax.Array  # () the inputs' linear probe (frame.probe_accuracy): fixed with the data


class TrainState(NamedTuple):
    """What training carries from one call to the next."""

    params: Params
    opt_states: tuple  # one state per optimiser in OPTIMIZERS; all step, only the chosen one's update applies
    key: jax.Array
    last_update: Params  # the most recent step's change to every parameter


def init_opt_states(params: Params) -> tuple:
    return tuple(factory(0.0).init(params) for factory in OPTIMIZERS.values())


def fresh_opt_states(opt_states: tuple) -> tuple:
    """What init_opt_states gives, from states on the host without device work: every optimiser here
    starts from zeros (momentum's trace, adam's step count and moments), so a change of optimiser
    compiles nothing."""
    return jax.tree.map(np.zeros_like, opt_states)


def point_loss(loss: jax.Array, logit: jax.Array, output: jax.Array, labels: jax.Array) -> jax.Array:
    """Per-point loss of the traced choice `loss` (an index into LOSSES): both computed, one kept."""
    squared, cross_entropy = (f(logit, output, labels) for f in POINT_LOSSES.values())
    return jnp.where(loss == 1, cross_entropy, squared)


def penalty(params: Params, arch: Arch, hyper: Hyper) -> jax.Array:
    """rate · Σ|w| (l1) or rate · ½Σw² (l2) over the real weights; biases are never penalised."""
    masks = weight_masks(arch)
    weights = jnp.concatenate([(params.w * masks.w).ravel(), params.w_out * masks.w_out])
    l1 = jnp.sum(jnp.abs(weights))
    l2 = 0.5 * jnp.sum(weights**2)
    return hyper.regularization_rate * jnp.select(
        [hyper.regularization == 1, hyper.regularization == 2], [l1, l2], 0.0
    )


def data_loss(params: Params, arch: Arch, hyper: Hyper, inputs, labels, mask) -> jax.Array:
    """Mean loss over the masked points."""
    out = forward(params, arch, inputs)
    losses = point_loss(hyper.loss, out.logit, out.output, labels)
    return jnp.sum(losses * mask) / jnp.maximum(jnp.sum(mask), 1.0)


def objective(params, arch, hyper, inputs, labels, mask):
    """The training objective: mean loss over the masked points plus the weight penalty; `gradient` is its gradient."""
    return data_loss(params, arch, hyper, inputs, labels, mask) + penalty(params, arch, hyper)


def backprop(params: Params, arch: Arch, hyper: Hyper, out: Forward, labels, mask, count=None) -> Params:
    """The gradient of data_loss from a forward pass already made: backpropagation written out
    (Rumelhart, Hinton and Williams 1986), down through the network's traced depth.

    jax.grad of the same loss would differentiate each activation's switch on the way back (a
    second conditional per layer); here every derivative comes from the forward pass's one branch,
    and the frame reuses the forward it has already made for its gradient norms. `count`, the number of
    points the mask keeps, saves summing it when the caller knows it. Layers past the depth get zeros.
    """
    n = jnp.maximum(jnp.sum(mask) if count is None else count, 1.0)
    # d loss / d logit per point: cross-entropy on the logit, or ½(output − label)² through the output unit.
    cross_entropy = jax.nn.sigmoid(out.logit) - (labels + 1.0) / 2.0
    squared = (out.output - labels) * out.output_derivative
    delta = jnp.where(hyper.loss == 1, cross_entropy, squared) * mask / n
    depth = arch.depth

    def layer(step, carry):
        back, w, b = carry
        index = depth - 1 - step
        dz = back * out.derivatives[index]
        w = w.at[index].set(sum_over_points("ni,nj->ij", out.layers[index], dz))
        b = b.at[index].set(jnp.sum(dz, axis=0))
        return dz @ params.w[index].T, w, b

    start = (delta[:, None] * params.w_out, jnp.zeros_like(params.w), jnp.zeros_like(params.b))
    _, w, b = jax.lax.fori_loop(0, depth, layer, start)
    return Params(w=w, b=b, w_out=sum_over_points("n,ni->i", delta, out.layers[depth]), b_out=jnp.sum(delta))


def gradient(params: Params, arch: Arch, hyper: Hyper, inputs, labels, mask, count=None) -> Params:
    """The gradient of the training objective (mean loss over the masked points plus the penalty): what a
    training step computes for its batch, there summed over chunks of points (train_epochs)."""
    grads = backprop(params, arch, hyper, forward(params, arch, inputs), labels, mask, count)
    return jax.tree.map(jnp.add, grads, penalty_gradient(params, arch, hyper))


def penalty_gradient(params: Params, arch: Arch, hyper: Hyper) -> Params:
    """The gradient of `penalty`."""
    masks = weight_masks(arch)
    rate = hyper.regularization_rate
    shrink = lambda w, m: rate * m * jnp.select([hyper.regularization == 1, hyper.regularization == 2], [jnp.sign(w), w], 0.0)
    return Params(shrink(params.w, masks.w), jnp.zeros_like(params.b), shrink(params.w_out, masks.w_out), jnp.zeros_like(params.b_out))


def apply_optimizer(optimizer, learning_rate, grads, opt_states, params):
    """One optax update with the optimiser the traced index names.

    Every optimiser steps and the named one's update is applied: on a vector of a few hundred
    parameters that is a few fused elementwise passes, where a switch copies every state it passes
    through (a dozen copies a step). The others' states are never read: changing the optimiser
    starts it afresh (fresh_opt_states).
    """
    optimizers = [factory(learning_rate) for factory in OPTIMIZERS.values()]
    results = [opt.update(grads, state, params) for opt, state in zip(optimizers, opt_states)]
    return jax.lax.select_n(optimizer, *(update for update, _ in results)), tuple(state for _, state in results)


# Primes above MAX_SAMPLES: a stride of any of them visits every one of n ≤ MAX_SAMPLES slots once.
_STRIDES = np.asarray([2003, 2011, 2017, 2027, 2029, 2039, 2053, 2063, 2069, 2081, 2083, 2087, 2089, 2099, 2111, 2113])


def epoch_order(key: jax.Array, n_train) -> tuple[jax.Array, jax.Array, jax.Array]:
    """An epoch's order of the n_train training points, offset + i·stride mod n_train, and the next epoch's
    key. One draw of random bits gives both: each jax.random call is a loop of its own on a CPU, and split,
    randint and choice make half a dozen. The playground's training and the sweep's (sweep_program) share it."""
    bits = jax.random.bits(key, (4,), jnp.uint32)
    offset = (bits[0] % jnp.asarray(n_train).astype(jnp.uint32)).astype(jnp.int32)
    stride = jnp.asarray(_STRIDES)[bits[1] % len(_STRIDES)] % n_train
    return offset, stride, bits[2:]


def train_epochs(state: TrainState, arch: Arch, hyper: Hyper, data: Data, epochs: jax.Array):
    """Run `epochs` (traced) passes over the training points in mini-batches.

    Each epoch visits the training points (the first n_train slots of `data`) in
    the order offset + i·stride mod n_train, with a random offset and a random
    prime stride: a different order every epoch at the cost of one multiply,
    where a sort-based shuffle of 2000 slots costs more than the epoch itself.
    """
    n_train = jnp.maximum(jnp.sum(data.train).astype(jnp.int32), 1)
    batch = jnp.maximum(hyper.batch_size, 1)
    steps = (n_train + batch - 1) // batch
    rows = jnp.arange(CHUNK)
    # The loop carries parameters, optimiser states and last update as flat vectors: one leaf each
    # instead of four, so an optimiser step is a few operations, not dozens.
    flat = Layout(state.params)

    def step(k, carry):
        theta, opt_states, offset, stride, _ = carry
        params = flat.unpack(theta)
        count = jnp.minimum(batch, n_train - k * batch)  # points in this batch: sum(mask), without a reduction
        points = count.astype(jnp.float32)  # each chunk's share of the mean is over the whole batch

        def chunk(c, total):
            in_batch = c * CHUNK + rows
            position = k * batch + in_batch
            mask = ((in_batch < batch) & (position < n_train)).astype(jnp.float32)
            idx = (offset + position * stride) % n_train
            labels = data.labels[idx]
            out = forward(params, arch, data.inputs[idx])
            return total + flat.pack(backprop(params, arch, hyper, out, labels, mask, points))

        data_grads = jax.lax.fori_loop(0, (count + CHUNK - 1) // CHUNK, chunk, jnp.zeros_like(theta))
        grads = data_grads + flat.pack(penalty_gradient(params, arch, hyper))
        updates, opt_states = apply_optimizer(hyper.optimizer, hyper.learning_rate, grads, opt_states, theta)
        return theta + updates, opt_states, offset, stride, updates

    def epoch(_, carry):
        theta, opt_states, key, last = carry
        offset, stride, key = epoch_order(key, n_train)
        carry = (theta, opt_states, offset, stride, last)
        theta, opt_states, _, _, last = jax.lax.fori_loop(0, steps, step, carry)
        return theta, opt_states, key, last

    carry = (state.params, state.opt_states, state.key, state.last_update)
    packed = jax.tree.map(lambda x: flat.pack(x) if is_params(x) else x, carry, is_leaf=is_params)
    trained = jax.lax.fori_loop(0, epochs, epoch, packed)
    return TrainState(*jax.tree.map(lambda old, new: flat.unpack(new) if is_params(old) else new, carry, trained,
                                    is_leaf=is_params))
