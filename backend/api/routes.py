"""REST: sessions and everything one can ask of them, plus options and health."""
from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import math

import numpy as np
from fastapi import APIRouter, Body, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from ..engine import previews, program
from ..engine.config import BOUNDS, Config
from ..engine.data import DATASETS, EXTENT, is_regression
from ..engine.features import FEATURES
from ..engine.fields import FIELDS
from ..engine.history import HISTORY_LIMIT
from ..engine.export import export_run, import_run
from ..engine.network import ACTIVATIONS, INITS
from ..engine.pictures import DENSITY, THUMBNAIL
from ..engine.run import Run, Snapshot as EngineSnapshot
from ..engine.training import LOSSES, OPTIMIZERS, REGULARIZATIONS
from . import schemas, stream
from .encoding import quantise
from .sessions import ClientLimit, LiveSession, SessionLimit

MAX_HEALTH_WAIT = 600.0  # seconds a health request may wait for the warm-up
health = APIRouter(prefix="/api", tags=["service"])
sessions = APIRouter(prefix="/api/sessions", tags=["sessions"])


def _registry(request: Request):
    return request.app.state.registry


def _session(request: Request, session_id: str) -> LiveSession:
    session = _registry(request).get(session_id, Run)
    if session is None:
        raise HTTPException(404, "no such session")
    return session


def clean(values) -> list:
    """Nested lists of floats with NaN and infinity as null (JSON has neither)."""
    array = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(array), array, None).tolist()


def _state(run: Run) -> schemas.SessionState:
    snap = run.snapshot
    if snap is None:
        return schemas.SessionState(epoch=run.epoch, status=run.status, train_loss=None, test_loss=None,
                                    train_accuracy=None, test_accuracy=None)
    return schemas.SessionState(
        epoch=run.epoch, status=run.status, train_loss=snap.train_loss, test_loss=snap.test_loss,
        train_accuracy=snap.train_accuracy, test_accuracy=snap.test_accuracy,
    )


def _session_reply(session: LiveSession) -> schemas.Session:
    return schemas.Session(id=session.id, config=session.run.config, state=_state(session.run))


def _validation_error(error: ValidationError, prefix: tuple = ("body",)) -> RequestValidationError:
    return RequestValidationError([{**e, "loc": prefix + tuple(e["loc"]), "input": None} for e in error.errors()])


def refused(loc: tuple, error: Exception) -> RequestValidationError:
    """A 422 at `loc` for a value the engine refused (its message says why)."""
    return RequestValidationError([{"type": "value_error", "loc": loc, "msg": str(error)[:200], "input": None}])


@health.get("/health", response_model=schemas.Health)
async def get_health(
    request: Request, wait: float = Query(0.0, ge=0, le=MAX_HEALTH_WAIT, description="seconds to wait for ready")
) -> schemas.Health:
    """Whether the server is up, whether its programs are compiled, which device trains, and what it holds.

    With `wait`, the reply waits (up to that many seconds) for the warm-up to finish.
    """
    if wait:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(request.app.state.ready.wait(), wait)
    return schemas.Health(status="ok", ready=request.app.state.ready.is_set(), device=request.app.state.device,
                          executables=sum(program.EXECUTABLES.values()), sessions=len(_registry(request)),
                          streams=request.app.state.open_streams.total, tasks=len(asyncio.all_tasks()))


@health.get("/options", response_model=schemas.Options)
def get_options() -> schemas.Options:
    """Every choice and bound, and the previews of features and datasets, so clients never hard-code them."""
    return _options()


def _map(values: np.ndarray | None) -> str | None:
    """A preview map as the reply carries it: uint8 over [-1, 1], row by row, base64."""
    return None if values is None else base64.b64encode(quantise(values).tobytes()).decode("ascii")


@functools.cache
def _options() -> schemas.Options:
    """The options reply, made once: the previews take a few hundred milliseconds to draw."""
    return schemas.Options(
        datasets=list(DATASETS),
        regression_datasets=[d for d in DATASETS if is_regression(d)],
        features=list(FEATURES),
        feature_labels={name: feature.label for name, feature in FEATURES.items()},
        activations=list(ACTIVATIONS),
        inits=list(INITS),
        optimizers=list(OPTIMIZERS),
        losses=list(LOSSES),
        regularizations=list(REGULARIZATIONS),
        defaults=Config(),
        bounds=BOUNDS,
        limits={"max_epochs": schemas.MAX_EPOCHS, "max_epochs_per_frame": schemas.MAX_EPOCHS_PER_FRAME,
                "max_predict": schemas.MAX_PREDICT, "history": HISTORY_LIMIT},
        grid={"extent": EXTENT, "density": DENSITY, "thumbnail": THUMBNAIL},
        previews=schemas.Previews(
            cells=previews.CELLS,
            features={name: _map(values) for name, values in previews.feature_maps().items()},
            datasets={name: _map(values) for name, values in previews.dataset_maps().items()},
        ),
    )


REPLICA_HEADER = "x-layerlab-replica"  # the balancer's name for this server, on each request it forwards
SESSION_RETRY_SECONDS = 30  # Retry-After when the server holds as many sessions as it may
CLIENT_RETRY_SECONDS = 60  # Retry-After when a client does: one of its own ends or expires (unused: 2 minutes)


async def create_live(request: Request, make_run) -> LiveSession:
    """A new session, for either lab, of the run make_run() makes, its first frame taken; the limits as
    503 (the server's) or 429 (this client's), each with Retry-After."""
    settings = request.app.state.settings
    client = settings.client_of_request(request)
    replica = settings.replica_of(request.client.host if request.client else None, request.headers.get(REPLICA_HEADER))
    try:
        session = await _registry(request).create(make_run, client, replica)
    except SessionLimit:
        raise HTTPException(503, "too many live sessions; try again later",
                            headers={"Retry-After": str(SESSION_RETRY_SECONDS)}) from None
    except ClientLimit:
        raise HTTPException(
            429, f"max_sessions_per_client: one client may hold {settings.max_sessions_per_client} live sessions; "
                 "end one (DELETE) or try again later", headers={"Retry-After": str(CLIENT_RETRY_SECONDS)}) from None
    await session.work(lambda run: run.train(0))
    return session


def may_train(session: LiveSession) -> None:
    """Mark the session used; 429 with Retry-After, naming the limit, when its client has used its share of work."""
    session.used = True
    if wait := session.training_wait():
        raise HTTPException(429, session.budget.refusal(wait), headers={"Retry-After": str(math.ceil(wait))})


@sessions.post("", status_code=201, response_model=schemas.Session)
async def create_session(request: Request, config: Config = Body(default_factory=Config)) -> schemas.Session:
    """Start a session; every config field is optional."""
    return _session_reply(await create_live(request, lambda: Run(config)))


@sessions.get("/{session_id}", response_model=schemas.Session)
def get_session(request: Request, session_id: str) -> schemas.Session:
    """A session's config and current state."""
    return _session_reply(_session(request, session_id))


@sessions.patch("/{session_id}", response_model=schemas.SessionUpdate)
async def update_session(request: Request, session_id: str, changes: dict = Body()) -> schemas.SessionUpdate:
    """Change part of the config. Data, features, shape, activation, init or seed start a new network."""
    session = _session(request, session_id)
    try:
        config = Config.model_validate({**session.run.config.model_dump(), **changes})
    except ValidationError as error:
        raise _validation_error(error) from None
    restarted = await session.reconfigure(config)
    await session.work(lambda run: run.train(0))
    return schemas.SessionUpdate(**_session_reply(session).model_dump(), restarted=restarted)


@sessions.post("/{session_id}/train", response_model=schemas.Session)
async def train_session(
    request: Request, session_id: str, body: schemas.TrainRequest = Body(default_factory=schemas.TrainRequest)
) -> schemas.Session:
    """Train some epochs and return the state afterwards."""
    session = _session(request, session_id)
    may_train(session)
    await session.work(lambda run: run.train(body.epochs))
    return _session_reply(session)


@sessions.post("/{session_id}/reset", response_model=schemas.Session)
async def reset_session(
    request: Request, session_id: str, body: schemas.ResetRequest = Body(default_factory=schemas.ResetRequest)
) -> schemas.Session:
    """A new network at epoch 0 (optionally with a new seed); recovers a diverged run."""
    session = _session(request, session_id)
    await session.reset(body.seed)
    await session.work(lambda run: run.train(0))
    return _session_reply(session)


@sessions.delete("/{session_id}", status_code=204)
def delete_session(request: Request, session_id: str) -> Response:
    """End a session."""
    if _registry(request).remove(session_id) is None:
        raise HTTPException(404, "no such session")
    return Response(status_code=204)


def snapshot_reply(run: Run, snap: EngineSnapshot) -> schemas.Snapshot:
    """The snapshot reply: each field in the JSON form of its kind (schemas.JSON_FORMS)."""
    extent = [-EXTENT, EXTENT, -EXTENT, EXTENT]
    grid = lambda values: schemas.Grid(extent=extent, resolution=len(values), values=clean(values))
    per_layer = lambda layers: [clean(v) for v in layers]
    forms = {
        "number": lambda value: value,  # a metadata field (test_fields): JSON-ready already
        "numbers": clean,
        "numbers per layer": per_layer,
        "matrix per layer": per_layer,
        "grid": grid,
        "grids per layer": lambda layers: [[grid(n) for n in layer] for layer in layers],
        "points per layer": per_layer,
    }
    return schemas.Snapshot(
        epoch=snap.epoch, status=snap.status, layer_sizes=run.layer_sizes(),
        train_points=snap.train_points.tolist(), test_points=snap.test_points.tolist(),
        **{f.name: forms[f.kind.json](getattr(snap, f.name)) for f in FIELDS},
    )


@sessions.get("/{session_id}/snapshot", response_model=schemas.Snapshot)
async def get_snapshot(request: Request, session_id: str,
                       epoch: int | None = Query(None, ge=0, description="an earlier epoch to look back at")
                       ) -> schemas.Snapshot:
    """One full frame: output grid, neuron thumbnails, weights, gradient flow and layer views; with `epoch`,
    as they were then (recomputed from the run's timeline)."""
    session = _session(request, session_id)

    def work(run: Run) -> schemas.Snapshot:
        return snapshot_reply(run, run.train(0) if epoch is None or epoch == run.epoch else run.at(epoch).snapshot)

    try:
        return await session.work(work)
    except ValueError as error:
        raise refused(("query", "epoch"), error) from None


@sessions.get("/{session_id}/history", response_model=schemas.RunHistory)
async def get_history(request: Request, session_id: str) -> schemas.RunHistory:
    """Every frame's losses, accuracies and per-layer gradient flow so far, and how far back the run can be
    looked at (`origin`)."""
    session = _session(request, session_id)

    def work(run: Run) -> dict:
        return {"epoch": run.epoch, "origin": run.timeline.origin, "data_version": run.data_version,
                "history": run.history.to_json(run.depth + 1)}

    return await session.work(work)


@sessions.post("/{session_id}/rewind", response_model=schemas.Session)
async def rewind_session(request: Request, session_id: str, body: schemas.RewindRequest) -> schemas.Session:
    """Go back to an earlier epoch and continue from there, bit for bit as if the run had paused there; what
    came after it is forgotten."""
    session = _session(request, session_id)
    try:
        await stream.rewind(session, body.epoch)
    except ValueError as error:
        raise refused(("body", "epoch"), error) from None
    return _session_reply(session)


@sessions.post("/{session_id}/predict", response_model=schemas.Prediction)
async def predict(request: Request, session_id: str, body: schemas.PredictRequest) -> schemas.Prediction:
    """The network's output at the given points, in label units."""
    session = _session(request, session_id)
    if not body.points:
        return schemas.Prediction(outputs=[])
    outputs = await session.work(lambda run: run.predict(np.asarray(body.points, np.float32)))
    return schemas.Prediction(outputs=clean(outputs))


@sessions.get("/{session_id}/export", response_model=schemas.Export)
async def export_session(request: Request, session_id: str) -> dict:
    """Config, weights, optimiser state and history: everything needed to continue exactly."""
    session = _session(request, session_id)
    return await session.work(export_run)


@sessions.post("/import", status_code=201, response_model=schemas.Session)
async def import_session(request: Request, document: schemas.Export) -> schemas.Session:
    """A new session continuing exactly where an export left off."""
    try:
        session = await create_live(request, lambda: import_run(document.model_dump()))
    except ValueError as error:
        raise import_error(error) from None
    return _session_reply(session)


def import_error(error: ValueError) -> RequestValidationError:
    """A 422 for a document the engine refused: at the field its message begins with ("state.3: ..."), else
    at the state."""
    where, _, message = str(error).partition(": ")
    if not message or not all(part.isidentifier() or part.isdigit() for part in where.split(".")):
        where, message = "state", str(error)
    return refused(("body", *where.split(".")), message)
