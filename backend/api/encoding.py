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

from ..engine.fields import F16, F32, FIELDS, U8, U8_OWN_RANGE
from ..engine.run import Run, Snapshot

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


def symmetric_range(points: np.ndarray) -> tuple[float, float]:
    """A symmetric range holding every finite value, so that zero stays at the centre (for U8_OWN_RANGE fields)."""
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


def encode_arrays(metadata: dict, named: list[tuple[str, np.ndarray]]) -> bytes:
    """A message of named float32 and uint8 arrays with metadata (a lab's frames whose fields are few and
    small enough to lay out per frame): float32 first, so every array lies aligned."""
    named = sorted(named, key=lambda item: -item[1].dtype.itemsize)  # stable: the given order within a size
    wires = [(name, _DTYPES[values.dtype], values.shape) for name, values in named]
    return _header(metadata, _arrays_json(wires)) + b"".join(np.ascontiguousarray(v).astype(v.dtype.newbyteorder("<")).tobytes() for _, v in named)


def encode_points(run: Run, *, data_version: int) -> bytes:
    """The points message: the run's training and test points (x1, x2, label) as little-endian float16."""
    named = [("train_points", _half(run.train_points)), ("test_points", _half(run.test_points))]
    arrays_json = _arrays_json([(name, "F16", values.shape) for name, values in named])
    metadata = {"kind": "points", "data_version": data_version}
    return _header(metadata, arrays_json) + b"".join(values.tobytes() for _, values in named)


def _wire_arrays(field, where, layer: int) -> list[tuple[str, np.ndarray]]:
    """A field's arrays in a stream frame, by name, with their positions in the frame vector (fields.ARRAYS)."""
    how = field.kind.arrays
    if how == "one":
        return [(field.sent_as, where)]
    if how == "each":
        return [(f"{field.sent_as}.{i}", w) for i, w in enumerate(where)]
    if how == "joined":
        return [(field.sent_as, np.concatenate(where))] if where else []
    return [(field.sent_as, where[layer])] if where else []  # viewed


class FrameEncoder:
    """Encodes one network's frames for one view: which values go where is worked out once, not per frame.

    Every array and metadata field comes from the engine's declaration (engine/fields.py). Valid while the run
    keeps its positions (until it rebuilds: new data or a new network) and the view stays the same; `fits`
    says whether it still is. A frame then costs a gather and a conversion per element type: f32, f16, the
    uint8 grids, and each array quantised over a range of its own. Arrays go largest element first so each
    lies aligned for a typed-array view.
    """

    def __init__(self, run: Run, *, view_layer: int) -> None:
        p = self.positions = run.positions
        self.view_layer = view_layer
        self.layer_sizes = run.layer_sizes()
        self.layer = min(max(view_layer, 0), max(len(run.config.hidden_layers) - 1, 0))  # within the depth
        named = {wire: [named for field in FIELDS if field.wire == wire
                        for named in _wire_arrays(field, p[field.name], self.layer)]
                 for wire in (F32, F16, U8, U8_OWN_RANGE)}
        joined = lambda wire: np.concatenate([where.ravel() for _, where in named[wire]] or [np.zeros(0, int)])
        self.singles, self.halves, self.grids = joined(F32), joined(F16), joined(U8)
        self.own_range = named[U8_OWN_RANGE]  # each quantised over its own range
        # Every own-range field's range in the metadata: null when the network has no array of it to send.
        self.no_ranges = {f"{field.sent_as}_range": None for field in FIELDS if field.wire == U8_OWN_RANGE}
        specs = [(name, wire, where.shape) for wire in (F32, F16, U8) for name, where in named[wire]]
        specs += [(name, U8, where.shape) for name, where in self.own_range]
        self.arrays_json = _arrays_json(specs)  # the header's array part, unchanging

    def fits(self, run: Run, *, view_layer: int) -> bool:
        return self.positions is run.positions and self.view_layer == view_layer

    def encode(self, snapshot: Snapshot, *, data_version: int, past: bool = False) -> bytes:
        """The frame message for a snapshot of the run (Run.train), with its metadata fields; `past`: a
        frame of an earlier epoch, looked back at (Run.at), not the run's latest."""
        values = snapshot.values
        chunks = [values[self.singles].astype("<f4").tobytes(), _half(values[self.halves]).tobytes(),
                  quantise(values[self.grids]).tobytes()]
        ranges = dict(self.no_ranges)
        for name, where in self.own_range:
            shown = values[where]
            ranges[f"{name}_range"] = list(symmetric_range(shown))
            chunks.append(quantise(shown, *ranges[f"{name}_range"]).tobytes())
        metadata = {
            "kind": "frame",
            "epoch": snapshot.epoch,
            "status": snapshot.status,
            "past": past,
            **snapshot.metadata(),
            "layer_sizes": self.layer_sizes,
            "view_layer": self.layer,
            "data_version": data_version,
            "grid_range": list(GRID_RANGE),
            **ranges,
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
