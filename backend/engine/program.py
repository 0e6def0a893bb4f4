"""The compiled programs: one `advance` per network depth, and the helpers around it.

`advance` trains any number of epochs and computes the frame in one call, so a
frame costs one dispatch. Depth is its only static argument: each depth gets its
own program (compiled once, at warm-up) and so a small network never pays for
the largest. Everything else is traced, so no setting change recompiles.
"""
from __future__ import annotations

from collections import Counter
from functools import partial

import jax
import jax.numpy as jnp

from .data import Dataset
from .features import compute_features
from .frame import Frame, make_frame, score
from .network import MAX_LAYERS, MAX_WIDTH, Arch, forward, init_params
from .training import Data, Hyper, TrainState, init_opt_states, train_epochs

TRACES: Counter = Counter()  # how often each program was traced; tests assert it stops growing


@partial(jax.jit, static_argnames="depth")
def advance(
    state: TrainState, arch: Arch, hyper: Hyper, data: Data, prev_axes: jax.Array, epochs: jax.Array, *, depth: int
) -> tuple[TrainState, Frame]:
    """Train `epochs` epochs, then compute the frame at the new weights."""
    TRACES["advance", depth] += 1
    state = train_epochs(state, arch, hyper, data, epochs, depth)
    return state, make_frame(state, arch, hyper, data, prev_axes, depth)


@jax.jit
def new_state(key: jax.Array, arch: Arch, init: jax.Array, scale: jax.Array) -> TrainState:
    """A fresh network and optimiser state."""
    TRACES["new_state"] += 1
    init_key, train_key = jax.random.split(key)
    params = init_params(init_key, arch, init, scale)
    zeros = jax.tree.map(jnp.zeros_like, params)
    return TrainState(params, init_opt_states(params), train_key, zeros)


@jax.jit
def reset_optimizer(state: TrainState) -> TrainState:
    """Fresh optimiser state for the current weights (after the optimiser changes)."""
    TRACES["reset_optimizer"] += 1
    return state._replace(opt_states=init_opt_states(state.params))


@jax.jit
def device_data(points: jax.Array, labels: jax.Array, train: jax.Array, test: jax.Array, mask: jax.Array) -> Data:
    """Move a dataset to the device with the chosen features computed."""
    TRACES["device_data"] += 1
    return Data(compute_features(points, mask, MAX_WIDTH), points, labels, train, test)


@partial(jax.jit, static_argnames="depth")
def predict(state: TrainState, arch: Arch, points: jax.Array, *, depth: int) -> jax.Array:
    """The network's output at arbitrary points (n, 2), in label units (see frame.score)."""
    TRACES["predict", depth] += 1
    return score(arch, forward(state.params, arch, compute_features(points, arch.feature_mask, MAX_WIDTH), depth).output)


def to_device(dataset: Dataset, arch: Arch) -> Data:
    f32 = lambda a: jnp.asarray(a, jnp.float32)
    return device_data(f32(dataset.x), f32(dataset.y), f32(dataset.train), f32(dataset.test), arch.feature_mask)


DEPTHS = tuple(range(MAX_LAYERS + 1))
