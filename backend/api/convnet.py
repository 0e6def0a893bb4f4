"""REST for the ConvNet lab: its options, and its sessions and everything one can ask of them."""
from __future__ import annotations

import base64
import functools

import numpy as np
from fastapi import APIRouter, Body, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from ..engine.config import bounds_of
from ..engine.convnet.config import BATCH_SIZES, ConvConfig
from ..engine.convnet.images import DATASETS, SIDES, prepare_drawing
from ..engine.convnet.network import KERNELS, POOLINGS, receptive_fields
from ..engine.convnet.run import ConvRun
from ..engine.network import ACTIVATIONS, INITS
from ..engine.training import OPTIMIZERS
from . import schemas
from .encoding import quantise
from .routes import _validation_error, clean
from .sessions import LiveSession, SessionLimit

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


def _layers(run: ConvRun) -> list[schemas.ConvLayerInfo]:
    shape, sides = run.shape, run.shape.sides()
    kinds = ["conv"] * len(shape.conv) + ["dense"] * len(shape.dense) + ["output"]
    return [
        schemas.ConvLayerInfo(kind=kind, weights=list(weights), parameters=count,
                              side=sides[i] if kind == "conv" else None,
                              pooled_side=sides[i + 1] if kind == "conv" else None)
        for i, (kind, weights, count) in enumerate(zip(kinds, shape.weight_shapes(), shape.parameter_counts()))
    ]


def _reply(session: LiveSession) -> schemas.ConvSession:
    run = session.run
    fields = [{name: table.tolist() for name, table in layer.items()} for layer in receptive_fields(run.shape)]
    return schemas.ConvSession(id=session.id, config=run.config, state=_state(run), layers=_layers(run),
                               classes=list(run.images.classes), receptive_fields=fields)


@router.get("/options")
def get_options() -> dict:
    """Every choice and bound of the lab, so clients never hard-code them."""
    return _options()


@functools.cache
def _options() -> dict:
    schema = ConvConfig.model_json_schema()
    return {
        "datasets": {name: {"side": SIDES[name], "classes": list(make(0).classes)} for name, make in DATASETS.items()},
        "activations": list(ACTIVATIONS),
        "inits": list(INITS),
        "optimizers": list(OPTIMIZERS),
        "poolings": list(POOLINGS),
        "kernels": list(KERNELS),
        "batch_sizes": list(BATCH_SIZES),
        "defaults": ConvConfig().model_dump(),
        "bounds": {name: bounds for name, field in schema["properties"].items() if (bounds := bounds_of(field))}
        | {"conv_layer": {name: bounds for name, field in schema["$defs"]["ConvLayer"]["properties"].items()
                          if (bounds := bounds_of(field))}},
        "limits": {"max_steps": schemas.MAX_STEPS, "max_images": schemas.MAX_IMAGES,
                   "max_steps_per_frame": schemas.MAX_STEPS_PER_FRAME},
    }


@router.post("/sessions", status_code=201, response_model=schemas.ConvSession)
async def create_session(request: Request, config: ConvConfig = Body(default_factory=ConvConfig)) -> schemas.ConvSession:
    """Start a ConvNet lab session; every config field is optional."""
    try:
        session = await request.app.state.registry.create(lambda: ConvRun(config))
    except SessionLimit:
        raise HTTPException(503, "too many live sessions; try again later", headers={"Retry-After": "30"}) from None
    await session.work(lambda run: run.train(0))
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


def _field_error(field: str | None, message: str) -> RequestValidationError:
    """A 422 naming the request's field (None: the body as a whole)."""
    where = ("body",) if field is None else ("body", field)
    return RequestValidationError([{"type": "value_error", "loc": where, "msg": message, "input": None}])


def _image_of(run: ConvRun, body: schemas.ShowRequest | schemas.ConvPredictRequest, field: str) -> np.ndarray:
    """The one image a request names, checked against the session's images (422 naming the field otherwise)."""
    side = run.shape.side
    try:
        if field == "drawing":
            prepared = prepare_drawing(np.asarray(body.drawing, np.float32))
            if prepared.shape != (side, side):
                raise ValueError(f"a drawing is prepared as the digits were, 8 × 8: this dataset's images are {side} × {side}")
            return prepared
        image = np.asarray(getattr(body, field), np.float32)
    except ValueError as error:
        raise _field_error(field, str(error)) from None
    if image.shape != (side, side):
        raise _field_error(field, f"an image for this session is {side} × {side}")
    return image


@router.post("/sessions/{session_id}/show", response_model=schemas.ConvSnapshot)
async def show(request: Request, session_id: str, body: schemas.ShowRequest) -> schemas.ConvSnapshot:
    """Follow an image through the network from now on: a test image, an image or a drawing; the frame."""
    session = _session(request, session_id)
    given = [name for name in ("test_index", "image", "drawing") if getattr(body, name) is not None]
    if len(given) != 1:
        raise _field_error(None, "name exactly one of test_index, image, drawing")
    run = session.run
    if given[0] == "test_index":
        test_images = run.images.test[0]
        if body.test_index >= len(test_images):
            raise _field_error("test_index", f"the test set has {len(test_images)} images")
        image = test_images[body.test_index]
    else:
        image = _image_of(run, body, given[0])

    def work(run: ConvRun):
        run.show(image)
        return snapshot_reply(run, run.train(0))

    return await session.work(work)


@router.post("/sessions/{session_id}/predict", response_model=schemas.ConvPrediction)
async def predict(request: Request, session_id: str, body: schemas.ConvPredictRequest) -> schemas.ConvPrediction:
    """Class probabilities of images, or of a drawing prepared as the digits were."""
    session = _session(request, session_id)
    run = session.run
    images = [_image_of(run, body, "drawing")] if body.drawing is not None else []
    for index, image in enumerate(body.images):
        array = np.asarray(image, np.float32)
        if array.shape != (run.shape.side, run.shape.side):
            raise _field_error(f"images.{index}", f"an image for this session is {run.shape.side} × {run.shape.side}")
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
