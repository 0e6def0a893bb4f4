"""One training run: a config, its data and network, and the frames they produce.

The engine's facade: host-side state around the compiled programs. It knows
nothing of HTTP; the API wraps it in sessions.
"""
from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from functools import lru_cache

import jax
import numpy as np

from . import program
from .config import RESTARTING, Config, finite_or_none
from .data import MAX_SAMPLES, SLOTS, make_dataset, slots_for
from .features import FEATURES
from .fields import FIELD, FIELDS, META, Network, gather, positions
from .frame import empty_axes
from .history import History
from .network import Arch, make_arch
from .pictures import PICTURE_WIDTHS, picture_width_for
from .timeline import Timeline
from .training import LOSSES, OPTIMIZER_INDEX, REGULARIZATIONS, Hyper, TrainState, fresh_opt_states

PREDICT_CHUNK = 1024  # points per compiled predict call: a shape fixed so that no request size recompiles


def in_chunks(call, rows: np.ndarray, chunk: int) -> np.ndarray:
    """call(part) over rows in parts of `chunk` rows, the last padded with zeros, so that one compiled program
    serves any number of rows; the results joined, padding dropped."""
    n = len(rows)
    padded = np.zeros((max(-(-n // chunk), 1) * chunk, *rows.shape[1:]), rows.dtype)
    padded[:n] = rows
    return np.concatenate([np.asarray(call(part)) for part in np.split(padded, len(padded) // chunk)])[:n]


@dataclass(eq=False)
class Snapshot:
    """One frame on the host: its vector, and every field of fields.FIELDS read from it when first asked for,
    sliced to the real network (snapshot.output, snapshot.weights); metadata fields as JSON-ready values
    (numbers, or lists of them, None where not finite and for the accuracies of a regression)."""

    epoch: int
    status: str
    values: np.ndarray  # the frame program's vector, then the picture program's
    positions: dict  # where each field lies in it (Run.positions)
    regression: bool
    train_points: np.ndarray  # (n_train, 3) x1, x2, label
    test_points: np.ndarray  # (n_test, 3)

    def __getattr__(self, name: str):
        positions = self.__dict__.get("positions", {})
        if name not in positions:
            raise AttributeError(name)
        value = gather(self.values, positions[name])
        if FIELD[name].wire == META:
            value = self._json(FIELD[name], value)
        self.__dict__[name] = value  # read once
        return value

    def metadata(self) -> dict:
        """The metadata fields (fields.META) by name."""
        return {field.name: getattr(self, field.name) for field in FIELDS if field.wire == META}

    def _json(self, field, value: np.ndarray):
        if field.classification and self.regression:
            value = np.full(value.shape, np.nan)
        return finite_or_none(float(value)) if value.ndim == 0 else [finite_or_none(float(v)) for v in value]


@lru_cache(maxsize=64)
def _count(epochs: int) -> jax.Array:
    """An epoch count on the device, made once per value (a host scalar is copied over on every call)."""
    return jax.device_put(np.int32(epochs))


def hyper_of(config: Config) -> Hyper:
    return Hyper(
        learning_rate=np.float32(config.learning_rate),
        batch_size=np.int32(config.batch_size),
        optimizer=np.int32(OPTIMIZER_INDEX[config.optimizer]),
        loss=np.int32(LOSSES.index(config.effective_loss)),
        regularization=np.int32(REGULARIZATIONS.index(config.regularization)),
        regularization_rate=np.float32(config.regularization_rate),
    )


def programs_of(config: Config) -> frozenset:
    """The compiled programs a run of this config calls: train and draw at their static shapes, and the
    depth-free predict."""
    slots = slots_for(config.num_samples if config.dataset != "custom" else len(config.custom_points))
    return frozenset({
        ("train", slots, program.train_width(config.hidden_layers)),
        ("draw", picture_width_for(config.hidden_layers)),
        ("predict",),
    })


def warmup_networks() -> list[Config]:
    """Networks that between them call every compiled program once, the default first (so the page's
    first network is ready soonest): one hidden layer of each picture width at each padded dataset size
    covers every train and draw program, whatever the depth, since depth is traced."""
    default = Config()
    networks, covered = [default], programs_of(default)
    for slots, width in itertools.product(SLOTS, PICTURE_WIDTHS):
        config = Config(hidden_layers=[width], num_samples=min(slots, MAX_SAMPLES))
        if not programs_of(config) <= covered:
            networks.append(config)
            covered |= programs_of(config)
    return networks


def warm_up(config: Config) -> None:
    """Make ready every program a run of `config` calls: a frame, a prediction, and a change of optimiser
    (which sends a new state to the device: a test checks that nothing compiles after it)."""
    run = Run(config)
    run.train(1)
    run.predict(np.zeros((1, 2)))
    other = next(name for name in OPTIMIZER_INDEX if name != config.optimizer)
    run.reconfigure(config.model_copy(update={"optimizer": other}))
    run.train(0)


@dataclass
class Run:
    """A run's whole host-side state. Not thread-safe: one caller at a time."""

    config: Config
    epoch: int = 0
    status: str = "paused"
    history: History = field(default_factory=History)
    data_version: int = 0  # goes up each time the data and network are built anew
    remembers: bool = True  # keeps its history and timeline (a copy made to look at the past does not)

    def __post_init__(self) -> None:
        self._build()

    def _build(self) -> None:
        self.data_version += 1
        c = self.config
        self.dataset = make_dataset(
            c.dataset, seed=c.seed, num_samples=c.num_samples, noise=c.noise,
            train_fraction=c.train_fraction, custom_points=c.custom_points,
        )
        points = np.concatenate([self.dataset.x, self.dataset.y[:, None]], axis=1)
        self.train_points, self.test_points = points[self.dataset.train], points[self.dataset.test]
        self._set_config(make_arch(c.features, c.hidden_layers, c.activation, c.output_activation), hyper_of(c))
        self.data = program.to_device(self.dataset, self.arch)
        self.packed = jax.device_put(program.new_state(c.seed, self.arch, c.init, c.init_scale))
        self.axes = empty_axes()  # each frame's axes, on the device, go straight into the next
        self.epoch = 0
        self.status = "paused" if self.status == "diverged" else self.status
        self.history = History()
        self.timeline = Timeline.begin(0, np.asarray(self.packed), c)
        self.positions = self._positions()
        self.snapshot: Snapshot | None = None  # the latest frame, once there is one

    def _set_config(self, arch: Arch, hyper: Hyper) -> None:
        self.arch = arch
        self.packed_config = jax.device_put(program.CONFIG.pack_host((arch, hyper)))

    @property
    def state(self) -> TrainState:
        """The training state as a pytree of host arrays (the run itself keeps it packed on the device)."""
        return program.STATE.unpack_host(np.asarray(self.packed))

    @state.setter
    def state(self, state: TrainState) -> None:
        self.packed = jax.device_put(program.STATE.pack_host(jax.device_get(state)))

    @property
    def depth(self) -> int:
        return len(self.config.hidden_layers)

    @property
    def picture_width(self) -> int:
        """The picture program's width for this network (see pictures.PICTURE_WIDTHS)."""
        return picture_width_for(self.config.hidden_layers)

    def reconfigure(self, config: Config) -> bool:
        """Switch to a new config; True when it started a new network (see config.RESTARTING)."""
        old, self.config = self.config, config
        changed = {name for name in Config.model_fields if getattr(old, name) != getattr(config, name)}
        if not changed:
            return False
        if changed & RESTARTING:
            self.status = "paused" if self.status == "diverged" else self.status
            self._build()
            return True
        arch = self.arch
        if config.loss != old.loss:
            arch = make_arch(config.features, config.hidden_layers, config.activation, config.output_activation)
        if config.optimizer != old.optimizer:
            state = self.state
            self.state = state._replace(opt_states=fresh_opt_states(state.opt_states))
        self._set_config(arch, hyper_of(config))
        if self.remembers and not self.timeline.changed(self.epoch, config):
            self.timeline = Timeline.begin(self.epoch, np.asarray(self.packed), config)
        return False

    def reset(self, seed: int | None = None) -> None:
        """A new network (and data, when the seed changes) at epoch 0; clears divergence."""
        if seed is not None:
            self.config = self.config.model_copy(update={"seed": seed})
        self.status = "paused"
        self._build()

    def train(self, epochs: int) -> Snapshot:
        """Train `epochs` epochs (0: none) and take the frame at the new weights."""
        if self.status == "diverged":
            epochs = 0
        self.packed, packed_frame, self.axes = program.train(
            self.packed, self.packed_config, self.data, self.axes, _count(epochs),
            train_width=program.train_width(self.config.hidden_layers),
        )
        packed_pictures = program.draw(self.packed, self.packed_config, picture_width=self.picture_width)
        values = np.concatenate([np.asarray(packed_frame), np.asarray(packed_pictures)])
        self.epoch += epochs
        snapshot = Snapshot(self.epoch, self.status, values, self.positions, self.config.regression,
                            self.train_points, self.test_points)
        if snapshot.train_loss is None or snapshot.test_loss is None:  # not finite
            self.status = snapshot.status = "diverged"
        if self.remembers and (epochs or not len(self.history)):
            self.history.add(self.epoch, snapshot)
            if self.timeline.due(self.epoch):
                self.timeline.keep(self.epoch, np.asarray(self.packed))
        self.snapshot = snapshot
        return snapshot

    def at(self, epoch: int) -> "Run":
        """A copy of this run as it was at `epoch`, with that epoch's frame: from the timeline's last checkpoint
        before it, trained on through the changes made since. ValueError: an epoch it cannot reach."""
        if epoch > self.epoch:
            raise ValueError(f"epoch: the run is at epoch {self.epoch}")
        start, packed, config, changes = self.timeline.path_to(epoch)
        past = copy.copy(self)
        past.remembers, past.snapshot = False, None
        past.config, past.epoch, past.status = config, start, "paused"
        past._set_config(make_arch(config.features, config.hidden_layers, config.activation,
                                   config.output_activation), hyper_of(config))
        past.packed = jax.device_put(packed)
        for at, changed in changes:
            past.train(at - past.epoch)
            past.reconfigure(changed)
        past.train(epoch - past.epoch)
        return past

    def branch(self, epoch: int) -> "Run":
        """A run of its own as this one was at `epoch`, its history and timeline up to then: to save or export
        the run as it was there, leaving this one as it is."""
        past = self.at(epoch)
        past.remembers = True
        past.history, past.timeline = self.history.copy(), self.timeline.copy()
        past.history.until(past.epoch)
        past.timeline.until(past.epoch)
        return past

    def rewind(self, epoch: int) -> Snapshot:
        """Go back to `epoch` to continue from there, bit for bit as if the run had paused there; what came
        after it is forgotten. Its frame."""
        past = self.at(epoch)
        self.config, self.arch, self.packed_config = past.config, past.arch, past.packed_config
        self.packed = past.packed
        self.epoch, self.status, self.axes, self.snapshot = past.epoch, past.status, past.axes, past.snapshot
        self.history.until(self.epoch)
        self.timeline.until(self.epoch)
        return self.snapshot

    def predict(self, points: np.ndarray) -> np.ndarray:
        """Network outputs at (n, 2) points, in label units (a sigmoid's p becomes 2p − 1).

        The points go in chunks of PREDICT_CHUNK, the last padded, so one program serves every n.
        """
        points = np.asarray(points, np.float32).reshape(-1, 2)
        return in_chunks(lambda chunk: program.predict(self.packed, self.packed_config, chunk), points, PREDICT_CHUNK)

    def layer_sizes(self) -> list[int]:
        return [len(self.config.features), *self.config.hidden_layers, 1]

    def weights(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The current real weights and biases per weight layer, input side first; features in registry order."""
        params, net = self.state.params, self._network()
        return FIELD["weights"].kind.real(params, net), FIELD["biases"].kind.real(params, net)

    def _network(self) -> Network:
        n_points = len(self.train_points) + len(self.test_points)
        rows = [i for i, name in enumerate(FEATURES) if name in self.config.features]
        return Network(feature_rows=rows, widths=list(self.config.hidden_layers), points=n_points)

    def _positions(self) -> dict:
        """Where each field of this network's frames lies in their host vector: the frame's, then the pictures'."""
        frame_layout = program.frame_layout(len(self.dataset.x))
        padded = {**frame_layout.indices()._asdict(),
                  **program.pictures_layout(self.picture_width).indices(frame_layout.size)._asdict()}
        return positions(padded, self._network())
