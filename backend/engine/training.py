"""Losses, regularisation, the optax optimisers and the compiled multi-epoch update.

Every hyper-parameter is a traced value: learning rate through
optax.inject_hyperparams, the optimiser, loss and regulariser by traced index.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from .network import Arch, Params, forward, weight_masks

MAX_BATCH = 64  # largest mini-batch; smaller ones are masked inside a batch of this size

# Ordered registry: name -> optax optimiser factory taking the learning rate.
OPTIMIZERS = {
    "sgd": optax.inject_hyperparams(optax.sgd),
    "momentum": optax.inject_hyperparams(lambda learning_rate: optax.sgd(learning_rate, momentum=0.9)),
    "adam": optax.inject_hyperparams(optax.adam),
}
OPTIMIZER_INDEX = {name: i for i, name in enumerate(OPTIMIZERS)}
_OPTIMIZERS = [factory(learning_rate=0.0) for factory in OPTIMIZERS.values()]

LOSSES = ("squared", "cross_entropy")  # ordered: squared on a tanh (or linear) output, cross-entropy on a sigmoid
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

    inputs: jax.Array  # (slots, MAX_WIDTH) features of every point
    points: jax.Array  # (slots, 2) raw coordinates
    labels: jax.Array  # (slots,)
    train: jax.Array  # (slots,) float mask
    test: jax.Array  # (slots,) float mask


class TrainState(NamedTuple):
    """What training carries from one call to the next."""

    params: Params
    opt_states: tuple  # one state per optimiser in OPTIMIZERS; only the chosen one moves
    key: jax.Array
    last_update: Params  # the most recent step's change to every parameter


def init_opt_states(params: Params) -> tuple:
    return tuple(opt.init(params) for opt in _OPTIMIZERS)


def point_loss(loss: jax.Array, logit: jax.Array, output: jax.Array, labels: jax.Array) -> jax.Array:
    """Per-point loss: ½(output − label)² or binary cross-entropy from the logit (labels ±1)."""
    squared = 0.5 * (output - labels) ** 2
    cross_entropy = optax.sigmoid_binary_cross_entropy(logit, (labels + 1.0) / 2.0)
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


def data_loss(params: Params, arch: Arch, hyper: Hyper, inputs, labels, mask, depth: int) -> jax.Array:
    """Mean loss over the masked points."""
    out = forward(params, arch, inputs, depth)
    losses = point_loss(hyper.loss, out.logit, out.output, labels)
    return jnp.sum(losses * mask) / jnp.maximum(jnp.sum(mask), 1.0)


def _objective(params, arch, hyper, inputs, labels, mask, depth):
    return data_loss(params, arch, hyper, inputs, labels, mask, depth) + penalty(params, arch, hyper)


def _set_learning_rate(opt_states: tuple, learning_rate: jax.Array) -> tuple:
    for state in opt_states:
        state.hyperparams["learning_rate"] = learning_rate
    return opt_states


def _apply(optimizer, grads, opt_states, params):
    """One optax update with the optimiser the traced index names."""

    def branch(i):
        def run(grads, opt_states, params):
            updates, new_state = _OPTIMIZERS[i].update(grads, opt_states[i], params)
            return updates, opt_states[:i] + (new_state,) + opt_states[i + 1 :]

        return run

    return jax.lax.switch(optimizer, [branch(i) for i in range(len(_OPTIMIZERS))], grads, opt_states, params)


# Primes above MAX_SAMPLES: a stride of any of them visits every one of n ≤ MAX_SAMPLES slots once.
_STRIDES = jnp.asarray([2003, 2011, 2017, 2027, 2029, 2039, 2053, 2063, 2069, 2081, 2083, 2087, 2089, 2099, 2111, 2113])


def train_epochs(state: TrainState, arch: Arch, hyper: Hyper, data: Data, epochs: jax.Array, depth: int):
    """Run `epochs` (traced) passes over the training points in mini-batches.

    Each epoch visits the training points (the first n_train slots of `data`) in
    the order offset + i·stride mod n_train, with a random offset and a random
    prime stride: a different order every epoch at the cost of one multiply,
    where a sort-based shuffle of 2000 slots costs more than the epoch itself.
    """
    n_train = jnp.maximum(jnp.sum(data.train).astype(jnp.int32), 1)
    batch = jnp.maximum(hyper.batch_size, 1)
    steps = (n_train + batch - 1) // batch
    slots = jnp.arange(MAX_BATCH)
    grad_fn = jax.grad(_objective)

    def step(k, carry):
        params, opt_states, offset, stride, _ = carry
        position = k * batch + slots
        mask = ((slots < batch) & (position < n_train)).astype(jnp.float32)
        idx = (offset + position * stride) % n_train
        inputs, labels = data.inputs[idx], data.labels[idx]
        grads = grad_fn(params, arch, hyper, inputs, labels, mask, depth)
        updates, opt_states = _apply(hyper.optimizer, grads, opt_states, params)
        return optax.apply_updates(params, updates), opt_states, offset, stride, updates

    def epoch(_, carry):
        params, opt_states, key, last = carry
        key, k_offset, k_stride = jax.random.split(key, 3)
        offset = jax.random.randint(k_offset, (), 0, n_train)
        stride = jax.random.choice(k_stride, _STRIDES) % n_train
        carry = (params, opt_states, offset, stride, last)
        params, opt_states, _, _, last = jax.lax.fori_loop(0, steps, step, carry)
        return params, opt_states, key, last

    opt_states = _set_learning_rate(state.opt_states, hyper.learning_rate)
    carry = (state.params, opt_states, state.key, state.last_update)
    params, opt_states, key, last = jax.lax.fori_loop(0, epochs, epoch, carry)
    return TrainState(params, opt_states, key, last)
