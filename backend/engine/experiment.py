"""An experiment: a grid of networks of one lab over up to three axes of settings, times seeds; what it can
vary (LABS: each lab's config and axes), what it reports of each network (MEASURES, CURVES) and its limits.

A definition names a lab, a base config of that lab, the axes with their values, the seeds, the epochs and how
many epochs to measure at. `expand` turns it into networks (each a whole config, so the lab's page can open
any one of them) or says which field is wrong. The playground's networks train together in sweep.py's
programs; the ConvNet lab's one after another (pieces.py). The registries here are the single place an axis
or a measure is declared: the API serves them, the page builds its menus and plots from them, the lessons
use them.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .config import BOUNDS, MAX_SEED, Config, bounds_of
from .convnet import images
from .convnet.config import BATCH_SIZES, ConvConfig
from .convnet.network import POOL
from .data import DATASETS, training_points
from .features import FEATURES
from .network import ACTIVATIONS, INITS, MAX_LAYERS, MAX_WIDTH
from .sweep import RECORD, NetworkResult, dataset_of
from .training import OPTIMIZERS

MAX_AXES = 3  # axes of one grid
MAX_VALUES = 12  # values of one axis
MAX_SEEDS = 20  # networks per grid cell
MAX_EPOCHS = 5000  # epochs a network trains
MAX_RECORD = 51  # epochs a network is measured at
MAX_NETWORKS = 1000  # networks of one experiment
# Multiply-adds of training one experiment may ask for (pieces.py counts them): about eight times the vanishing-gradient
# lesson's, a few minutes of the background lane on two cores for the playground's networks (bench/lessons.py;
# the ConvNet lab's convolutions do more multiply-adds a second: its digits lesson is 2.3 times the work in
# twice the time).
MAX_WORK = 3e10
MAX_NETWORK_WORK = 4e9  # one network's at most: a piece trains it whole, and a cancel waits for the piece
BASELINE_WORK = 2e5  # a baseline fit's cost per training point, in multiply-adds: its time at the lane's rate

DEFAULT_SEEDS = 5
DEFAULT_EPOCHS = 300
DEFAULT_WIDTH = 4  # the units of each layer when `depth` adds layers to a linear base
MAX_LABEL = 60  # characters of a variant's label
LARGEST = 2.0**53  # an axis's number at most (in size): beyond it a float no longer holds every whole number
NO_DATA_AXES = {"custom": ("train_size", "noise")}  # axes a dataset ignores: drawn points are all the data there is


class Invalid(ValueError):
    """A definition refused: `loc` names the field (as a 422 names it), the message says why."""

    def __init__(self, loc: tuple, message: str) -> None:
        super().__init__(message)
        self.loc = loc


Fields = dict[str, Any]  # a config's fields as a dict, before it is validated


@dataclass(frozen=True)
class Axis:
    """One thing a grid can vary: how its values read (kind, bounds) and what a value does to a config."""

    label: str
    kind: str  # int | number | choice | features | variant: what a value is (docs/experiments.md)
    apply: Callable[[Fields, Any], Fields]
    choices: tuple[str, ...] = ()
    bounds: dict = field(default_factory=dict)  # JSON Schema's minimum/maximum, for int and number
    log: bool = False  # the values spread over orders of magnitude: a log scale suits them
    data: bool = False  # whether it changes the data (the baselines' cells keep only such axes)

    def label_of(self, value) -> str:
        if self.kind == "variant":
            return value["label"]
        if self.kind == "features":
            return ", ".join(FEATURES[name].label for name in value)
        return f"{value:g}" if isinstance(value, float) else str(value)


def _set(name: str) -> Callable[[Fields, Any], Fields]:
    return lambda fields, value: {**fields, name: value}


def _depth(fields: Fields, depth: int) -> Fields:
    width = (fields["hidden_layers"] or [DEFAULT_WIDTH])[0]
    return {**fields, "hidden_layers": [width] * depth}


def _width(fields: Fields, width: int) -> Fields:
    return {**fields, "hidden_layers": [width] * len(fields["hidden_layers"])}


def _train_size(fields: Fields, n: int) -> Fields:
    """n training points and as many test points as the fields had (make_dataset's split)."""
    total = fields["num_samples"]
    test = total - training_points(total, fields["train_fraction"])
    return {**fields, "num_samples": n + test, "train_fraction": n / (n + test)}


def _variant(fields: Fields, variant: dict) -> Fields:
    return {**fields, **variant["settings"]}


def _bounds(name: str, bounds: dict = BOUNDS) -> dict:
    return {k: v for k, v in bounds[name].items() if k in ("minimum", "maximum", "exclusiveMinimum")}


CONVNET_BOUNDS = {name: bounds_of(schema) for name, schema in ConvConfig.model_json_schema()["properties"].items()}


# Applied in this order whatever the definition's order, so that depth and width compose.
AXES: dict[str, Axis] = {
    "variant": Axis("network", "variant", _variant),
    "dataset": Axis("dataset", "choice", _set("dataset"), tuple(DATASETS), data=True),
    "noise": Axis("noise (%)", "number", _set("noise"), bounds=_bounds("noise"), data=True),
    "train_size": Axis("training points", "int", _train_size, bounds={"minimum": 1, "maximum": BOUNDS["num_samples"]["maximum"]},
                       log=True, data=True),
    "features": Axis("input features", "features", _set("features"), tuple(FEATURES)),
    "depth": Axis("hidden layers", "int", _depth, bounds={"minimum": 0, "maximum": MAX_LAYERS}),
    "width": Axis("units per hidden layer", "int", _width, bounds={"minimum": 1, "maximum": MAX_WIDTH}),
    "activation": Axis("activation", "choice", _set("activation"), tuple(ACTIVATIONS)),
    "init": Axis("initialisation", "choice", _set("init"), tuple(INITS)),
    "init_scale": Axis("initial weight scale", "number", _set("init_scale"), bounds=_bounds("init_scale"), log=True),
    "learning_rate": Axis("learning rate", "number", _set("learning_rate"), bounds=_bounds("learning_rate"), log=True),
    "optimizer": Axis("optimiser", "choice", _set("optimizer"), tuple(OPTIMIZERS)),
    "batch_size": Axis("batch size", "int", _set("batch_size"), bounds=_bounds("batch_size"), log=True),
}
_SHARED = ("variant", "activation", "init", "init_scale", "learning_rate", "optimizer")  # the labs' common fields
CONVNET_AXES: dict[str, Axis] = {
    **{name: AXES[name] for name in _SHARED[:1]},
    "dataset": Axis("images", "choice", _set("dataset"), tuple(images.DATASETS), data=True),
    "train_size": Axis("training images", "int", _set("train_images"),
                       bounds=_bounds("train_images", CONVNET_BOUNDS),
                       log=True, data=True),
    **{name: AXES[name] for name in _SHARED[1:]},
    "batch_size": Axis("batch size", "int", _set("batch_size"),
                       bounds={"minimum": min(BATCH_SIZES), "maximum": max(BATCH_SIZES)}, log=True),
    "l2": Axis("L2 penalty", "number", _set("l2"), bounds=_bounds("l2", CONVNET_BOUNDS)),
}


@dataclass(frozen=True)
class Lab:
    """What an experiment of one lab varies: its config and its axes (applied in their registry's order)."""

    config: type[BaseModel]
    axes: dict[str, Axis]
    data: tuple[str, ...]  # the config fields that make a network's data: networks alike in them share it

    def changes_data(self, axis: AxisValues) -> bool:
        """Whether an axis's values make different data: a data axis, or a variant that sets a data field."""
        return self.axes[axis.name].data or (
            self.axes[axis.name].kind == "variant" and any(set(v["settings"]) & set(self.data) for v in axis.values))


LABS = {
    "playground": Lab(Config, AXES, ("dataset", "noise", "num_samples", "train_fraction", "custom_points", "seed")),
    "convnet": Lab(ConvConfig, CONVNET_AXES, ("dataset", "train_images", "seed")),
}


class AxisValues(BaseModel):
    """One axis of a grid and its values."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="an axis of /api/experiments/options")
    values: list[Any] = Field(min_length=1, max_length=MAX_VALUES)


class Definition(BaseModel):
    """What an experiment trains (docs/experiments.md)."""

    model_config = ConfigDict(extra="forbid")

    lab: Literal[tuple(LABS)] = Field("playground", description="whose networks: the playground's or the ConvNet lab's")  # type: ignore[valid-type]
    base: dict[str, Any] = Field(default_factory=dict, description="the lab's config (every field optional) every "
                                                                   "network starts from")
    axes: list[AxisValues] = Field(default_factory=list, max_length=MAX_AXES)
    seeds: int = Field(DEFAULT_SEEDS, ge=1, le=MAX_SEEDS, description="networks per cell, seeds base.seed + 0, 1, …")
    epochs: int = Field(DEFAULT_EPOCHS, ge=0, le=MAX_EPOCHS)
    record: int = Field(RECORD, ge=2, le=MAX_RECORD, description="epochs measured at, evenly spaced")
    baselines: bool = Field(False, description="also fit scikit-learn's classic methods to each cell's data")

    @field_validator("base", mode="before")
    @classmethod
    def _settings(cls, base):
        """A config object given in code stands for the fields it sets."""
        return base.model_dump(exclude_defaults=True) if isinstance(base, BaseModel) else base


@dataclass(frozen=True)
class Network:
    """One network of an experiment: its place in the grid (an index into each axis's values) and config."""

    index: int
    cell: tuple[int, ...]
    seed: int  # which of the cell's seeds, from 0
    config: Config | ConvConfig


def _checked_value(axis: Axis, value, loc: tuple):
    """The value if it is of the axis's kind; Invalid otherwise (bounds and names are Config's to check)."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) <= LARGEST
    if axis.kind == "int" and not (number and float(value).is_integer()):
        raise Invalid(loc, "a whole number")
    if axis.kind == "number" and not (number and math.isfinite(value)):
        raise Invalid(loc, "a finite number")
    if axis.kind == "choice" and value not in axis.choices:
        raise Invalid(loc, f"one of {', '.join(axis.choices)}")
    if axis.kind == "features" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise Invalid(loc, "a list of feature names")
    if axis.kind == "variant":
        if not (isinstance(value, dict) and set(value) == {"label", "settings"} and isinstance(value["settings"], dict)
                and isinstance(value["label"], str) and 0 < len(value["label"]) <= MAX_LABEL):
            raise Invalid(loc, f'{{"label": up to {MAX_LABEL} characters, "settings": {{config fields}}}}')
    if axis.kind == "int":
        return int(value)
    return value


def _config(fields: Fields, loc: tuple, lab: Lab = LABS["playground"], within: bool = False) -> Config | ConvConfig:
    """The lab's config of these fields; Invalid at `loc` (and, `within`, at the field inside it) otherwise."""
    try:
        return lab.config(**fields)
    except ValidationError as error:
        first = error.errors()[0]
        if within:
            raise Invalid((*loc, *first["loc"]), first["msg"]) from None
        where = ".".join(str(part) for part in first["loc"])
        raise Invalid(loc, f"{where}: {first['msg']}" if where else first["msg"]) from None


def _fields_of(lab: Lab, base: Fields, named: Sequence[tuple[str, Any]]) -> Fields:
    for name, axis in lab.axes.items():  # the registry's order (see AXES)
        for axis_name, value in named:
            if axis_name == name:
                base = axis.apply(base, value)
    return base


def expand(definition: Definition) -> list[Network]:
    """Every network of the grid, cell by cell (the last axis fastest), each cell's seeds in turn; Invalid
    naming the field for a value no network can take, a combination of values that makes no config, or too
    many networks (pieces.plan bounds the work)."""
    lab = LABS[definition.lab]
    names = [a.name for a in definition.axes]
    for k, name in enumerate(names):
        if name not in lab.axes:
            raise Invalid(("axes", k, "name"), f"one of {', '.join(lab.axes)}")
        if name in names[:k]:
            raise Invalid(("axes", k, "name"), f"{name} is already an axis")
    count = math.prod(len(a.values) for a in definition.axes) * definition.seeds
    if count > MAX_NETWORKS:
        raise Invalid(("seeds",), f"{count} networks; at most {MAX_NETWORKS} (fewer values or seeds)")
    base = _config(definition.base, ("base",), lab, within=True).model_dump()
    values = []
    for k, a in enumerate(definition.axes):
        checked = [_checked_value(lab.axes[a.name], v, ("axes", k, "values", j)) for j, v in enumerate(a.values)]
        for j, v in enumerate(checked):  # each value alone on the base
            _config(_fields_of(lab, base, [(a.name, v)]), ("axes", k, "values", j), lab)
        values.append(checked)
    networks = []
    for cell in itertools.product(*(range(len(v)) for v in values)):
        chosen = [(name, values[k][j]) for k, (name, j) in enumerate(zip(names, cell))]
        fields = _fields_of(lab, base, chosen)
        where = ", ".join(f"{name} {lab.axes[name].label_of(v)}" for name, v in chosen)
        config = _config(fields, ("axes",), lab) if not chosen else _combination(lab, fields, where)
        if config.seed + definition.seeds - 1 > MAX_SEED:
            raise Invalid(("seeds",), f"the seeds from {config.seed} on pass the largest, {MAX_SEED}")
        for k, name in enumerate(names):
            if name in NO_DATA_AXES.get(config.dataset, ()):
                raise Invalid(("axes", k, "name"), f"dataset {config.dataset} ignores {name}")
        for seed in range(definition.seeds):
            networks.append(Network(len(networks), cell, seed, config.model_copy(update={"seed": config.seed + seed})))
    if definition.baselines and any(getattr(n.config, "regression", False) for n in networks):
        raise Invalid(("baselines",), "the classic baselines classify: not for a regression dataset")
    return networks


def _combination(lab: Lab, fields: Fields, where: str) -> Config | ConvConfig:
    try:
        return _config(fields, ("axes",), lab)
    except Invalid as error:
        raise Invalid(("axes",), f"{where}: {error}") from None


def training_count(config: Config | ConvConfig) -> int:
    """A network's training points or images, without making its data (but for drawn points)."""
    if isinstance(config, ConvConfig):
        full = images.DATASETS[config.dataset](0).n_train  # the same for every seed
        return min(config.train_images or full, full)
    if config.dataset == "custom":
        return int(dataset_of(config).train.sum())
    return training_points(config.num_samples, config.train_fraction)


def convnet_work(config: ConvConfig, epochs: int) -> float:
    """A ConvNet lab network's training, in multiply-adds: each epoch passes every training image forward
    through every weight, a convolution's at every place it looks ('same' convolutions, 2 × 2 pooling; the
    backward pass and the update cost a fixed multiple of that). The playground's networks: pieces.py."""
    side, channels, per_image = images.SIDES[config.dataset], 1, 0
    for layer in config.conv_layers:
        per_image += side * side * channels * layer.filters * layer.kernel**2
        side, channels = (side // POOL if layer.pooling != "none" else side), layer.filters
    widths = [side * side * channels, *config.dense_layers, len(images.DATASETS[config.dataset](0).classes)]
    per_image += sum(a * b for a, b in zip(widths, widths[1:]))
    return float(epochs) * training_count(config) * per_image


@dataclass(frozen=True)
class Measure:
    """One number a network ends with, as the lessons plot it against an axis."""

    label: str
    of: Callable[[NetworkResult], float]
    log: bool = False  # spread over orders of magnitude


def _ratio(norms: np.ndarray) -> float:
    """The first weight layer's gradient norm over the output layer's."""
    return float(norms[0] / norms[-1]) if norms[-1] > 0 else math.nan


MEASURES: dict[str, Measure] = {
    "test_accuracy": Measure("test accuracy", lambda r: float(r.test_accuracy[-1])),
    "train_accuracy": Measure("training accuracy", lambda r: float(r.train_accuracy[-1])),
    "test_loss": Measure("test loss", lambda r: float(r.test_loss[-1]), log=True),
    "train_loss": Measure("training loss", lambda r: float(r.train_loss[-1]), log=True),
    "gradient_ratio": Measure("first layer's gradient ÷ output layer's, at initialisation",
                              lambda r: _ratio(r.initial_gradient_norms), log=True),
    "final_gradient_ratio": Measure("first layer's gradient ÷ output layer's, at the end",
                                    lambda r: _ratio(r.final_gradient_norms), log=True),
}
# NetworkResult's per-recorded-epoch fields: the curves of the measures of those names, labelled alike.
CURVES = {name: MEASURES[name].label for name in ("train_loss", "test_loss", "train_accuracy", "test_accuracy")}
