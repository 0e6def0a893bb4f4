"""The one typed description of a ConvNet lab run: every setting a person can choose, with its bounds,
named from the registries of the lab's modules and the playground's."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..config import MAX_SEED, Activation, Finite, Init, Optimizer
from .images import DATASETS, MIN_TRAIN_IMAGES
from .network import KERNELS, MAX_CONV_LAYERS, MAX_DENSE_LAYERS, MAX_DENSE_UNITS, MAX_FILTERS, POOLINGS

MAX_TRAIN_IMAGES = 2000  # a bound for train_images: no dataset has more training images
TRAIN_IMAGE_CHOICES = (20, 50, 150, 500)  # subsets the lab offers besides all the images: the digits lesson's sizes
BATCH_SIZES = (16, 32, 64, 128)  # a batch size is part of the program (static): a few to choose from

ImageDataset = Literal[tuple(DATASETS)]  # type: ignore[valid-type]
Pooling = Literal[POOLINGS]  # type: ignore[valid-type]
Kernel = Literal[KERNELS]  # type: ignore[valid-type]
BatchSize = Literal[BATCH_SIZES]  # type: ignore[valid-type]

# Settings whose change starts a new network at step 0; the rest keep the current weights.
RESTARTING = frozenset({"dataset", "conv_layers", "dense_layers", "activation", "init", "init_scale", "batch_size",
                        "seed", "train_images"})


class ConvLayer(BaseModel):
    """One convolutional layer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    filters: int = Field(8, ge=1, le=MAX_FILTERS, description="feature detectors, each a kernel × kernel filter")
    kernel: Kernel = Field(3, description="pixels a side of a filter (its receptive field in the layer below)")
    pooling: Pooling = Field("max", description="2 × 2 pooling after the layer, or none")


class ConvConfig(BaseModel):
    """Everything that defines a ConvNet lab run. Every field is optional; the defaults are the lab's
    default network: two convolutional layers of 8 and 16 3 × 3 filters with max pooling, one dense layer of 32."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: ImageDataset = Field("digits", description="the images to learn")
    conv_layers: list[ConvLayer] = Field(
        default_factory=lambda: [ConvLayer(filters=8), ConvLayer(filters=16)], max_length=MAX_CONV_LAYERS,
        description="input side first; [] is a dense network on the raw pixels",
    )
    dense_layers: list[Annotated[int, Field(ge=1, le=MAX_DENSE_UNITS)]] = Field(
        [32], max_length=MAX_DENSE_LAYERS, description="units per dense hidden layer, after the convolutional ones"
    )
    activation: Activation = "relu"
    init: Init = "he"
    init_scale: Finite = Field(1.0, gt=0, le=100, description="multiplies every initial weight")
    batch_size: BatchSize = 64
    optimizer: Optimizer = "adam"
    learning_rate: Finite = Field(0.01, ge=1e-5, le=10)
    l2: Finite = Field(1e-4, ge=0, le=1, description="rate of the L2 penalty on the weights")
    seed: int = Field(0, ge=0, le=MAX_SEED)
    train_images: int | None = Field(
        None, ge=MIN_TRAIN_IMAGES, le=MAX_TRAIN_IMAGES,
        description="train on this many of the training images (a stratified subset); none or more: all of them",
    )
