"""The ConvNet lab's stream messages, laid out as the playground's (encoding.py, docs/protocol.md): frames,
and an images message with the test images a frame's guesses refer to."""
from __future__ import annotations

import numpy as np

from ..engine.convnet.config import ConvConfig
from ..engine.convnet.run import ConvRun, Snapshot
from .encoding import encode_arrays, quantise
from .stream import Lab


class ConvFrameEncoder:
    """Encodes a ConvNet run's frames: the chosen image's way through every layer, the filters, the test set's
    guesses and confusion matrix, the gradient flow; the losses and accuracy as metadata."""

    def __init__(self, run: ConvRun, *, view_layer: int) -> None:
        self.shape = run.shape

    def fits(self, run: ConvRun, *, view_layer: int) -> bool:
        return run.shape == self.shape

    def encode(self, snapshot: Snapshot, *, data_version: int) -> bytes:
        frame = snapshot.frame
        f32 = lambda values: np.asarray(values, np.float32)
        each = lambda name, arrays: [(f"{name}.{i}", f32(a)) for i, a in enumerate(arrays)]
        named = [
            ("image", f32(snapshot.image)), ("probabilities", f32(frame.probabilities)),
            ("gradient_norms", f32(frame.gradient_norms)), ("update_ratios", f32(frame.update_ratios)),
            ("confusion", f32(frame.confusion)),
            *each("filters", frame.filters),
            *each("maps", frame.maps), *each("pooled", frame.pooled), *each("dense", frame.dense),
            ("guesses", np.asarray(frame.guesses, np.uint8)),
        ]
        number = lambda value: float(value) if np.isfinite(value) else None
        metadata = {"kind": "frame", "step": snapshot.step, "epoch": snapshot.epoch, "status": snapshot.status,
                    "train_loss": number(frame.train_loss), "test_loss": number(frame.test_loss),
                    "test_accuracy": number(frame.test_accuracy), "data_version": data_version}
        return encode_arrays(metadata, named)


def encode_images(run: ConvRun, *, data_version: int) -> bytes:
    """The images message: the test images (uint8, 0–255 for 0–1) and their labels, in the guesses' order."""
    images, labels = run.images.test
    metadata = {"kind": "images", "data_version": data_version, "classes": list(run.images.classes)}
    return encode_arrays(metadata, [("test_images", quantise(images, 0.0, 1.0)), ("test_labels", labels.astype(np.uint8))])


CONVNET = Lab(config=ConvConfig, speed="steps_per_frame", default_speed=4, encoder=ConvFrameEncoder,
              data_message=encode_images)
