"""The compiled program of a sweep: one group of networks (see sweep.py) trained side by side.

Every array has a trailing networks axis, and a dense layer is written in broadcast form,
(h[..., :, None, :] * w).sum(-3): XLA fuses it into one loop over points × units × networks whose innermost,
contiguous axis is the networks', so each operation runs on whole vectors. A `jax.vmap` of the playground's
step makes a batch of tiny matrix products instead, which on a CPU ran only 1.1–4 times the playground's rate
for 256 networks (as measured for the Experiments issue); the broadcast form with the networks axis first ran
at about half this layout's rate (its innermost axes, the points' and units', are a few wide). The gradient is
jax.grad of the networks' summed losses: each network's loss depends on its own weights only, so each gets its
own gradient.

Training follows training.train_epochs step for step: the same order of the training points each epoch
(offset + i·stride mod n_train, from the same key), the same batches, the mean loss over a batch plus the
penalty's gradient, the same optax optimiser.
"""
from __future__ import annotations

import itertools
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .frame import SATURATED
from .network import ACTIVATION_INDEX, ACTIVATIONS, relative_slope
from .program import TRACES
from .training import OPTIMIZERS, POINT_LOSSES, epoch_order


class Group(NamedTuple):
    """What the networks of one compiled program share (see sweep.py); hashable, the program's static argument."""

    features: int  # inputs
    hidden_layers: tuple[int, ...]  # widths, input side first; a network may use fewer of them (Networks.live)
    activation: str  # of the hidden layers, a name in network.ACTIVATIONS
    output: str  # the output unit's activation (Config.output_activation)
    loss: str  # a name in training.LOSSES
    optimizer: str  # a name in training.OPTIMIZERS
    n_train: int  # training points
    n_test: int  # test points
    batch_size: int

    @property
    def steps(self) -> int:
        """Mini-batches an epoch."""
        return -(-self.n_train // self.batch_size)

    @property
    def stacks(self) -> tuple[tuple[int, int, int], ...]:
        """The weight layers as stacks of (count, fan_in, fan_out): consecutive hidden layers of one shape
        form a stack that the program loops over, so that a deep network compiles about as fast as a shallow
        one (ten layers of 8 written out took about twice as long to compile as a loop over them); the output
        layer is a stack of its own."""
        widths = (self.features, *self.hidden_layers)
        shapes = list(zip(widths, widths[1:]))
        return (*((len(list(same)), *shape) for shape, same in itertools.groupby(shapes)), (1, widths[-1], 1))


class Layer(NamedTuple):
    """Weight layers of one shape, stacked, of every network: w[l, i, j, n] joins unit i below to unit j
    above in layer l of the stack, in network n."""

    w: jax.Array  # (count, fan_in, fan_out, networks)
    b: jax.Array  # (count, fan_out, networks)


class Networks(NamedTuple):
    """Everything a group's program takes: each network's start, data and settings, stacked."""

    layers: tuple[Layer, ...]  # the stacks of Group.stacks: the hidden layers, input side first, then the output
    live: jax.Array  # (hidden layers + 1, networks) 1 for a weight layer the network has, 0 for a hidden layer
    # past its depth: such a layer passes its input through, and its weights (zero) get no gradient
    key: jax.Array  # (2, networks) uint32, the playground's training key
    inputs: jax.Array  # (points, features, networks), the chosen features in registry order: n_train training
    # points first, then the test points (make_dataset's layout)
    labels: jax.Array  # (points, networks)
    learning_rate: jax.Array  # (networks,)
    l1: jax.Array  # (networks,) the L1 penalty's rate, 0 unless regularization is "l1"
    l2: jax.Array  # (networks,) likewise for L2


class Measures(NamedTuple):
    """What a frame would report of every network at one epoch: losses (the mean data loss, no penalty),
    accuracies, and the gradient norm of each weight layer (weights, not biases), input side first."""

    train_loss: jax.Array  # (networks,)
    test_loss: jax.Array
    train_accuracy: jax.Array
    test_accuracy: jax.Array
    gradient_norms: jax.Array  # (hidden layers + 1, networks), the output layer's last


class Activations(NamedTuple):
    """Per stack, every layer's activations over the training points: the values, and whether each unit's slope
    there is below SATURATED of its function's steepest (as a frame counts saturation)."""

    values: tuple[jax.Array, ...]  # (count, n_train, fan_out, networks) per stack
    saturated: tuple[jax.Array, ...]  # likewise, bool


class Outcome(NamedTuple):
    """What the program returns."""

    measures: Measures  # each with a leading axis of the recorded epochs
    activations: Activations  # at initialisation


def dense(h: jax.Array, w: jax.Array, b: jax.Array) -> jax.Array:
    """One layer of every network over its points: h (..., points, fan_in, networks) -> (..., points, fan_out,
    networks), for w (fan_in, fan_out, networks) and b (fan_out, networks)."""
    return (h[..., :, None, :] * w).sum(-3) + b


def forward(group: Group, net: Networks, layers, inputs: jax.Array) -> tuple[list, jax.Array, jax.Array]:
    """Every stack's pre-activations (count, points, fan_out, networks), and the output unit's logit and value
    (points, networks)."""
    activations = [ACTIVATIONS[group.activation][0]] * (len(layers) - 1) + [ACTIVATIONS[group.output][0]]
    starts = np.cumsum([0, *(count for count, _, _ in group.stacks)])
    h, pre = inputs, []
    for stack, f, start, (count, fan_in, fan_out) in zip(layers, activations, starts, group.stacks):
        def layer(h, weights_and_live, f=f, may_skip=fan_in == fan_out):  # only such a layer can be past the depth
            w, b, live = weights_and_live
            z = dense(h, w, b)
            return (jnp.where(live > 0, f(z), h) if may_skip else f(z)), z
        live = net.live[start:start + count]
        if count == 1:  # a layer that changes the width, or the only one of its shape: no loop
            h, z = layer(h, (stack.w[0], stack.b[0], live[0]))
            z = z[None]
        else:
            h, z = jax.lax.scan(layer, h, (*stack, live))
        pre.append(z)
    return pre, pre[-1][0, ..., 0, :], h[..., 0, :]


def point_losses(group: Group, logit: jax.Array, output: jax.Array, labels: jax.Array) -> jax.Array:
    """training.point_loss with the group's loss fixed: one loss computed, not both (which took two thirds of
    a training step's time here)."""
    return POINT_LOSSES[group.loss](logit, output, labels)


def weighted_losses(group: Group, net: Networks, layers, inputs, labels, weights) -> jax.Array:
    """Each network's loss: its points' losses times `weights` (points,) summed, (networks,)."""
    _, logit, output = forward(group, net, layers, inputs)
    return jnp.sum(point_losses(group, logit, output, labels) * weights[:, None], axis=0)


def measure(group: Group, net: Networks, layers) -> Measures:
    """Every network's Measures, from one pass over all its points and one back from its training points' mean loss."""
    n_train = group.n_train
    share = np.concatenate([np.full(n_train, 1.0 / n_train), np.zeros(group.n_test)]).astype(np.float32)

    def train_loss(layers):
        _, logit, output = forward(group, net, layers, net.inputs)
        losses = point_losses(group, logit, output, net.labels)
        return jnp.sum(losses * share[:, None]), (losses, output)

    grads, (losses, output) = jax.grad(train_loss, has_aux=True)(layers)
    scores = 2.0 * output - 1.0 if group.output == "sigmoid" else output  # network.score
    hits = jnp.where(scores >= 0, 1.0, -1.0) == net.labels
    return Measures(
        train_loss=jnp.mean(losses[:n_train], axis=0), test_loss=jnp.mean(losses[n_train:], axis=0),
        train_accuracy=jnp.mean(hits[:n_train], axis=0), test_accuracy=jnp.mean(hits[n_train:], axis=0),
        gradient_norms=jnp.concatenate([jnp.sqrt(jnp.sum(stack.w**2, axis=(1, 2))) for stack in grads]),
    )


def activations(group: Group, net: Networks, layers) -> Activations:
    """Every layer's activations over the training points at these weights (see Activations)."""
    pre, _, _ = forward(group, net, layers, net.inputs[: group.n_train])
    names = [group.activation] * (len(layers) - 1) + [group.output]
    values, saturated = [], []
    for z, name in zip(pre, names):
        a, slope = jax.jvp(ACTIVATIONS[name][0], (z,), (jnp.ones_like(z),))
        values.append(a)
        saturated.append(relative_slope(ACTIVATION_INDEX[name], slope) < SATURATED)
    return Activations(tuple(values), tuple(saturated))


class State(NamedTuple):
    """What an epoch carries to the next."""

    layers: tuple
    opt_state: tuple
    key: jax.Array  # (2, networks)


def train_epoch(group: Group, net: Networks, state: State) -> State:
    """One epoch of every network, as training.train_epochs runs one network's."""
    optimizer = OPTIMIZERS[group.optimizer](1.0)  # the direction; each network scales it by its own rate
    n_train, batch, steps = group.n_train, group.batch_size, group.steps
    offset, stride, key = jax.vmap(lambda k: epoch_order(k, n_train), in_axes=1, out_axes=(0, 0, 1))(state.key)
    positions = np.arange(steps * batch)
    order = (offset + positions[:, None] * stride) % n_train  # (steps · batch, networks)
    inputs = jnp.take_along_axis(net.inputs, order[:, None, :], axis=0)
    labels = jnp.take_along_axis(net.labels, order, axis=0)
    by_step = lambda x: x.reshape(steps, batch, *x.shape[1:])
    counts = np.minimum(batch, n_train - np.arange(steps) * batch)
    weights = ((positions.reshape(steps, batch) < n_train) / counts[:, None]).astype(np.float32)  # a batch's mean

    def step(carry, batch_data):
        layers, opt_state = carry
        grads = jax.grad(lambda ls: jnp.sum(weighted_losses(group, net, ls, *batch_data)))(layers)
        penalty = lambda stack: Layer(net.l1 * jnp.sign(stack.w) + net.l2 * stack.w, jnp.zeros_like(stack.b))
        grads = jax.tree.map(jnp.add, grads, tuple(penalty(stack) for stack in layers))
        direction, opt_state = optimizer.update(grads, opt_state, layers)
        layers = jax.tree.map(lambda p, d: p + net.learning_rate * d, layers, direction)
        return (layers, opt_state), None

    (layers, opt_state), _ = jax.lax.scan(step, (state.layers, state.opt_state),
                                          (by_step(inputs), by_step(labels), weights))
    return State(layers, opt_state, key)


@partial(jax.jit, static_argnames="group")
def train_networks(net: Networks, schedule: jax.Array, *, group: Group) -> Outcome:
    """Train every network of a group to the last epoch of `schedule` (the recorded epochs, ascending, from 0),
    measuring each network at each of them, and its activations at the start. The epochs are traced: one
    program serves sweeps of every length with as many recorded epochs."""
    TRACES["sweep", group] += 1
    start = State(net.layers, OPTIMIZERS[group.optimizer](1.0).init(net.layers), net.key)
    ends = jnp.append(schedule[1:], schedule[-1])  # after the last record, no more epochs
    table = jax.tree.map(lambda m: jnp.zeros((schedule.shape[0], *m.shape), m.dtype),
                         jax.eval_shape(lambda: measure(group, net, net.layers)))

    def segment(i, carry):
        state, table = carry
        table = jax.tree.map(lambda t, m: t.at[i].set(m), table, measure(group, net, state.layers))
        return jax.lax.fori_loop(schedule[i], ends[i], lambda _, s: train_epoch(group, net, s), state), table

    _, table = jax.lax.fori_loop(0, schedule.shape[0], segment, (start, table))
    return Outcome(table, activations(group, net, net.layers))


MAX_PROGRAMS = 16  # compiled sweep programs kept in memory, and compiled by one experiment at most: the lessons' all fit


def forget_programs(keep: int = MAX_PROGRAMS) -> bool:
    """Drop every compiled sweep program once more than `keep` are held, so that a server running many
    different sweeps does not grow without bound (each program holds megabytes of machine code); whether it did."""
    if train_networks._cache_size() <= keep:
        return False
    train_networks.clear_cache()
    return True

