"""Stream encoding: a run's frames, and its data points, as binary messages laid out as safetensors is.

8-byte little-endian header length, a JSON header naming each array's dtype,
shape and byte range (plus "__metadata__", a map of JSON-encoded strings), then
the array bytes. Arrays are ordered by element size so every one lies aligned
for a typed-array view. Metadata "kind" tells a frame from a points message: the
points change only when the run is rebuilt, so they travel on their own, to each viewer
before its first frame of each build (stream.Viewer), and no frame carries them.
docs/protocol.md documents it with a decoder.
"""
from __future__ import annotations

import json
import math
import struct

import numpy as np

from ..engine.config import finite_or_none
from ..engine.run import Run

GRID_RANGE = (-1.0, 1.0)  # output and neuron grids are quantised to uint8 over this range
FLOAT16_LIMIT = 60000.0  # float16 arrays are clipped to this magnitude
_DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16", np.dtype(np.uint8): "U8"}
_NUMPY = {name: dtype for dtype, name in _DTYPES.items()}


def quantise(values: np.ndarray, low: float = GRID_RANGE[0], high: float = GRID_RANGE[1]) -> np.ndarray:
    """Map [low, high] to 0..255, to the nearest step (clipped; NaN becomes the middle)."""
    scale = np.float32(255.0 / (high - low))
    scaled = np.asarray(values, np.float32) * scale
    scaled += np.float32(0.5) - np.float32(low) * scale
    np.minimum(np.maximum(scaled, 0.0, out=scaled), 255.0, out=scaled)  # np.clip costs more on small arrays
    if np.isnan(scaled.max()):  # max is NaN when any value is: one pass where isnan().any() makes two
        scaled[np.isnan(scaled)] = 128.0
    return scaled.astype(np.uint8)


def _half(values) -> np.ndarray:
    """Little-endian float16 (the wire's byte order), clipped to FLOAT16_LIMIT."""
    return np.minimum(np.maximum(np.asarray(values, np.float32), -FLOAT16_LIMIT), FLOAT16_LIMIT).astype("<f2")


def projection_range(points: np.ndarray) -> tuple[float, float]:
    """A symmetric range holding every finite coordinate, so the origin stays at the centre."""
    finite = points[np.isfinite(points)]
    extent = float(np.max(np.abs(finite))) if finite.size else 1.0
    return -max(extent, 1e-6), max(extent, 1e-6)


def _header(metadata: dict, arrays_json: str) -> bytes:
    """The length prefix and JSON header of a message: metadata values as JSON text, then the arrays' part."""
    text = ('{"__metadata__":' + json.dumps({key: _json(value) for key, value in metadata.items()},
                                             separators=(",", ":")) + "," + arrays_json + "}").encode()
    text += b" " * (-(8 + len(text)) % 8)  # pad so the array bytes start 8-byte aligned
    return struct.pack("<Q", len(text)) + text


def _arrays_json(specs) -> str:
    """The header's array part for (name, dtype, shape) specs laid out one after another, without braces."""
    offset, entries = 0, {}
    for name, dtype, shape in specs:
        size = math.prod(shape) * _NUMPY[dtype].itemsize
        entries[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    return json.dumps(entries, separators=(",", ":"))[1:-1]


def encode_points(run: Run, *, data_version: int) -> bytes:
    """The points message: the run's training and test points (x1, x2, label) as little-endian float16."""
    named = [("train_points", _half(run.train_points)), ("test_points", _half(run.test_points))]
    arrays_json = _arrays_json([(name, "F16", values.shape) for name, values in named])
    metadata = {"kind": "points", "data_version": data_version}
    return _header(metadata, arrays_json) + b"".join(values.tobytes() for _, values in named)


class FrameEncoder:
    """Encodes one network's frames for one view: which values go where is worked out once, not per frame.

    Valid while the run keeps its positions (until it rebuilds: new data or a new network) and the view
    stays the same; `fits` says whether it still is. A frame then costs a
    gather and a conversion per element type: the f32 metrics, the f16 weights and biases, the uint8 grids
    and projection. Arrays go largest element first so each lies aligned for a typed-array view.
    """

    def __init__(self, run: Run, *, view_layer: int) -> None:
        p = self.positions = run.positions
        self.view_layer = view_layer
        self.layer_sizes = run.layer_sizes()
        self.layer = min(max(view_layer, 0), max(len(p.projections) - 1, 0))  # within the network's depth
        # Each array's name and positions in the frame vector, in wire order, by wire type.
        singles = [(name, getattr(p, name)) for name in ("gradient_norms", "update_ratios", "saturation")]
        halves = [(f"{kind}.{i}", where) for i, pair in enumerate(zip(p.weights, p.biases))
                  for kind, where in zip(("weights", "biases"), pair)]
        grids = [("output", p.output)] + ([("neurons", np.concatenate(p.neurons))] if p.neurons else [])
        gather = lambda named: np.concatenate([where.ravel() for _, where in named])
        self.singles, self.halves, self.grids = gather(singles), gather(halves), gather(grids)
        self.projection = p.projections[self.layer] if p.projections else None

        specs = [(name, "F32", where.shape) for name, where in singles]
        specs += [(name, "F16", array.shape) for name, array in halves]
        specs += [(name, "U8", where.shape) for name, where in grids]
        if self.projection is not None:
            specs.append(("projection", "U8", self.projection.shape))
        self.arrays_json = _arrays_json(specs)  # the header's array part, unchanging

    def fits(self, run: Run, *, view_layer: int) -> bool:
        return self.positions is run.positions and self.view_layer == view_layer

    def encode(self, values: np.ndarray, run: Run, *, data_version: int) -> bytes:
        """The frame message for the run's frame `values` (Run.step), with its scalars as metadata."""
        scalars = run.scalars(values)
        chunks = [values[self.singles].astype("<f4").tobytes(), _half(values[self.halves]).tobytes(),
                  quantise(values[self.grids]).tobytes()]
        shown_range = None
        if self.projection is not None:
            projection = values[self.projection]
            shown_range = projection_range(projection)
            chunks.append(quantise(projection, *shown_range).tobytes())
        metadata = {
            "kind": "frame",
            "epoch": run.epoch,
            "status": run.status,
            "train_loss": finite_or_none(scalars["train_loss"]),
            "test_loss": finite_or_none(scalars["test_loss"]),
            "train_accuracy": scalars["train_accuracy"],
            "test_accuracy": scalars["test_accuracy"],
            "layer_sizes": self.layer_sizes,
            "probe_accuracy": scalars["probe_accuracy"],
            "input_probe_accuracy": scalars["input_probe_accuracy"],
            "view_layer": self.layer,
            "data_version": data_version,
            "grid_range": list(GRID_RANGE),
            "projection_range": list(shown_range) if shown_range else None,
        }
        return _header(metadata, self.arrays_json) + b"".join(chunks)


def _json(value) -> str:
    """JSON text of a metadata value; scalars without the json module's per-call cost."""
    if value is None:
        return "null"
    if type(value) is int or (type(value) is float and math.isfinite(value)):
        return repr(value)
    return json.dumps(value)


def decode(message: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """The reference decoder: (metadata with values parsed, arrays by name)."""
    (length,) = struct.unpack_from("<Q", message)
    header = json.loads(message[8 : 8 + length])
    metadata = {key: json.loads(value) for key, value in header.pop("__metadata__", {}).items()}
    body = memoryview(message)[8 + length :]
    arrays = {
        name: np.frombuffer(body[start:end], _NUMPY[spec["dtype"]].newbyteorder("<")).reshape(spec["shape"])
        for name, spec in header.items()
        for start, end in [spec["data_offsets"]]
    }
    return metadata, arrays
