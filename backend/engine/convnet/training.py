"""Training a ConvNet: softmax cross-entropy with L2 on the weights, the playground's optax optimisers,
mini-batches drawn from a fresh permutation of the training images every epoch.

Everything a person changes while training (learning rate, optimiser, activation, L2) is traced; the
batch size is static, part of the program like the network's shape.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from ..packing import Layout
from ..training import OPTIMIZERS, apply_optimizer
from .network import Params, Shape, forward


class Hyper(NamedTuple):
    """Traced training settings."""

    learning_rate: jax.Array  # () float32
    optimizer: jax.Array  # () int32 index into training.OPTIMIZERS
    activation: jax.Array  # () int32 index into network.ACTIVATIONS
    l2: jax.Array  # () float32 rate of the ½Σw² penalty on weights (never biases)


class Images(NamedTuple):
    """A dataset on the device."""

    train_images: jax.Array  # (n_train, side, side)
    train_labels: jax.Array  # (n_train,) int32
    test_images: jax.Array  # (n_test, side, side)
    test_labels: jax.Array  # (n_test,) int32


class TrainState(NamedTuple):
    """What training carries from one call to the next."""

    params: Params
    opt_states: tuple  # one state per optimiser in OPTIMIZERS (see training.apply_optimizer)
    key: jax.Array  # (2,) uint32: each epoch's order derives from it and the epoch's number
    step: jax.Array  # () int32 mini-batches trained so far
    last_update: Params  # the most recent step's change to every parameter


def init_opt_states(params: Params) -> tuple:
    """Every optimiser's state for the parameters as one flat vector (how train_steps updates them)."""
    flat = Layout(params).pack(params)
    return tuple(factory(0.0).init(flat) for factory in OPTIMIZERS.values())


def objective(params: Params, shape: Shape, hyper: Hyper, images, labels, mask) -> tuple[jax.Array, jax.Array]:
    """What training minimises, the mean cross-entropy over the masked images plus the L2 penalty
    ½·rate·Σw² over every weight; and the mean cross-entropy alone (the loss a frame shows)."""
    logits = forward(params, shape, hyper.activation, images).logits
    losses = optax.softmax_cross_entropy_with_integer_labels(logits, labels)
    loss = jnp.sum(losses * mask) / jnp.maximum(jnp.sum(mask), 1.0)
    return loss + 0.5 * hyper.l2 * sum(jnp.sum(layer.w**2) for layer in params), loss


def steps_per_epoch(n_train: int, batch: int) -> int:
    """Mini-batches in an epoch: the last one holds what is left."""
    return -(-n_train // batch)


def train_steps(state: TrainState, shape: Shape, hyper: Hyper, data: Images, steps: jax.Array, *, batch: int
                ) -> tuple[TrainState, jax.Array, Params]:
    """Train `steps` (traced) mini-batches of `batch` images, continuing the epoch where the state left it:
    the new state, the mean loss of those mini-batches (NaN for none) and the last one's gradient (zeros
    for none).

    Every epoch visits the training images in a permutation drawn from the state's key and the epoch's
    number, so a run continues the same whatever the steps per call. The permutation is drawn in every
    step (a sort of about 1,500 numbers, a few per cent of a step): a loop with a sort stays a loop of XLA's
    separate operations, whose products run far faster here than the single kernel XLA makes of a
    loop without one (backend/xla.py; bench/convnet.py)."""
    n_train = data.train_labels.shape[0]
    per_epoch = steps_per_epoch(n_train, batch)
    flat = Layout(state.params)
    rows = jnp.arange(batch)

    def step(k, carry):
        theta, opt_states, total, _, _ = carry
        epoch, within = jnp.divmod(state.step + k, per_epoch)
        order = jax.random.permutation(jax.random.fold_in(state.key, epoch), n_train)
        position = within * batch + rows
        mask = (position < n_train).astype(jnp.float32)
        chosen = order[jnp.minimum(position, n_train - 1)]
        images, labels = data.train_images[chosen], data.train_labels[chosen]
        (_, loss), grads = jax.value_and_grad(
            lambda t: objective(flat.unpack(t), shape, hyper, images, labels, mask), has_aux=True)(theta)
        updates, opt_states = apply_optimizer(hyper.optimizer, hyper.learning_rate, grads, opt_states, theta)
        return theta + updates, opt_states, total + loss, grads, updates

    theta = flat.pack(state.params)
    start = (theta, state.opt_states, jnp.zeros(()), jnp.zeros_like(theta), flat.pack(state.last_update))
    theta, opt_states, total, grads, update = jax.lax.fori_loop(0, steps, step, start)
    trained = TrainState(flat.unpack(theta), opt_states, state.key, state.step + steps, flat.unpack(update))
    return trained, total / steps, flat.unpack(grads)
