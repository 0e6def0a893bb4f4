"""A ConvNet lab run's host-side state: its config, images, packed training state on the device, the image
its frames follow, and its latest frame."""
from __future__ import annotations

from dataclasses import dataclass

import jax
import numpy as np

from . import program
from .config import RESTARTING, ConvConfig
from .frame import Frame
from .images import DATASETS, DIRECTIONS, SIDES, ImageSet, shifted, subset
from .network import Shape, make_shape, similar_units
from ..history import HISTORY_LIMIT
from ..run import in_chunks
from .training import steps_per_epoch


def recorded(history: list, entry: tuple) -> list:
    """The history with `entry` added, every other entry dropped once it passes HISTORY_LIMIT."""
    history.append(entry)
    return history[::2] if len(history) > HISTORY_LIMIT else history


def shape_of(config: ConvConfig, classes: int) -> Shape:
    """The network shape a config asks for, over its dataset's images."""
    conv = [(layer.filters, layer.kernel, layer.pooling) for layer in config.conv_layers]
    return make_shape(SIDES[config.dataset], classes, conv, config.dense_layers)


@dataclass
class Snapshot:
    """One frame on the host, with where training stands."""

    step: int  # mini-batches trained
    epoch: float  # passes over the training images, as a fraction
    status: str  # "paused", "running" or "diverged"
    frame: Frame  # numpy arrays
    image: np.ndarray  # (side, side) the image the frame follows
    test_index: int | None  # which test image that is; None for a drawing or another image


@dataclass
class ConvRun:
    """A run's whole host-side state. Not thread-safe: one caller at a time."""

    config: ConvConfig
    status: str = "paused"
    data_version: int = 0  # goes up each time the images and network are made anew
    test_index: int | None = 0  # the test image the frames follow; None: self.image is a drawing or another image
    image: jax.Array | None = None  # (side, side) the image the frames follow

    def __post_init__(self) -> None:
        self._build()

    def _build(self) -> None:
        self.data_version += 1
        c = self.config
        self.images: ImageSet = subset(DATASETS[c.dataset](c.seed), c.train_images)
        self.shape = shape_of(c, len(self.images.classes))
        self.data = program.to_device(self.images)
        self.packed = jax.device_put(program.new_state(c.seed, self.shape, c.init, c.init_scale))
        self.step = 0
        self.status = "paused" if self.status == "diverged" else self.status
        self.history: list[tuple[int, float | None, float | None, float]] = []  # step, losses, test accuracy
        self.snapshot: Snapshot | None = None
        self._set_hyper()
        self._follow_again()

    def _follow_again(self) -> None:
        """After a rebuild, follow the same test image or image where the new images allow, else test image 0."""
        if self.test_index is None and self.image is not None and self.image.shape == (self.shape.side,) * 2:
            return
        keep = self.test_index is not None and self.test_index < len(self.images.test[1])
        self.show_test(self.test_index if keep else 0)

    def _set_hyper(self) -> None:
        self.hyper = jax.device_put(program.HYPER.pack_host(program.hyper_of(self.config)))

    def reconfigure(self, config: ConvConfig) -> bool:
        """Switch to a new config; True when it started a new network (see config.RESTARTING)."""
        old, self.config = self.config, config
        if any(getattr(old, name) != getattr(config, name) for name in RESTARTING):
            self._build()
            return True
        self._set_hyper()
        return False

    def reset(self, seed: int | None = None) -> None:
        """A new network (and, for generated images, new images when the seed changes) at step 0."""
        if seed is not None:
            self.config = self.config.model_copy(update={"seed": seed})
        self.status = "paused"
        self._build()

    def show(self, image: np.ndarray) -> None:
        """Follow `image` (side, side) through the network in the frames from now on."""
        image = np.asarray(image, np.float32)
        if image.shape != (self.shape.side, self.shape.side):
            raise ValueError(f"an image for this dataset is {self.shape.side} × {self.shape.side}, not {image.shape}")
        self.image, self.test_index = jax.device_put(image), None

    def show_test(self, index: int) -> None:
        """Follow test image `index` in the frames from now on."""
        test_images = self.images.test[0]
        if not 0 <= index < len(test_images):
            raise ValueError(f"the test set has {len(test_images)} images")
        self.image, self.test_index = jax.device_put(test_images[index]), index

    def params(self) -> tuple:
        """The current weights and biases per layer (network.Layer), on the host."""
        return program.state_layout(self.shape).unpack_host(np.asarray(self.packed)).params

    @property
    def steps_per_epoch(self) -> int:
        return steps_per_epoch(self.images.n_train, self.config.batch_size)

    @property
    def epoch(self) -> float:
        return self.step / self.steps_per_epoch

    def train(self, steps: int) -> Snapshot:
        """Train `steps` mini-batches (0: none) and take the frame."""
        if self.status == "diverged":
            steps = 0
        self.packed, packed_frame = program.train(
            self.packed, self.hyper, *self.data, self.image, np.int32(steps),
            shape=self.shape, batch=self.config.batch_size,
        )
        self.step += steps
        frame = program.frame_layout(self.shape, len(self.images.test[1])).unpack_host(np.asarray(packed_frame))
        losses = [_finite(frame.train_loss), _finite(frame.test_loss)]
        if steps and (losses[0] is None or losses[1] is None):
            self.status = "diverged"
        if steps or not self.history:
            self.history = recorded(self.history, (self.step, *losses, float(frame.test_accuracy)))
        self.snapshot = Snapshot(self.step, self.epoch, self.status, frame, np.asarray(self.image), self.test_index)
        return self.snapshot

    def represent(self, images: np.ndarray) -> list[np.ndarray]:
        """Every stage's view (Shape.stage_sizes) of images (n, side, side), each (n, units), the logits last;
        in chunks of REPRESENT_CHUNK (one program)."""
        images = np.asarray(images, np.float32).reshape(-1, self.shape.side, self.shape.side)
        columns = in_chunks(lambda part: program.represent(self.packed, self.hyper, part, shape=self.shape), images,
                            program.REPRESENT_CHUNK)
        return np.split(columns, np.cumsum(self.shape.stage_sizes())[:-1], axis=1)

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities (n, classes) of images (n, side, side)."""
        logits = self.represent(images)[-1]
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)

    def translation(self, shifts: range) -> list[float]:
        """Test accuracy with every test image shifted by each of `shifts` pixels (zero-filled), the mean over
        the four directions (right, left, down, up): how much the network cares where a figure sits."""
        images, labels = self.images.test
        accuracy = lambda moved: float(np.mean(np.argmax(self.predict(moved), axis=1) == labels))
        return [accuracy(images) if k == 0 else float(np.mean([accuracy(shifted(images, k * dr, k * dc))
                                                             for dr, dc in DIRECTIONS]))
                for k in shifts]


def similar_mlp(config: ConvConfig) -> ConvConfig:
    """The same config as an MLP on the pixels of about as many parameters as its network (similar_units)."""
    shape = shape_of(config, len(DATASETS[config.dataset](config.seed).classes))
    return config.model_copy(update={"conv_layers": [], "dense_layers": [similar_units(shape)]})


def _finite(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None
