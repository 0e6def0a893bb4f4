"""The fields of a frame, declared once: what each holds per network, how it travels, how it reads.

A frame is computed padded (frame.Frame, pictures.Pictures) and copied to the host as one vector. Every
other form derives from FIELDS: where each field's real part lies in that vector (`positions`), the host
snapshot (run.Snapshot), the stream's binary frame (api/encoding.py) and the snapshot reply (api/schemas.py,
api/routes.py). A new metric is computed in frame.py, declared here with its kind and wire type, tested,
and drawn by the page.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import numpy as np

from .network import MAX_LAYERS, PADDED_PARAMS, Params
from .pictures import DENSITY, THUMBNAIL


class Network(NamedTuple):
    """What slicing a padded field to the real network needs."""

    feature_rows: list[int]  # rows of the chosen features among all of them, in registry order
    widths: list[int]  # units per hidden layer
    points: int  # real data points: the training points, then the test points, fill the first slots


def _weights(params, net: Network) -> list[np.ndarray]:
    """Per weight layer, input side first: (fan_in, fan_out) of padded params (arrays, or their positions)."""
    rows, weights = net.feature_rows, []
    for layer, width in enumerate(net.widths):
        weights.append(params.w[layer][rows, :width])
        rows = slice(0, width)
    return [*weights, params.w_out[rows][:, None]]


def _biases(params, net: Network) -> list[np.ndarray]:
    """Per weight layer: (fan_out,)."""
    return [*(params.b[layer][:width] for layer, width in enumerate(net.widths)), np.asarray([params.b_out])]


class Sizes(NamedTuple):
    """The static sizes of a frame's padded arrays: the data slots of its training program and the width of its
    picture program."""

    slots: int
    picture_width: int


class Kind(NamedTuple):
    """A shape of field: its padded shape, what of it is real for a network, the form its JSON takes
    (api/schemas.py gives each form its type), and how a stream frame carries it when it is an array (`ARRAYS`)."""

    padded: Callable[[Sizes], tuple | Params]
    real: Callable[[np.ndarray, Network], np.ndarray | list[np.ndarray]]
    json: str
    arrays: str = "one"


# A list field (one array per layer) goes in a stream frame as one array per layer, NAME.i ("each"), as one
# array joined along the first axis ("joined"), or only the viewed layer's ("viewed"); others as one array.
ARRAYS = ("one", "each", "joined", "viewed")
SCALAR = Kind(lambda sizes: (), lambda where, net: where, "number")
PER_WEIGHT_LAYER = Kind(lambda sizes: (MAX_LAYERS + 1,), lambda where, net: where[: len(net.widths) + 1],
                        "numbers")  # input side first; the output layer's at index depth
PER_HIDDEN_LAYER = Kind(lambda sizes: (MAX_LAYERS,), lambda where, net: where[: len(net.widths)], "numbers")
WEIGHT_MATRICES = Kind(lambda sizes: PADDED_PARAMS, _weights, "matrix per layer", "each")  # read from the frame's params
BIAS_VECTORS = Kind(lambda sizes: PADDED_PARAMS, _biases, "numbers per layer", "each")
GRID = Kind(lambda sizes: (DENSITY, DENSITY), lambda where, net: where, "grid")  # over the plane, row 0 at the top
NEURON_GRIDS = Kind(lambda sizes: (MAX_LAYERS, sizes.picture_width, THUMBNAIL, THUMBNAIL),
                    lambda where, net: [where[layer, :w] for layer, w in enumerate(net.widths)], "grids per layer",
                    "joined")
LAYER_POINTS = Kind(lambda sizes: (MAX_LAYERS, sizes.slots, 2),
                    lambda where, net: [where[layer][: net.points] for layer in range(len(net.widths))],
                    "points per layer", "viewed")

# How a field travels in a stream frame: as metadata (JSON), or as arrays of one element type.
META, F32, F16, U8 = "meta", "F32", "F16", "U8"  # U8: quantised over the frame's grid_range
U8_OWN_RANGE = "U8 own range"  # quantised over a symmetric range of its own, sent as metadata WIRE_NAME_range


class Field(NamedTuple):
    name: str
    kind: Kind
    wire: str
    description: str
    source: str = ""  # the padded array it reads (frame.Frame or pictures.Pictures), when not its own name
    classification: bool = False  # null for regression
    wire_name: str = ""  # the stream's name for it, when not its own
    history: bool = False  # kept of every frame in the run's history (history.History), for the charts

    @property
    def reads(self) -> str:
        return self.source or self.name

    @property
    def sent_as(self) -> str:
        return self.wire_name or self.name


FIELDS = (
    Field("train_loss", SCALAR, META, "mean loss over the training points", history=True),
    Field("test_loss", SCALAR, META, "mean loss over the test points", history=True),
    Field("train_accuracy", SCALAR, META, "fraction of training points on the right side", classification=True,
          history=True),
    Field("test_accuracy", SCALAR, META, "fraction of test points on the right side", classification=True,
          history=True),
    Field("probe_accuracy", PER_HIDDEN_LAYER, META,
          "per hidden layer, the training accuracy of a ridge-regularised linear read-out of its units",
          classification=True),
    Field("input_probe_accuracy", SCALAR, META, "the same read-out of the input features", classification=True),
    Field("gradient_norms", PER_WEIGHT_LAYER, F32, "per weight layer, the norm of the loss's gradient", history=True),
    Field("update_ratios", PER_WEIGHT_LAYER, F32, "per weight layer, the last update's norm over the weights' norm", history=True),
    Field("saturation", PER_WEIGHT_LAYER, F32, "per weight layer, the fraction of its units' slopes near zero", history=True),
    Field("weights", WEIGHT_MATRICES, F16, "per weight layer: [fan_in][fan_out]", source="params"),
    Field("biases", BIAS_VECTORS, F16, "per weight layer: [fan_out]", source="params"),
    Field("output", GRID, U8, "the network's output over the plane, in label units"),
    Field("neurons", NEURON_GRIDS, U8, "per hidden layer, every unit's activation over the plane"),
    Field("projections", LAYER_POINTS, U8_OWN_RANGE,
          "per hidden layer, every point (train then test) on the layer's top two principal axes of the training "
          "points (the raw units when the layer has two or fewer)", wire_name="projection"),
)
FIELD = {field.name: field for field in FIELDS}


def padded_shapes(sizes: Sizes) -> dict:
    """Each padded array a frame is computed as, by name, as float32 shapes (for packing.Layout)."""
    as_struct = lambda shape: jax.ShapeDtypeStruct(shape, np.float32)
    shapes = {field.reads: field.kind.padded(sizes) for field in FIELDS}
    return {name: jax.tree.map(as_struct, shape, is_leaf=lambda s: type(s) is tuple)  # a shape, not Params
            for name, shape in shapes.items()}


def positions(padded: dict, net: Network) -> dict:
    """Each field's real part for `net`, from a map of the padded arrays (or their positions) by name."""
    return {field.name: field.kind.real(padded[field.reads], net) for field in FIELDS}


def gather(values: np.ndarray, where) -> np.ndarray | list[np.ndarray]:
    """A field's values from a frame's host vector, given its positions (an index array, or a list of them)."""
    return [values[w] for w in where] if isinstance(where, list) else values[where]
