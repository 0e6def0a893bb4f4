"""The compiled programs: one `train` per training width and padded dataset size, one `draw` per picture width,
and helpers.

`train` trains any number of epochs and computes the data side of the frame in
one call. Every depth shares it: the layers are loops over the network's traced depth,
so a small network computes only its own layers without a program of its own. Networks
no wider than NARROW units a layer (the default among them) get programs that compute
at that width rather than at the padded MAX_WIDTH.
`draw` computes the pictures over the plane for any depth at one of a few static
widths (see pictures.py). Everything else is traced, so no setting change recompiles.

The programs take and return packed vectors (see packing.py): the training state,
the config (architecture and hyper-parameters), the data and the frame each
cross the call boundary as one buffer.
"""
from __future__ import annotations

import threading
from collections import Counter
from functools import cache, partial, wraps

import jax
import jax.numpy as jnp
import numpy as np

from .data import SLOTS, Dataset
from .executables import Program
from .features import compute_features
from .fields import Sizes, padded_shapes
from .frame import Frame, make_frame, moments, probe_accuracy
from .network import (
    MAX_WIDTH, NARROW, PADDED_PARAMS, Arch, Params, fitting_width, forward, init_params, make_arch, narrow, score, widen,
)
from .packing import Layout
from .pictures import Pictures, pictures
from .training import Data, Hyper, TrainState, init_opt_states, train_epochs

TRACES: Counter = Counter()  # how often each program was traced; tests assert it stops growing
# Every executable made ready, compiled or loaded from the store (executables.py), by function name, eager
# operations included: tests assert it stops growing, /api/health reports how many.
EXECUTABLES: Counter = Counter()
_counting = threading.Lock()  # warm-up workers make executables at once


def _count_executable(event: str, duration: float, **kwargs) -> None:
    if event == "/jax/core/compile/backend_compile_duration":  # jax's event around compiling one
        with _counting:
            EXECUTABLES[kwargs.get("fun_name", "")] += 1


jax.monitoring.register_event_duration_secs_listener(_count_executable)


def _count_loaded(name: str) -> None:
    with _counting:
        EXECUTABLES[f"jit({name})"] += 1  # an executable read from the store: made, not compiled


def kept_program(jitted) -> Program:
    """A compiled program whose executables are kept (see executables.py)."""
    return Program(jitted, jitted.__name__, _count_loaded)


def _on_one_thread(outputs):
    """A program's body as a loop of one iteration that XLA cannot prove has one; `outputs(*args, **static)`
    gives arrays (or shape-and-dtype structs) like its results, stated rather than traced: tracing the body
    a second time for them would lengthen every cold start.

    With the server's XLA flags (backend/xla.py) a while loop compiles into one kernel that runs on its
    caller's thread, where the same program as many small operations is handed between the runtime's
    threads: on 2 cores every frame took less CPU and less time (bench/engine.py, README). The barrier keeps
    XLA from moving work out of the loop.
    """

    def on_one_thread(fn):
        @wraps(fn)
        def once(state, config, *args, **static):
            if jax.devices()[0].platform != "cpu":  # a measure for XLA's CPU runtime only
                return fn(state, config, *args, **static)
            trips = 1 + jnp.isnan(config[0]).astype(jnp.int32)  # config[0], a feature's mask, is 0 or 1

            def body(carry):
                i, _ = carry
                _, inputs = jax.lax.optimization_barrier((i, (state, config, *args)))
                return i + 1, fn(*inputs, **static)

            zeros = jax.tree.map(lambda like: jnp.zeros(like.shape, like.dtype), outputs(state, config, *args, **static))
            return jax.lax.while_loop(lambda carry: carry[0] < trips, body, (jnp.int32(0), zeros))[1]

        return once

    return on_one_thread


def _vector(size: int) -> jax.ShapeDtypeStruct:
    return jax.ShapeDtypeStruct((size,), jnp.float32)


def new_state(seed: int, arch: Arch, init: str, scale: float) -> np.ndarray:
    """A fresh network and optimiser state from a seed, packed, on the host (nothing to compile): weights by
    network.init_params, optimiser states at zero (as every optimiser here starts), the training key and the
    last update from the same seed."""
    rng = np.random.default_rng(seed)
    params = init_params(rng, arch, init, scale)
    key = rng.integers(0, 2**32, size=_STATE_TEMPLATE.key.shape, dtype=np.uint32)
    zeros = lambda tree: jax.tree.map(lambda like: np.zeros(like.shape, like.dtype), tree)
    return STATE.pack_host(TrainState(params, zeros(_STATE_TEMPLATE.opt_states), key, zeros(params)))


def _templates():
    arch = make_arch(["x1"], [], "tanh", "tanh")
    hyper = Hyper(*(np.zeros((), dtype) for dtype in (np.float32, np.int32, np.int32, np.int32, np.int32, np.float32)))
    params = Params(*(jax.ShapeDtypeStruct(shape, jnp.float32) for shape in PADDED_PARAMS))
    state = TrainState(params, jax.eval_shape(init_opt_states, params), jax.ShapeDtypeStruct((2,), jnp.uint32), params)
    return state, (arch, hyper)


def _data_template(slots: int) -> Data:
    shapes = ((slots, MAX_WIDTH), (slots, 2), (slots,), (slots,), (slots,), ())
    return Data(*(jax.ShapeDtypeStruct(shape, jnp.float32) for shape in shapes))


_STATE_TEMPLATE, _CONFIG_TEMPLATE = _templates()
STATE = Layout(_STATE_TEMPLATE)  # TrainState <-> one vector
CONFIG = Layout(_CONFIG_TEMPLATE)  # a config as the programs take it: (Arch, Hyper) <-> one vector
DATA = {slots: Layout(_data_template(slots)) for slots in SLOTS}  # Data <-> one vector, per padded size
_SLOTS_OF = {layout.size: slots for slots, layout in DATA.items()}


def train_width(hidden_layers) -> int:
    """The width of a network's `train` program: NARROW when every hidden layer fits in it, else MAX_WIDTH."""
    return fitting_width((NARROW, MAX_WIDTH), hidden_layers)


def slots_of(data: jax.Array) -> int:
    """The padded dataset size a packed data vector holds."""
    return _SLOTS_OF[data.shape[0]]


@cache
def frame_layout(slots: int) -> Layout:
    """Frame <-> one vector, for a network over `slots` data slots (shapes as engine/fields.py declares them)."""
    shapes = padded_shapes(Sizes(slots, picture_width=0))
    return Layout(Frame(**{name: shapes[name] for name in Frame._fields}))


@kept_program
@partial(jax.jit, static_argnames="train_width")
@_on_one_thread(lambda state, config, data, prev_axes, epochs, train_width: (
    state, _vector(frame_layout(slots_of(data)).size), prev_axes))
def train(state: jax.Array, config: jax.Array, data: jax.Array, prev_axes: jax.Array, epochs: jax.Array,
            *, train_width: int) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Train `epochs` epochs, then compute the frame at the new weights: (state, frame, axes), the first two packed.

    The projection axes are fed into the next call as they are, without a trip to the host.

    Each padded dataset size (the data vector's length) and each training width (see train_width) is a program of
    its own; a program of width NARROW computes every layer at that width (network.narrow).
    """
    slots = slots_of(data)
    TRACES["train", slots, train_width] += 1
    arch, hyper = CONFIG.unpack(config)
    data = DATA[slots].unpack(data)
    state = STATE.unpack(state)
    if train_width == MAX_WIDTH:
        trained = train_epochs(state, arch, hyper, data, epochs)
        frame, axes = make_frame(trained, arch, hyper, data, prev_axes)
    else:
        cut, arch = narrow((state, arch), train_width)
        data = data._replace(inputs=data.inputs[:, :train_width])
        trained = train_epochs(cut, arch, hyper, data, epochs)
        frame, axes = make_frame(trained, arch, hyper, data, prev_axes[:, :, :train_width])
        trained = widen(trained, state)
        frame = frame._replace(params=trained.params)
        axes = jnp.pad(axes, ((0, 0), (0, 0), (0, MAX_WIDTH - train_width)))
    return STATE.pack(trained), frame_layout(slots).pack(frame), axes


@cache
def pictures_layout(picture_width: int) -> Layout:
    """Pictures <-> one vector, for the picture program of `picture_width` (shapes as engine/fields.py declares them)."""
    shapes = padded_shapes(Sizes(slots=0, picture_width=picture_width))
    return Layout(Pictures(**{name: shapes[name] for name in Pictures._fields}))


@kept_program
@partial(jax.jit, static_argnames="picture_width")
@_on_one_thread(lambda state, config, picture_width: _vector(pictures_layout(picture_width).size))
def draw(state: jax.Array, config: jax.Array, *, picture_width: int) -> jax.Array:
    """The output grid and every neuron's thumbnail at the state's weights, packed (see pictures.py)."""
    TRACES["draw", picture_width] += 1
    arch, _ = CONFIG.unpack(config)
    return pictures_layout(picture_width).pack(pictures(STATE.unpack(state).params, arch, picture_width))


@kept_program
@jax.jit
def predict(state: jax.Array, config: jax.Array, points: jax.Array) -> jax.Array:
    """The network's output at arbitrary points (n, 2), in label units (see network.score)."""
    TRACES["predict"] += 1
    arch, _ = CONFIG.unpack(config)
    params = STATE.unpack(state).params
    return score(arch, forward(params, arch, compute_features(points, arch.feature_mask, MAX_WIDTH)).output)


def to_device(dataset: Dataset, arch: Arch) -> jax.Array:
    """A dataset on the device, packed, with the chosen features computed and the inputs' probe (what depends
    on the data alone): on the host, once a dataset, so it compiles nothing."""
    f32 = lambda a: np.asarray(a, np.float32)
    points, labels, train = f32(dataset.x), f32(dataset.y), f32(dataset.train)
    inputs = compute_features(points, arch.feature_mask, MAX_WIDTH)
    _, centred, cov = moments(inputs[None], train)
    input_probe = probe_accuracy(centred, cov, labels, train)[0]
    data = Data(inputs, points, labels, train, f32(dataset.test), f32(input_probe))
    return jax.device_put(DATA[len(points)].pack_host(data))  # make_dataset pads to a size in SLOTS
