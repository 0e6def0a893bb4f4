"""A ConvNet lab run's host-side state: its config, images, packed training state on the device, the image
its frames follow, and its latest frame."""
from __future__ import annotations

from dataclasses import dataclass

import jax
import numpy as np

from . import program
from .config import RESTARTING, ConvConfig
from .frame import Frame
from .images import DATASETS, SIDES, ImageSet
from .network import Shape, make_shape
from .training import steps_per_epoch


def shape_of(config: ConvConfig, classes: int) -> Shape:
    """The network shape a config asks for, over its dataset's images."""
    conv = [(layer.filters, layer.kernel, layer.pooling) for layer in config.conv_layers]
    return make_shape(SIDES[config.dataset], classes, conv, config.dense_layers)


@dataclass
class Snapshot:
    """One frame on the host, with where training stands."""

    step: int  # mini-batches trained
    epoch: float  # passes over the training images, as a fraction
    frame: Frame  # numpy arrays


@dataclass
class ConvRun:
    """A run's whole host-side state. Not thread-safe: one caller at a time."""

    config: ConvConfig

    def __post_init__(self) -> None:
        self._build()

    def _build(self) -> None:
        c = self.config
        self.images: ImageSet = DATASETS[c.dataset](c.seed)
        self.shape = shape_of(c, len(self.images.classes))
        self.data = program.to_device(self.images)
        self.packed = jax.device_put(program.new_state(c.seed, self.shape, c.init, c.init_scale))
        self.step = 0
        self.snapshot: Snapshot | None = None
        self._set_hyper()
        self.show(self.images.test[0][0])

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

    def show(self, image: np.ndarray) -> None:
        """Follow `image` (side, side) through the network in the frames from now on."""
        image = np.asarray(image, np.float32)
        if image.shape != (self.shape.side, self.shape.side):
            raise ValueError(f"an image for this dataset is {self.shape.side} × {self.shape.side}, not {image.shape}")
        self.image = jax.device_put(image)

    @property
    def epoch(self) -> float:
        return self.step / steps_per_epoch(self.images.n_train, self.config.batch_size)

    def train(self, steps: int | None = None) -> Snapshot:
        """Train `steps` mini-batches (by default the config's steps per frame; 0: none) and take the frame."""
        steps = self.config.steps_per_frame if steps is None else steps
        self.packed, packed_frame = program.train(
            self.packed, self.hyper, *self.data, self.image, np.int32(steps),
            shape=self.shape, batch=self.config.batch_size,
        )
        self.step += steps
        frame = program.frame_layout(self.shape, len(self.images.test[1])).unpack_host(np.asarray(packed_frame))
        self.snapshot = Snapshot(self.step, self.epoch, frame)
        return self.snapshot
