"""The one typed description of a run: every setting a person can choose, with its bounds.

The registries of the engine's modules are the single source of every choice;
this model only names them, so the API, the page and the tests all read them here.
"""
from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .data import DATASETS, EXTENT, MAX_SAMPLES, is_regression
from .features import FEATURES
from .network import ACTIVATIONS, INITS, MAX_LAYERS, MAX_WIDTH
from .training import LOSSES, MAX_BATCH, OPTIMIZERS, REGULARIZATIONS

MIN_SAMPLES = 50  # smallest generated dataset
MAX_SEED = 2**31 - 1

Dataset = Literal[tuple(DATASETS)]  # type: ignore[valid-type]
Feature = Literal[tuple(FEATURES)]  # type: ignore[valid-type]
Activation = Literal[tuple(ACTIVATIONS)]  # type: ignore[valid-type]
Init = Literal[tuple(INITS)]  # type: ignore[valid-type]
Optimizer = Literal[tuple(OPTIMIZERS)]  # type: ignore[valid-type]
Loss = Literal[LOSSES]  # type: ignore[valid-type]
Regularization = Literal[REGULARIZATIONS]  # type: ignore[valid-type]
Finite = Annotated[float, Field(allow_inf_nan=False)]
CustomPoint = Annotated[list[Finite], Field(min_length=3, max_length=3)]

# Settings whose change starts a new network at epoch 0; the rest keep the current weights.
RESTARTING = frozenset(
    {"dataset", "noise", "train_fraction", "num_samples", "custom_points", "features", "hidden_layers",
     "activation", "init", "init_scale", "seed"}
)


class Config(BaseModel):
    """Everything that defines a run. Every field is optional; the defaults are the Playground's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: Dataset = Field("circle", description="which problem to learn")
    noise: Finite = Field(0.0, ge=0, le=50, description="label noise, percent")
    train_fraction: Finite = Field(0.5, ge=0.1, le=0.9, description="share of the points used for training")
    num_samples: int = Field(500, ge=MIN_SAMPLES, le=MAX_SAMPLES, description="points generated")
    custom_points: list[CustomPoint] = Field(
        default_factory=list, max_length=MAX_SAMPLES,
        description=f"[x1, x2, label] triples for dataset 'custom'; label -1 or 1, coordinates within ±{EXTENT:g}",
    )
    features: list[Feature] = Field(["x1", "x2"], min_length=1, max_length=len(FEATURES))
    hidden_layers: list[Annotated[int, Field(ge=1, le=MAX_WIDTH)]] = Field(
        [4, 2], max_length=MAX_LAYERS, description="neurons per hidden layer, input side first; [] is a linear model"
    )
    activation: Activation = "tanh"
    loss: Loss = Field("squared", description="classification loss; regression always uses squared loss")
    init: Init = "playground"
    init_scale: Finite = Field(1.0, gt=0, le=100, description="multiplies every initial weight")
    batch_size: int = Field(10, ge=1, le=MAX_BATCH)
    optimizer: Optimizer = "sgd"
    learning_rate: Finite = Field(0.03, ge=1e-5, le=10)
    regularization: Regularization = "none"
    regularization_rate: Finite = Field(0.0, ge=0, le=10)
    seed: int = Field(0, ge=0, le=MAX_SEED)

    @field_validator("features")
    @classmethod
    def _distinct(cls, features: list[str]) -> list[str]:
        if len(set(features)) != len(features):
            raise ValueError("features must not repeat")
        return features

    @field_validator("custom_points")
    @classmethod
    def _points_on_plane(cls, points: list[list[float]]) -> list[list[float]]:
        for x1, x2, label in points:
            if abs(x1) > EXTENT or abs(x2) > EXTENT:
                raise ValueError(f"custom point coordinates must lie within ±{EXTENT:g}")
            if label not in (-1.0, 1.0):
                raise ValueError("custom point labels must be -1 or 1")
        return points

    @model_validator(mode="after")
    def _custom_needs_points(self) -> "Config":
        if self.dataset == "custom":
            labels = {p[2] for p in self.custom_points}
            if len(self.custom_points) < 2 or len(labels) < 2:
                raise ValueError("dataset 'custom' needs custom_points with at least one point of each label")
        return self

    @property
    def regression(self) -> bool:
        return is_regression(self.dataset)

    @property
    def output_activation(self) -> str:
        """The output unit: linear for regression, sigmoid for cross-entropy, tanh otherwise."""
        if self.regression:
            return "linear"
        return "sigmoid" if self.loss == "cross_entropy" else "tanh"

    @property
    def effective_loss(self) -> str:
        return "squared" if self.regression else self.loss


BOUND_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems")


def bounds_of(schema: dict) -> dict:
    """The bounds in one JSON Schema, its items' included, and those of a nullable field's value."""
    if "anyOf" in schema:
        return {k: v for branch in schema["anyOf"] for k, v in bounds_of(branch).items()}
    found = {key: schema[key] for key in BOUND_KEYWORDS if key in schema}
    items = bounds_of(schema["items"]) if "items" in schema else {}
    return {**found, "items": items} if items else found


# Every bound of every setting, as JSON Schema names it, read from the fields above (so a bound is declared
# once, on its field): {"seed": {"minimum": 0, "maximum": ...}, "hidden_layers": {"maxItems": ..., "items": ...}}.
BOUNDS = {
    name: bounds for name, schema in Config.model_json_schema()["properties"].items() if (bounds := bounds_of(schema))
}


def finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN or infinity: such a value (or None) becomes None."""
    return None if value is None or not math.isfinite(value) else float(value)
