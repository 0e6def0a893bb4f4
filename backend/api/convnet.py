"""The ConvNet lab's web face: REST for its options, its sessions and everything one can ask of them, and
what its stream needs of it (CONVNET)."""
from __future__ import annotations

import base64
import functools

import numpy as np
from fastapi import APIRouter, Body, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from ..engine.config import bounds_of
from ..engine.convnet import export, layerview
from ..engine.convnet.config import BATCH_SIZES, TRAIN_IMAGE_CHOICES, ConvConfig
from ..engine.convnet.images import DATASETS, DRAWING_SIDE, SIDES, prepare_drawing
from ..engine.convnet.network import KERNELS, POOLINGS
from ..engine.convnet.run import ConvRun
from ..engine.network import ACTIVATIONS, INITS
from ..engine.training import OPTIMIZERS
from . import schemas
from .convnet_encoding import ConvFrameEncoder, encode_images, network_info
from .encoding import quantise
from .routes import _validation_error, clean, create_live, may_train
from .sessions import LiveSession
from .stream import Lab

MAX_SHIFT = 3  # the translation curve shifts test images by 0 to this many pixels

router = APIRouter(prefix="/api/convnet", tags=["convnet"])


def _session(request: Request, session_id: str) -> LiveSession:
    session = request.app.state.registry.get(session_id, ConvRun)
    if session is None:
        raise HTTPException(404, "no such session")
    return session


def _state(run: ConvRun) -> schemas.ConvState:
    frame = run.snapshot.frame if run.snapshot else None
    number = lambda name: None if frame is None else clean(getattr(frame, name))
    return schemas.ConvState(step=run.step, epoch=run.epoch, status=run.status, train_loss=number("train_loss"),
                             test_loss=number("test_loss"), test_accuracy=number("test_accuracy"))


def _reply(session: LiveSession) -> schemas.ConvSession:
    run = session.run
    return schemas.ConvSession(id=session.id, config=run.config, state=_state(run), **network_info(run))


@router.get("/options")
def get_options() -> dict:
    """Every choice and bound of the lab, so clients never hard-code them."""
    return _options()


@functools.cache
def _options() -> dict:
    schema = ConvConfig.model_json_schema()
    return {
        "datasets": {name: {"side": SIDES[name], "classes": list(make(0).classes), "drawable": SIDES[name] == DRAWING_SIDE}
                     for name, make in DATASETS.items()},
        "activations": list(ACTIVATIONS),
        "inits": list(INITS),
        "optimizers": list(OPTIMIZERS),
        "poolings": list(POOLINGS),
        "kernels": list(KERNELS),
        "batch_sizes": list(BATCH_SIZES),
        "train_image_choices": list(TRAIN_IMAGE_CHOICES),
        "defaults": ConvConfig().model_dump(),
        "default_speed": CONVNET.default_speed,
        "bounds": {name: bounds for name, field in schema["properties"].items() if (bounds := bounds_of(field))}
        | {"conv_layer": {name: bounds for name, field in schema["$defs"]["ConvLayer"]["properties"].items()
                          if (bounds := bounds_of(field))}},
        "limits": {"max_steps": schemas.MAX_STEPS, "max_images": schemas.MAX_IMAGES,
                   "max_steps_per_frame": schemas.MAX_STEPS_PER_FRAME},
    }


@router.post("/sessions", status_code=201, response_model=schemas.ConvSession)
async def create_session(request: Request, config: ConvConfig = Body(default_factory=ConvConfig)) -> schemas.ConvSession:
    """Start a ConvNet lab session; every config field is optional."""
    return _reply(await create_live(request, lambda: ConvRun(config)))


@router.get("/sessions/{session_id}/export", response_model=schemas.ConvExport)
async def export_session(request: Request, session_id: str) -> dict:
    """Config, step, weights, optimiser state and history: everything needed to continue exactly."""
    return await _session(request, session_id).work(export.export_run)


@router.post("/sessions/import", status_code=201, response_model=schemas.ConvSession)
async def import_session(request: Request, document: schemas.ConvExport) -> schemas.ConvSession:
    """A new session continuing exactly where an export left off."""
    try:
        session = await create_live(request, lambda: export.import_run(document.model_dump()))
    except ValueError as error:
        raise FieldError("state", str(error)[:200]).as_422() from None
    return _reply(session)


@router.get("/sessions/{session_id}", response_model=schemas.ConvSession)
def get_session(request: Request, session_id: str) -> schemas.ConvSession:
    """A session's config, state, layers and receptive fields."""
    return _reply(_session(request, session_id))


@router.patch("/sessions/{session_id}", response_model=schemas.ConvSessionUpdate)
async def update_session(request: Request, session_id: str, changes: dict = Body()) -> schemas.ConvSessionUpdate:
    """Change part of the config. Data, layers, activation, init, batch size or seed start a new network."""
    session = _session(request, session_id)
    try:
        config = ConvConfig.model_validate({**session.run.config.model_dump(), **changes})
    except ValidationError as error:
        raise _validation_error(error) from None
    restarted = await session.reconfigure(config)
    await session.work(lambda run: run.train(0))
    return schemas.ConvSessionUpdate(**_reply(session).model_dump(), restarted=restarted)


@router.post("/sessions/{session_id}/train", response_model=schemas.ConvState)
async def train_session(request: Request, session_id: str,
                        body: schemas.ConvTrainRequest = Body(default_factory=schemas.ConvTrainRequest)) -> schemas.ConvState:
    """Train some mini-batches and return the state afterwards."""
    session = _session(request, session_id)
    may_train(session)
    await session.work(lambda run: run.train(body.steps))
    return _state(session.run)


@router.post("/sessions/{session_id}/reset", response_model=schemas.ConvState)
async def reset_session(request: Request, session_id: str,
                        body: schemas.ResetRequest = Body(default_factory=schemas.ResetRequest)) -> schemas.ConvState:
    """A new network at step 0 (optionally with a new seed); recovers a diverged run."""
    session = _session(request, session_id)
    await session.reset(body.seed)
    await session.work(lambda run: run.train(0))
    return _state(session.run)


@router.delete("/sessions/{session_id}", status_code=204)
def delete_session(request: Request, session_id: str) -> Response:
    """End a session."""
    _session(request, session_id)
    request.app.state.registry.remove(session_id)
    return Response(status_code=204)


@router.get("/sessions/{session_id}/images", response_model=schemas.ConvImages)
def get_images(request: Request, session_id: str) -> schemas.ConvImages:
    """The session's test images and their labels (the snapshot's guesses are in this order)."""
    images = _session(request, session_id).run.images
    test_images, test_labels = images.test
    return schemas.ConvImages(side=images.side, classes=list(images.classes), n_train=images.n_train,
                              test_labels=test_labels.tolist(),
                              test_images=base64.b64encode(quantise(test_images, 0.0, 1.0).tobytes()).decode("ascii"))


class FieldError(ValueError):
    """A request's field (None: the body as a whole) is wrong for this session."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field

    def as_422(self) -> RequestValidationError:
        where = ("body",) if self.field is None else ("body", self.field)
        return RequestValidationError([{"type": "value_error", "loc": where, "msg": str(self), "input": None}])


def _image_of(run: ConvRun, body: schemas.ShowRequest | schemas.ConvPredictRequest, field: str) -> np.ndarray:
    """The one image a request's field names, checked against the session's images (FieldError otherwise)."""
    side = run.shape.side
    try:
        if field == "drawing":
            prepared = prepare_drawing(np.asarray(body.drawing, np.float32))
            if prepared.shape != (side, side):
                raise ValueError(f"a drawing is prepared as the digits were, 8 × 8: this dataset's images are {side} × {side}")
            return prepared
        image = np.asarray(getattr(body, field), np.float32)
    except ValueError as error:
        raise FieldError(field, str(error)) from None
    if image.shape != (side, side):
        raise FieldError(field, f"an image for this session is {side} × {side}")
    return image


def follow(run: ConvRun, body: schemas.ShowRequest) -> None:
    """Make the run's frames follow the image the request names (FieldError when it names none, several, or
    one this session cannot take). Runs in the session's work, where nothing rebuilds the run meanwhile."""
    given = [name for name in ("test_index", "image", "drawing") if getattr(body, name) is not None]
    if len(given) != 1:
        raise FieldError(None, "name exactly one of test_index, image, drawing")
    if given[0] == "test_index":
        try:
            run.show_test(body.test_index)
        except ValueError as error:
            raise FieldError("test_index", str(error)) from None
    else:
        run.show(_image_of(run, body, given[0]))


@router.post("/sessions/{session_id}/show", response_model=schemas.ConvSnapshot)
async def show(request: Request, session_id: str, body: schemas.ShowRequest) -> schemas.ConvSnapshot:
    """Follow an image through the network from now on: a test image, an image or a drawing; the frame."""
    session = _session(request, session_id)

    def work(run: ConvRun):
        follow(run, body)
        return snapshot_reply(run, run.train(0))

    try:
        return await session.work(work)
    except FieldError as error:
        raise error.as_422() from None


@router.get("/sessions/{session_id}/translation", response_model=schemas.Translation)
async def translation(request: Request, session_id: str) -> schemas.Translation:
    """Test accuracy with every test image shifted 0, 1, 2, 3 pixels (zero-filled; the mean of the four
    directions): how much the network cares where a figure sits."""
    shifts = range(MAX_SHIFT + 1)
    accuracy = await _session(request, session_id).work(lambda run: run.translation(shifts))
    return schemas.Translation(shifts=list(shifts), accuracy=accuracy)


PROJECTION_DECIMALS = 3  # a projected test image's coordinates in [-1, 1], to this many places


@router.get("/sessions/{session_id}/layer-view", response_model=schemas.LayerView)
async def get_layer_view(request: Request, session_id: str) -> schemas.LayerView:
    """How the pixels and every hidden layer represent the images: each one's linear-probe test accuracy and a
    2-D projection of the test images. The representations come from the session's network in its turn; the
    probes are fitted outside it, so the session's frames go on meanwhile."""
    seen = await _session(request, session_id).work(layerview.representations)
    stages = await run_in_threadpool(layerview.layer_view, seen)
    return schemas.LayerView(stages=[
        schemas.ViewStage(name=stage.name, units=stage.units, probe_accuracy=clean(stage.probe_accuracy),
                          projection=np.round(stage.projection, PROJECTION_DECIMALS).tolist())
        for stage in stages])


@router.post("/sessions/{session_id}/predict", response_model=schemas.ConvPrediction)
async def predict(request: Request, session_id: str, body: schemas.ConvPredictRequest) -> schemas.ConvPrediction:
    """Class probabilities of images, or of a drawing prepared as the digits were."""
    session = _session(request, session_id)
    run = session.run
    try:
        images = [_image_of(run, body, "drawing")] if body.drawing is not None else []
    except FieldError as error:
        raise error.as_422() from None
    for index, image in enumerate(body.images):
        array = np.asarray(image, np.float32)
        if array.shape != (run.shape.side, run.shape.side):
            raise FieldError(f"images.{index}", f"an image for this session is {run.shape.side} × {run.shape.side}").as_422()
        images.append(array)
    if not images:
        return schemas.ConvPrediction(probabilities=[], guesses=[], images=[])
    probabilities = await session.work(lambda run: run.predict(np.stack(images)))
    return schemas.ConvPrediction(probabilities=clean(probabilities), guesses=np.argmax(probabilities, axis=1).tolist(),
                                  images=[image.tolist() for image in images])


def snapshot_reply(run: ConvRun, snap) -> schemas.ConvSnapshot:
    """The snapshot reply of a frame."""
    frame = snap.frame
    return schemas.ConvSnapshot(
        **_state(run).model_dump(),
        image=clean(snap.image),
        test_index=snap.test_index,
        probabilities=clean(frame.probabilities),
        filters=[clean(f) for f in frame.filters],
        maps=[clean(m) for m in frame.maps],
        pooled=[clean(p) for p in frame.pooled],
        dense=[clean(d) for d in frame.dense],
        confusion=frame.confusion.tolist(),
        guesses=frame.guesses.tolist(),
        gradient_norms=clean(frame.gradient_norms),
        update_ratios=clean(frame.update_ratios),
        history=[[clean(v) for v in entry] for entry in run.history],
    )


@router.get("/sessions/{session_id}/snapshot", response_model=schemas.ConvSnapshot)
async def get_snapshot(request: Request, session_id: str) -> schemas.ConvSnapshot:
    """One full frame: filters, the chosen image's maps at every layer, confusion matrix, gradient flow, history."""
    session = _session(request, session_id)
    return await session.work(lambda run: snapshot_reply(run, run.train(0)))


CONVNET = Lab(config=ConvConfig, speed="steps_per_frame", default_speed=1, encoder=ConvFrameEncoder,
              data_message=encode_images, follow=follow)
