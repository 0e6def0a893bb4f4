"""create_app(): routers, the stream endpoint, warm-up, idle expiry and the static page."""
from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import fields
from contextlib import asynccontextmanager
from pathlib import Path

import jax
from fastapi import FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from ..engine import run
from ..engine.convnet.run import ConvRun
from ..engine.run import Run
from ..engine.executables import keep_executables
from ..engine.config import Config
from ..settings import Settings, get_settings
from . import convnet, experiments, routes, runs, stream
from .budget import WorkBudget
from .convnet import CONVNET
from .laboratory import Laboratory
from .pool import WorkPool
from .sessions import Registry

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
EXPIRY_INTERVAL = 30.0  # seconds between idle-session sweeps
log = logging.getLogger("layerlab")


def warmup_networks(settings: Settings) -> list[Config]:
    """Networks whose programs to compile at start-up: all of them (run.warmup_networks), the default only,
    or none."""
    return {"all": run.warmup_networks, "default": lambda: [Config()], "none": list}[settings.warmup]()


async def _warm_up(app: FastAPI, settings: Settings) -> None:
    """Compile every network's programs on every worker at once, the default's first in the queue: compiles
    run in parallel (one compile alone leaves the second core idle), and programs two networks share are
    made once (executables.Program)."""
    loop = asyncio.get_running_loop()
    networks = warmup_networks(settings)
    await asyncio.gather(*(loop.run_in_executor(app.state.pool, run.warm_up, config) for config in networks))
    app.state.ready.set()
    log.info("layerlab: compiled programs ready")


async def _open_store(settings: Settings):
    """The saved runs' store, its schema migrated to this version's (Alembic), in a thread beside the warm-up:
    the database may be slow to answer, and no page waits for it but a save or a shared link."""
    from ..store import Limits, RunStore, migrate  # SQLAlchemy and Alembic: a third of a second to import

    try:
        await asyncio.to_thread(migrate, settings.database)
        return RunStore(settings.database, Limits(**{f.name: getattr(settings, f.name) for f in fields(Limits)}))
    except Exception:
        log.exception("layerlab: the saved runs' database could not be opened")
        raise


async def _expire(app: FastAPI) -> None:
    while True:
        await asyncio.sleep(EXPIRY_INTERVAL)
        app.state.registry.expire()
        app.state.laboratory.forget_old()


async def _close_store(opening: asyncio.Task) -> None:
    if not opening.done():
        opening.cancel()
    elif not opening.cancelled() and opening.exception() is None:
        await opening.result().close()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    if settings.executables:  # else nothing is kept (the process starts with no store)
        keep_executables(settings.executables)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.pool = WorkPool(settings.workers, "layerlab-jax")
        app.state.registry = Registry(app.state.pool, settings.max_sessions, settings.idle_seconds,
                                      per_client=settings.max_sessions_per_client,
                                      unused_seconds=settings.unused_seconds,
                                      budget=WorkBudget(settings.max_work_per_client))
        app.state.ready = asyncio.Event()
        app.state.device = jax.devices()[0].platform
        app.state.open_streams = stream.OpenStreams()
        app.state.laboratory = Laboratory(settings.max_experiments, settings.max_queued_experiments,
                                          settings.max_experiments_per_client)
        app.state.open_store = functools.partial(_open_store, settings)  # again, should it fail (runs.py)
        app.state.runs = asyncio.create_task(app.state.open_store())
        tasks = [asyncio.create_task(_warm_up(app, settings)), asyncio.create_task(_expire(app))]
        yield
        for session_id in list(app.state.registry.sessions):
            app.state.registry.remove(session_id)
        for task in tasks:
            task.cancel()
        app.state.pool.shutdown(wait=False, cancel_futures=True)
        await app.state.laboratory.close()
        await _close_store(app.state.runs)

    app = FastAPI(
        title="Layerlab",
        description="Train small neural networks and watch every layer learn.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.include_router(routes.health)
    app.include_router(routes.sessions)
    app.include_router(convnet.router)
    app.include_router(runs.router)
    app.include_router(experiments.router)
    app.include_router(runs.page_route(FRONTEND))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        """422 naming each bad field, never echoing the (possibly huge) input back."""
        details = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))[:200], "type": e.get("type", "")}
            for e in error.errors()[:10]
        ]
        return JSONResponse({"detail": details}, status_code=422)

    @app.websocket("/api/sessions/{session_id}/stream")
    async def session_stream(ws: WebSocket, session_id: str) -> None:
        await stream.serve(ws, ws.app.state.registry.get(session_id, Run), stream.PLAYGROUND, settings,
                           ws.app.state.open_streams)

    @app.websocket("/api/convnet/sessions/{session_id}/stream")
    async def convnet_stream(ws: WebSocket, session_id: str) -> None:
        await stream.serve(ws, ws.app.state.registry.get(session_id, ConvRun), CONVNET, settings,
                           ws.app.state.open_streams)

    @app.websocket("/api/experiments/{experiment_id}/stream")
    async def experiment_stream(ws: WebSocket, experiment_id: str) -> None:
        await experiments.stream(ws, experiment_id)

    if FRONTEND.is_dir():
        app.mount("/", StaticFiles(directory=FRONTEND, html=True), name="frontend")
    return app
