"""Saved runs: keep a playground run for good (its export, in the run store), read it back, delete it with
the token its saving gave, and open it in the playground at /r/{id}, where playing it forks a live session
(POST /api/sessions/import of its document)."""
from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, Body, Header, HTTPException, Request
from fastapi.responses import FileResponse, Response

from ..engine.export import export_run
from ..store import StoreLimit
from . import schemas
from .routes import _session, refused

router = APIRouter(tags=["runs"])
REFUSALS = {"max_run_bytes": 413, "max_saves_per_client_per_hour": 429, "max_store_bytes": 507}  # StoreLimit.limit
PLAYGROUND_PAGE = "index.html"  # what /r/{id} serves, from the app's frontend folder


STORE_RETRY_SECONDS = 30  # Retry-After when the database could not be opened


async def _store(request: Request):
    """The run store, once the server has opened it (app.py opens it beside the warm-up); 503 when it could
    not (the log says why), and the next call tries again."""
    opening = request.app.state.runs
    if opening.done() and not opening.cancelled() and opening.exception() is not None:
        request.app.state.runs = opening = asyncio.create_task(request.app.state.open_store())
    try:
        return await asyncio.shield(opening)
    except Exception:
        raise HTTPException(503, "saved runs: the database is not reachable; try again later",
                            headers={"Retry-After": str(STORE_RETRY_SECONDS)}) from None


@router.post("/api/sessions/{session_id}/save", status_code=201, response_model=schemas.SavedRun)
async def save_session(request: Request, session_id: str,
                       body: schemas.SaveRequest = Body(default_factory=schemas.SaveRequest)) -> schemas.SavedRun:
    """Keep the run for good: config, data, weights, optimiser state, history and timeline; with `epoch`, as it
    was at that earlier epoch (what the page's timeline shows). The reply's delete_token is the only way to
    delete it, and is shown only here."""
    session = _session(request, session_id)

    def export(run) -> tuple[int, bytes]:  # serialised here, off the event loop: a document may be megabytes
        document = export_run(run if body.epoch is None or body.epoch == run.epoch else run.branch(body.epoch))
        return document["epoch"], json.dumps(document, separators=(",", ":")).encode()

    try:
        epoch, document = await session.work(export)
    except ValueError as error:
        raise refused(("body", "epoch"), error) from None
    client = request.app.state.settings.client_of_request(request)
    store = await _store(request)
    try:
        saved = await store.save("playground", document, client)
    except StoreLimit as refusal:
        headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after else None
        raise HTTPException(REFUSALS[refusal.limit], f"{refusal.limit}: {refusal.message}", headers=headers) from None
    return schemas.SavedRun(id=saved.id, epoch=epoch, url=f"/r/{saved.id}", delete_token=saved.delete_token)


@router.get("/api/runs/{run_id}", response_model=schemas.StoredRun)
async def get_run(request: Request, run_id: str) -> Response:
    """A saved run: its document continues it exactly (POST /api/sessions/import)."""
    stored = await (await _store(request)).get(run_id)
    if stored is None:
        raise HTTPException(404, "no such run")
    head = json.dumps({"id": stored.id, "lab": stored.lab, "created": stored.created.isoformat()})
    # The document as it was saved (valid when saved), not parsed and validated again on every read.
    return Response(f'{head[:-1]}, "document": '.encode() + stored.document + b"}", media_type="application/json")


@router.delete("/api/runs/{run_id}", status_code=204)
async def delete_run(request: Request, run_id: str,
                     x_delete_token: str = Header(description="the delete_token its saving returned")) -> Response:
    """Delete a saved run, with the token its saving returned."""
    deleted = await (await _store(request)).delete(run_id, x_delete_token)
    if deleted is None:
        raise HTTPException(404, "no such run")
    if not deleted:
        raise HTTPException(403, "x-delete-token: not this run's delete token")
    return Response(status_code=204)


def page_route(frontend) -> APIRouter:
    """/r/{id}: the playground page, which opens the saved run itself (the path names it)."""
    pages = APIRouter(include_in_schema=False)

    @pages.get("/r/{run_id}")
    def open_run(run_id: str) -> FileResponse:
        return FileResponse(frontend / PLAYGROUND_PAGE)

    return pages
