"""The ConvNet lab's stream messages, laid out as the playground's (encoding.py, docs/protocol.md): frames,
and an images message with the test images a frame's guesses refer to and the network's geometry."""
from __future__ import annotations

import numpy as np

from ..engine.convnet.network import receptive_fields, similar_units
from ..engine.convnet.run import ConvRun, Snapshot
from .encoding import encode_arrays, quantise


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
                    "test_accuracy": number(frame.test_accuracy), "test_index": snapshot.test_index,
                    "data_version": data_version}
        return encode_arrays(metadata, named)


def network_info(run: ConvRun) -> dict:
    """What a run's network and images are, as JSON: the class names, every weight layer (its kind, weight
    shape, parameter count and sides), every unit's receptive field, mini-batches an epoch, and the dense
    layers of an MLP of about as many parameters (the translation curve's comparison). It changes
    only when the run is rebuilt: the session reply and every images message carry it."""
    shape, sides = run.shape, run.shape.sides()
    kinds = ["conv"] * len(shape.conv) + ["dense"] * len(shape.dense) + ["output"]
    layers = [{"kind": kind, "weights": list(weights), "parameters": count,
               "side": sides[i] if kind == "conv" else None, "pooled_side": sides[i + 1] if kind == "conv" else None}
              for i, (kind, weights, count) in enumerate(zip(kinds, shape.weight_shapes(), shape.parameter_counts()))]
    fields = [{name: table.tolist() for name, table in layer.items()} for layer in receptive_fields(shape)]
    return {"classes": list(run.images.classes), "layers": layers, "receptive_fields": fields,
            "steps_per_epoch": run.steps_per_epoch, "mlp_dense_layers": [similar_units(shape)]}


def encode_images(run: ConvRun, *, data_version: int) -> bytes:
    """The images message: the test images (uint8, 0–255 for 0–1) and their labels, in the guesses' order;
    the network's geometry (network_info) as metadata."""
    images, labels = run.images.test
    metadata = {"kind": "images", "data_version": data_version, **network_info(run)}
    return encode_arrays(metadata, [("test_images", quantise(images, 0.0, 1.0)), ("test_labels", labels.astype(np.uint8))])
