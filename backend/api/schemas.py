"""Pydantic models of every request and reply; the OpenAPI schema they make is the contract."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from ..engine.config import MAX_SEED, Config, Finite
from ..engine.convnet.config import ConvConfig
from ..engine.convnet.export import FORMAT as CONVNET_FORMAT, VERSION as CONVNET_VERSION
from ..engine.convnet.images import SIDES
from ..engine.convnet.network import MAX_DENSE_UNITS, MAX_FILTERS
from ..engine.export import VERSION as EXPORT_VERSION
from ..engine.fields import FIELDS
from ..engine.history import COLUMNS as HISTORY_COLUMNS, HISTORY_LIMIT
from ..engine.timeline import MAX_CHANGES, MAX_CHECKPOINTS, MAX_EPOCH

MAX_EPOCHS = 10000  # epochs one train request may ask for
MAX_PREDICT = 10000  # points one predict request may ask about
MAX_EPOCHS_PER_FRAME = 100  # the stream's speed control at most
MAX_STEPS_PER_FRAME = 64  # the ConvNet lab's speed control at most (mini-batches a frame)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionState(BaseModel):
    epoch: int
    status: Literal["paused", "running", "diverged"]
    train_loss: float | None
    test_loss: float | None
    train_accuracy: float | None = Field(description="null for regression")
    test_accuracy: float | None = Field(description="null for regression")


class Session(BaseModel):
    id: str
    config: Config
    state: SessionState


class SessionUpdate(Session):
    restarted: bool = Field(description="true when the change started a new network at epoch 0")


class TrainRequest(Strict):
    epochs: int = Field(1, ge=1, le=MAX_EPOCHS)


class ResetRequest(Strict):
    seed: int | None = Field(None, ge=0, le=MAX_SEED)


class PredictRequest(Strict):
    points: list[Annotated[list[Finite], Field(min_length=2, max_length=2)]] = Field(max_length=MAX_PREDICT)


class Prediction(BaseModel):
    outputs: list[float | None]


class Grid(BaseModel):
    extent: list[float] = Field(description="[x1_min, x1_max, x2_min, x2_max]")
    resolution: int
    values: list[list[float | None]] = Field(description="rows from the top (x2 = max) down")


Numbers = list[float | None]
JSON_FORMS = {  # the JSON type of each form of frame field (fields.Kind.json)
    "number": float | None,
    "numbers": Numbers,
    "numbers per layer": list[Numbers],
    "matrix per layer": list[list[Numbers]],
    "grid": Grid,
    "grids per layer": list[list[Grid]],
    "points per layer": list[list[Numbers]],
}


class FrameBase(BaseModel):
    epoch: int
    status: str
    layer_sizes: list[int] = Field(description="features, hidden layers, output")
    train_points: list[list[float]] = Field(description="x1, x2, label of every training point")
    test_points: list[list[float]]


# One full frame: its every field as fields.FIELDS declares it, in the JSON form of its kind.
Snapshot = create_model(
    "Snapshot",
    __base__=FrameBase,
    **{f.name: (JSON_FORMS[f.kind.json], Field(description=f.description)) for f in FIELDS},
)


class Leaf(Strict):
    shape: list[int] = Field(max_length=4)
    dtype: Literal["float32", "int32", "uint32"]
    data: list[Finite | None] = Field(max_length=4096)


History = create_model(
    "History", __base__=Strict, __doc__="A run's history (engine/history.py): per frame that trained, column by column",
    epoch=(list[Annotated[int, Field(ge=0, le=MAX_EPOCH)]], Field(max_length=HISTORY_LIMIT)),
    **{name: (list[float | None] if width == 1 else list[list[float | None]],
              Field(max_length=HISTORY_LIMIT, description=f"per frame{'' if width == 1 else ', per weight layer'}"))
       for name, width in HISTORY_COLUMNS.items()},
)


class RunHistory(BaseModel):
    epoch: int = Field(description="the run's epoch now")
    origin: int = Field(description="the earliest epoch the run can be looked back at or rewound to")
    data_version: int = Field(description="as the stream's frames of this network carry it")
    history: History


class RewindRequest(Strict):
    epoch: int = Field(ge=0, description="an epoch from the run's origin to now")


class SaveRequest(Strict):
    epoch: int | None = Field(None, ge=0, description="save the run as it was at this earlier epoch; null: now")


class SavedRun(BaseModel):
    id: str
    epoch: int = Field(description="the epoch the run was saved at")
    url: str = Field(description="the page that opens it: /r/{id}")
    delete_token: str = Field(description="deletes it (DELETE /api/runs/{id}, header X-Delete-Token); shown only once")


class Timeline(Strict):
    """What it takes to look back at a run (engine/timeline.py): checkpoints of its state, the changes since."""

    origin: int = Field(ge=0, le=MAX_EPOCH, description="the earliest epoch it reaches back to")
    config: Config = Field(description="in force at the origin")
    step: int = Field(ge=1)
    checkpoints: dict[str, str] = Field(max_length=MAX_CHECKPOINTS, description="epoch: zlib'd state, base64")
    changes: list[tuple[Annotated[int, Field(ge=0, le=MAX_EPOCH)], Config]] = Field(
        max_length=MAX_CHANGES, description="[epoch, config from then on]")


class Export(Strict):
    format: Literal["layerlab-export"] = "layerlab-export"
    version: Literal[1, 2] = EXPORT_VERSION
    config: Config
    epoch: int = Field(ge=0, le=MAX_EPOCH)
    status: Literal["paused", "running", "diverged"]
    history: History | Annotated[list[Annotated[list[float | None], Field(min_length=3, max_length=3)]],
                                 Field(max_length=4096)] = Field(description="version 1: [epoch, train_loss, test_loss] rows")
    timeline: Timeline | None = Field(None, description="from version 2")
    state: list[Leaf] = Field(max_length=256, description="the training state's leaves in pytree order")
    axes: Leaf

    @model_validator(mode="after")
    def _version_fits(self):
        if (self.version == 1) != isinstance(self.history, list) or (self.version == 2) != (self.timeline is not None):
            raise ValueError("version 1 has a list history and no timeline; version 2 a History and a timeline")
        return self


class Health(BaseModel):
    status: Literal["ok"]
    ready: bool
    device: str
    executables: int = Field(description="XLA executables made so far, compiled or loaded from the kept ones")
    sessions: int = Field(description="live sessions, both labs")
    streams: int = Field(description="open WebSockets")
    tasks: int = Field(description="the server's asyncio tasks: with the other two, what a leak would grow")


class Previews(BaseModel):
    """Small maps over the plane the page shows before any network trains (engine/previews.py)."""

    cells: int = Field(description="cells per side of every map")
    features: dict[str, str] = Field(
        description="each feature's values over the plane, divided by their largest magnitude: cells × cells "
        "uint8 over [-1, 1] (q means -1 + 2q/255), row by row from the top (x2 = extent), base64"
    )
    datasets: dict[str, str | None] = Field(
        description="each dataset's labels over the plane (the mean label of a noise-free sample's nearest points), "
        "encoded as features are; null for a dataset without a generator (custom)"
    )


class Options(BaseModel):
    datasets: list[str]
    regression_datasets: list[str]
    features: list[str]
    feature_labels: dict[str, str] = Field(description="how the page writes each feature")
    activations: list[str]
    inits: list[str]
    optimizers: list[str]
    losses: list[str]
    regularizations: list[str]
    defaults: Config
    bounds: dict[str, dict] = Field(
        description="every bound of a config field, named as JSON Schema names them (minimum, maximum, "
        "exclusiveMinimum, minItems, maxItems; items: the bounds of each element)"
    )
    limits: dict[str, int] = Field(description="of requests beyond a config: epochs a train request, the stream's "
                                   "epochs per frame, points a predict request; and the frames a run's history "
                                   "keeps (history)")
    grid: dict[str, int | float] = Field(description="the plane's extent ([-extent, extent] on both axes), the "
                                         "output grid's and a neuron thumbnail's cells per side")
    previews: Previews


# --- The ConvNet lab ----------------------------------------------------------

MAX_STEPS = 5000  # mini-batches one train request may ask for
MAX_IMAGES = 64  # images one predict request may ask about
MAX_DRAWING_SIDE = 256  # pixels a side of a drawing at most


class ConvState(BaseModel):
    step: int = Field(description="mini-batches trained")
    epoch: float = Field(description="passes over the training images, as a fraction")
    status: Literal["paused", "running", "diverged"]
    train_loss: float | None = Field(description="mean loss of the mini-batches the last frame trained")
    test_loss: float | None
    test_accuracy: float | None


class ConvLayerInfo(BaseModel):
    kind: Literal["conv", "dense", "output"]
    weights: list[int] = Field(description="the weight array's shape: (kernel, kernel, channels in, filters) "
                                           "for a convolution, (inputs, units) otherwise")
    parameters: int = Field(description="weights and biases: a filter counts once however many positions use it")
    side: int | None = Field(None, description="pixels a side of a convolution's maps (before its pooling)")
    pooled_side: int | None = Field(None, description="after its pooling")


# The ConvNet lab's largest weight array: the largest images' maps, unpooled, into the widest dense layer.
MAX_CONV_LEAF = max(SIDES.values()) ** 2 * MAX_FILTERS * MAX_DENSE_UNITS


class ConvLeaf(Leaf):
    data: list[Finite | None] = Field(max_length=MAX_CONV_LEAF)


class ConvExport(Strict):
    format: Literal[CONVNET_FORMAT] = CONVNET_FORMAT
    version: Literal[CONVNET_VERSION] = CONVNET_VERSION
    config: ConvConfig
    step: int = Field(ge=0, description="mini-batches trained")
    status: Literal["paused", "running", "diverged"]
    history: list[Annotated[list[float | None], Field(min_length=4, max_length=4)]] = Field(
        max_length=4096, description="[step, train loss, test loss, test accuracy] per frame")
    state: list[ConvLeaf] = Field(max_length=256, description="the training state's leaves in pytree order")


class ConvSession(BaseModel):
    id: str
    config: ConvConfig
    state: ConvState
    layers: list[ConvLayerInfo]
    classes: list[str]
    receptive_fields: list[dict[str, list]] = Field(
        description="per convolutional layer, 'maps' and 'pooled': for every unit [row][col] the input pixels "
                    "it sees, [top, left, bottom, right] with bottom and right exclusive")
    steps_per_epoch: int = Field(description="mini-batches a pass over the training images takes")
    mlp_dense_layers: list[int] = Field(
        description="the dense layers of an MLP on the pixels with about as many parameters as this network")


class ConvSessionUpdate(ConvSession):
    restarted: bool = Field(description="true when the change started a new network at step 0")


class ConvTrainRequest(Strict):
    steps: int = Field(1, ge=1, le=MAX_STEPS, description="mini-batches to train")


Image = list[list[Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]]]


class ShowRequest(Strict):
    """Which image frames follow through the network: a test image, an image, or a drawing (exactly one)."""

    test_index: int | None = Field(None, ge=0, description="a test image, by its place in the test set")
    image: Image | None = Field(None, max_length=MAX_DRAWING_SIDE, description="side × side pixels in [0, 1]")
    drawing: Image | None = Field(
        None, max_length=MAX_DRAWING_SIDE,
        description="a square of ink in [0, 1] (side 8, 16 or a multiple of 32), prepared as the digits were")


class ConvPredictRequest(Strict):
    images: list[Image] = Field(default_factory=list, max_length=MAX_IMAGES, description="side × side pixels in [0, 1]")
    drawing: Image | None = Field(None, max_length=MAX_DRAWING_SIDE, description="as ShowRequest's")


class ConvPrediction(BaseModel):
    probabilities: list[list[float]] = Field(description="per image, per class")
    guesses: list[int]
    images: list[list[list[float]]] = Field(description="the images classified: a drawing as it was prepared")


class ConvImages(BaseModel):
    side: int
    classes: list[str]
    n_train: int
    test_labels: list[int]
    test_images: str = Field(description="base64 of uint8 pixels (0–255 for 0–1), image after image, row by row")


class ConvSnapshot(ConvState):
    """One full frame of the ConvNet lab."""

    image: list[list[float]] = Field(description="the image the frame follows through the network")
    test_index: int | None = Field(description="which test image that is; null for a drawing or another image")
    probabilities: list[float] = Field(description="its class probabilities")
    filters: list[list] = Field(description="per convolutional layer, its weights (kernel, kernel, channels in, filters)")
    maps: list[list] = Field(description="per convolutional layer, the image's feature maps (side, side, filters) "
                                         "after the activation, before pooling")
    pooled: list[list] = Field(description="the same after pooling")
    dense: list[list[float]] = Field(description="per dense hidden layer, the image's activations")
    confusion: list[list[int]] = Field(description="test images of each true class (row) by guess (column)")
    guesses: list[int] = Field(description="the class guessed for every test image")
    gradient_norms: list[float | None] = Field(description="per weight layer, the last mini-batch's gradient norm")
    update_ratios: list[float | None] = Field(description="per weight layer, the last step's change over the weights")
    history: list[list[float | None]] = Field(description="[step, train loss, test loss, test accuracy] per frame")


class ViewStage(BaseModel):
    name: str = Field(description='"pixels", then each hidden layer\'s output: "conv 1", …, "dense 1", …')
    units: int
    probe_accuracy: float | None = Field(
        description="test accuracy of a linear classifier (ridge) fitted to the training images' representation "
                    "here; null where the network diverged")
    projection: list[list[float]] = Field(
        description="per test image, in the images message's order: its first two principal components here "
                    "(fitted on the training images), scaled into [-1, 1]")


class LayerView(BaseModel):
    stages: list[ViewStage] = Field(description="the pixels, then every hidden layer, input side first")


class Translation(BaseModel):
    shifts: list[int] = Field(description="pixels every test image was shifted by")
    accuracy: list[float] = Field(description="test accuracy at each shift, the mean over right, left, down and up")


class StoredRun(BaseModel):
    id: str
    lab: Literal["playground"]
    created: datetime
    document: Export = Field(description="as GET /api/sessions/{id}/export gave it: import it to continue")
