"""The lab's compiled program: `train` trains a number of mini-batches and computes the frame in one call.

A program per network shape and batch size (static), compiled on first use and kept like the playground's
(engine/executables.py); everything else is traced. Like the playground's programs it takes and returns
packed vectors (packing.py) where a pytree has many leaves: the state, the settings and the frame each cross
the call boundary as one buffer.
"""
from __future__ import annotations

from functools import cache, partial

import jax
import jax.numpy as jnp
import numpy as np

from ..network import ACTIVATION_INDEX
from ..packing import Layout
from ..program import TRACES, kept_program
from ..training import OPTIMIZER_INDEX
from .config import ConvConfig
from .frame import Frame, make_frame
from .images import ImageSet
from .network import Layer, Shape, forward, init_params
from .training import Hyper, Images, TrainState, init_opt_states, train_steps

_f32 = lambda *shape: jax.ShapeDtypeStruct(shape, jnp.float32)
_i32 = lambda *shape: jax.ShapeDtypeStruct(shape, jnp.int32)

HYPER = Layout(Hyper(_f32(), _i32(), _i32(), _f32()))


def hyper_of(config: ConvConfig) -> Hyper:
    """The traced settings of a config, on the host."""
    return Hyper(np.float32(config.learning_rate), np.int32(OPTIMIZER_INDEX[config.optimizer]),
                 np.int32(ACTIVATION_INDEX[config.activation]), np.float32(config.l2))


def _params_template(shape: Shape) -> tuple:
    return tuple(Layer(_f32(*w), _f32(w[-1])) for w in shape.weight_shapes())


@cache
def _state_template(shape: Shape) -> TrainState:
    params = _params_template(shape)
    opt_states = jax.eval_shape(init_opt_states, params)
    return TrainState(params, opt_states, jax.ShapeDtypeStruct((2,), jnp.uint32), _i32(), params)


@cache
def state_layout(shape: Shape) -> Layout:
    """TrainState <-> one vector, for a network of this shape."""
    return Layout(_state_template(shape))


@cache
def frame_layout(shape: Shape, n_test: int) -> Layout:
    """Frame <-> one vector: its arrays' shapes from the network's shape, not from tracing."""
    sides, layers = shape.sides(), len(shape.weight_shapes())
    return Layout(Frame(
        train_loss=_f32(), test_loss=_f32(), test_accuracy=_f32(),
        confusion=_i32(shape.classes, shape.classes), guesses=_i32(n_test),
        filters=tuple(_f32(*w) for w in shape.weight_shapes()[: len(shape.conv)]),
        maps=tuple(_f32(side, side, conv.filters) for side, conv in zip(sides, shape.conv)),
        pooled=tuple(_f32(side, side, conv.filters) for side, conv in zip(sides[1:], shape.conv)),
        dense=tuple(_f32(units) for units in shape.dense),
        probabilities=_f32(shape.classes), gradient_norms=_f32(layers), update_ratios=_f32(layers),
    ))


def to_device(images: ImageSet) -> Images:
    """A dataset on the device."""
    (train_images, train_labels), (test_images, test_labels) = images.train, images.test
    return Images(*jax.device_put((train_images, train_labels, test_images, test_labels)))


def new_state(seed: int, shape: Shape, init: str, scale: float) -> np.ndarray:
    """A fresh network and optimiser state from a seed, packed, on the host (nothing to compile)."""
    rng = np.random.default_rng(seed)
    params = init_params(rng, shape, init, scale)
    zeros = lambda tree: jax.tree.map(lambda like: np.zeros(like.shape, like.dtype), tree)
    key = rng.integers(0, 2**32, size=2, dtype=np.uint32)
    state = TrainState(params, zeros(_state_template(shape).opt_states), key, np.int32(0), zeros(params))
    return state_layout(shape).pack_host(state)


@kept_program
@partial(jax.jit, static_argnames=("shape", "batch"))
def train(state: jax.Array, hyper: jax.Array, train_images: jax.Array, train_labels: jax.Array,
          test_images: jax.Array, test_labels: jax.Array, image: jax.Array, steps: jax.Array,
          *, shape: Shape, batch: int) -> tuple[jax.Array, jax.Array]:
    """Train `steps` mini-batches of `batch` images, then compute the frame at the new weights showing
    `image` (side, side): (state, frame), packed. The dataset's arrays come as they are (Images)."""
    TRACES["convnet.train", shape, batch] += 1
    data = Images(train_images, train_labels, test_images, test_labels)
    settings = HYPER.unpack(hyper)
    trained, loss, grads = train_steps(state_layout(shape).unpack(state), shape, settings, data, steps, batch=batch)
    frame = make_frame(trained.params, shape, settings, data, image, loss, grads, trained.last_update)
    return state_layout(shape).pack(trained), frame_layout(shape, len(test_labels)).pack(frame)


REPRESENT_CHUNK = 16  # images a represent call takes: any number goes in chunks of this, the last padded


@kept_program
@partial(jax.jit, static_argnames="shape")
def represent(state: jax.Array, hyper: jax.Array, images: jax.Array, *, shape: Shape) -> jax.Array:
    """Every stage's view of images (REPRESENT_CHUNK, side, side), flattened and side by side
    (REPRESENT_CHUNK, sum of shape.stage_sizes()): each convolutional layer's maps after its pooling, each
    dense layer's activations, then the logits. One program serves predictions and the layer view."""
    TRACES["convnet.represent", shape] += 1
    params = state_layout(shape).unpack(state).params
    stages = forward(params, shape, HYPER.unpack(hyper).activation, images)
    flat = lambda x: x.reshape(len(images), -1)
    return jnp.concatenate([flat(x) for x in (*stages.pooled, *stages.dense, stages.logits)], axis=1)
