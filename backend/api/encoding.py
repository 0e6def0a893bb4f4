"""Frame encoding: a snapshot as one binary message laid out as safetensors is.

8-byte little-endian header length, a JSON header naming each array's dtype,
shape and byte range (plus "__metadata__", a map of JSON-encoded strings), then
the array bytes. Arrays are ordered by element size so every one lies aligned
for a typed-array view. docs/protocol.md documents it with a decoder.
"""
from __future__ import annotations

import json
import math
import struct

import numpy as np

from ..engine.config import finite_or_none
from ..engine.run import Snapshot

GRID_RANGE = (-1.0, 1.0)  # output and neuron grids are quantised to uint8 over this range
FLOAT16_LIMIT = 60000.0  # float16 arrays are clipped to this magnitude
_DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16", np.dtype(np.uint8): "U8"}
_NUMPY = {name: dtype for dtype, name in _DTYPES.items()}


def quantise(values: np.ndarray, low: float = GRID_RANGE[0], high: float = GRID_RANGE[1]) -> np.ndarray:
    """Map [low, high] to 0..255, to the nearest step (clipped; NaN becomes the middle)."""
    scaled = (np.asarray(values, np.float32) - np.float32(low)) * np.float32(255.0 / (high - low)) + np.float32(0.5)
    np.minimum(np.maximum(scaled, 0.0, out=scaled), 255.0, out=scaled)  # np.clip costs more on small arrays
    if np.isnan(scaled).any():
        scaled[np.isnan(scaled)] = 128.0
    return scaled.astype(np.uint8)


def _half(values) -> np.ndarray:
    return np.minimum(np.maximum(np.asarray(values, np.float32), -FLOAT16_LIMIT), FLOAT16_LIMIT).astype(np.float16)


def projection_range(points: np.ndarray) -> tuple[float, float]:
    """A symmetric range holding every finite coordinate, so the origin stays at the centre."""
    finite = points[np.isfinite(points)]
    extent = float(np.max(np.abs(finite))) if finite.size else 1.0
    return -max(extent, 1e-6), max(extent, 1e-6)


def encode_frame(snap: Snapshot, *, layer_sizes: list[int], view_layer: int, include_points: bool,
                 data_version: int) -> bytes:
    """One stream frame: the snapshot's arrays (grids quantised, one hidden layer's projection) and metadata."""
    arrays: dict[str, np.ndarray] = {"output": quantise(snap.output)}
    if snap.neurons:
        arrays["neurons"] = quantise(np.concatenate(snap.neurons))
    for i, (w, b) in enumerate(zip(snap.weights, snap.biases)):
        arrays[f"weights.{i}"] = _half(w)
        arrays[f"biases.{i}"] = _half(b)
    arrays["gradient_norms"] = np.asarray(snap.gradient_norms, np.float32)
    arrays["update_ratios"] = np.asarray(snap.update_ratios, np.float32)
    arrays["saturation"] = np.asarray(snap.saturation, np.float32)
    layer = min(max(view_layer, 0), max(len(snap.projections) - 1, 0))  # within the network's depth
    shown_range = None
    if snap.projections:
        shown_range = projection_range(snap.projections[layer])
        arrays["projection"] = quantise(snap.projections[layer], *shown_range)
    if include_points:
        arrays["train_points"] = _half(snap.train_points)
        arrays["test_points"] = _half(snap.test_points)
    metadata = {
        "epoch": snap.epoch,
        "status": snap.status,
        "train_loss": finite_or_none(snap.train_loss),
        "test_loss": finite_or_none(snap.test_loss),
        "train_accuracy": snap.train_accuracy,
        "test_accuracy": snap.test_accuracy,
        "layer_sizes": layer_sizes,
        "probe_accuracy": snap.probe_accuracy,
        "input_probe_accuracy": snap.input_probe_accuracy,
        "view_layer": layer,
        "data_version": data_version,
        "grid_range": list(GRID_RANGE),
        "projection_range": list(shown_range) if shown_range else None,
    }
    return encode(arrays, metadata)


def _json(value) -> str:
    """JSON text of a metadata value; scalars without the json module's per-call cost."""
    if value is None:
        return "null"
    if type(value) is int or (type(value) is float and math.isfinite(value)):
        return repr(value)
    return json.dumps(value)


def encode(arrays: dict[str, np.ndarray], metadata: dict) -> bytes:
    """Pack arrays and metadata into one safetensors-layout message."""
    order = sorted(arrays, key=lambda name: -arrays[name].dtype.itemsize)
    header: dict = {"__metadata__": {key: _json(value) for key, value in metadata.items()}}
    offset, chunks = 0, []
    for name in order:
        data = np.ascontiguousarray(arrays[name]).astype(arrays[name].dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _DTYPES[arrays[name].dtype], "shape": list(arrays[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)  # pad so the array bytes start 8-byte aligned
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


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
