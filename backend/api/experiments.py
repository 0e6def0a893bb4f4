"""REST and the progress stream of experiments: sweeps of many networks run in the background (docs/experiments.md)."""
from __future__ import annotations

import asyncio
import csv
import io
import json
import math

from fastapi import APIRouter, Body, HTTPException, Query, Request, Response, WebSocket, WebSocketDisconnect

from ..engine import experiment as ex
from ..engine.baselines import BASELINES, IMAGE_BASELINES
from ..engine.lessons import LESSONS
from ..engine.pieces import plan
from ..engine.sweep import HISTOGRAM_EDGES
from ..engine.sweep_program import MAX_PROGRAMS
from .laboratory import ENDED, Experiment, ExperimentLimit, Laboratory, status_message
from .routes import REPLICA_HEADER, refused
from .stream import CLOSE_POLICY, CLOSE_TRY_LATER

router = APIRouter(prefix="/api/experiments", tags=["experiments"])
CLOSE_NORMAL = 1000


def _lab(request: Request | WebSocket) -> Laboratory:
    return request.app.state.laboratory


def _experiment(request: Request, experiment_id: str) -> Experiment:
    experiment = _lab(request).experiments.get(experiment_id)
    if experiment is None:
        raise HTTPException(404, "no such experiment")
    return experiment


def _axis(name: str, axis: ex.Axis) -> dict:
    return {"name": name, "label": axis.label, "kind": axis.kind, "log": axis.log, "data": axis.data,
            **({"choices": list(axis.choices)} if axis.choices else {}), **axis.bounds}


@router.get("/options")
def get_options() -> dict:
    """Every axis, measure, curve and baseline an experiment can use, the limits, and the lessons."""
    return {
        "axes": [_axis(name, axis) for name, axis in ex.AXES.items()],
        "convnet_axes": [_axis(name, axis) for name, axis in ex.CONVNET_AXES.items()],
        "measures": [{"name": name, "label": m.label, "log": m.log} for name, m in ex.MEASURES.items()],
        "curves": [{"name": name, "label": label} for name, label in ex.CURVES.items()],
        "baselines": [{"name": name, "label": b.label} for name, b in {**BASELINES, **IMAGE_BASELINES}.items()],
        "histogram_edges": [round(float(e), 6) for e in HISTOGRAM_EDGES],
        "limits": {"max_axes": ex.MAX_AXES, "max_values": ex.MAX_VALUES, "max_seeds": ex.MAX_SEEDS,
                   "max_epochs": ex.MAX_EPOCHS, "max_record": ex.MAX_RECORD, "max_networks": ex.MAX_NETWORKS,
                   "max_work": ex.MAX_WORK, "max_network_work": ex.MAX_NETWORK_WORK, "max_programs": MAX_PROGRAMS},
        "defaults": {"seeds": ex.DEFAULT_SEEDS, "epochs": ex.DEFAULT_EPOCHS, "record": ex.Definition().record},
        "lessons": [lesson.to_json() for lesson in LESSONS],
    }


def _reply(lab: Laboratory, experiment: Experiment, rows: bool) -> Response:
    """The Status, its rows spliced in as they were encoded."""
    status = {k: v for k, v in status_message(lab, experiment).items() if k != "type"}
    body = json.dumps(status)[:-1]
    if rows:
        body += ', "rows": [' + ", ".join(experiment.rows) + "]"
    return Response(body + "}", media_type="application/json")


@router.post("", status_code=202)
async def create_experiment(request: Request, definition: ex.Definition = Body()) -> Response:
    """Queue an experiment: a grid of networks over up to three axes, times seeds (202, its Status)."""
    try:
        planned = await asyncio.to_thread(plan, definition)  # every network made and grouped: not on the loop
    except ex.Invalid as error:
        raise refused(("body", *error.loc), error) from None
    settings = request.app.state.settings
    replica = settings.replica_of(request.client.host if request.client else None, request.headers.get(REPLICA_HEADER))
    try:
        experiment = _lab(request).submit(planned, settings.client_of_request(request), replica)
    except ExperimentLimit as limit:
        raise HTTPException(limit.status, str(limit), headers={"Retry-After": str(math.ceil(limit.retry_after))}) from None
    response = _reply(_lab(request), experiment, rows=False)
    response.status_code = 202
    response.headers["Location"] = f"/api/experiments/{experiment.id}"
    return response


@router.get("/{experiment_id}")
def get_experiment(request: Request, experiment_id: str,
                   rows: bool = Query(True, description="include the rows done so far")) -> Response:
    """An experiment's status, progress and rows."""
    return _reply(_lab(request), _experiment(request, experiment_id), rows)


@router.get("/{experiment_id}/results.json")
def get_results_json(request: Request, experiment_id: str) -> Response:
    """The Status with every row, as a download."""
    response = _reply(_lab(request), _experiment(request, experiment_id), rows=True)
    response.headers["Content-Disposition"] = f'attachment; filename="experiment-{experiment_id}.json"'
    return response


@router.get("/{experiment_id}/results.csv")
def get_results_csv(request: Request, experiment_id: str) -> Response:
    """One line per row: the axes' labels, the seed, the model, every measure."""
    experiment = _experiment(request, experiment_id)
    axes = experiment.axes()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([a["name"] for a in axes] + ["seed", "model"] + list(ex.MEASURES))
    for row in map(json.loads, experiment.rows):
        labels = [a["labels"][j] if j is not None else "" for a, j in zip(axes, row["cell"])]
        measures = row["measures"]
        writer.writerow(labels + [row["seed"], row["model"]] + ["" if measures.get(m) is None else measures[m]
                                                                 for m in ex.MEASURES])
    return Response(out.getvalue(), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="experiment-{experiment_id}.csv"'})


@router.delete("/{experiment_id}")
def cancel_experiment(request: Request, experiment_id: str) -> Response:
    """Cancel: the work stops after the piece under way; the rows done stay."""
    experiment = _experiment(request, experiment_id)
    _lab(request).cancel(experiment)
    return _reply(_lab(request), experiment, rows=False)


async def stream(ws: WebSocket, experiment_id: str) -> None:
    """Progress: the status and the rows so far, then each piece's rows and status, until the experiment ends
    or the peer leaves (a peer that stalls longer than Settings.send_timeout is dropped)."""
    settings = ws.app.state.settings
    if not settings.origin_allowed(ws.headers.get("origin"), ws.headers.get("host")):
        await ws.close(code=CLOSE_POLICY, reason="origin not allowed")
        return
    lab = _lab(ws)
    experiment = lab.experiments.get(experiment_id)
    if experiment is None:
        await ws.close(code=CLOSE_POLICY, reason="no such experiment")
        return
    client = settings.client_of_request(ws)
    open_streams = ws.app.state.open_streams
    if (refusal := open_streams.refusal(client, settings)) is not None:
        await ws.close(code=CLOSE_TRY_LATER, reason=refusal)
        return
    await ws.accept()
    open_streams.opened(client)
    queue: asyncio.Queue = asyncio.Queue()
    experiment.listeners.add(queue)
    status, rows = status_message(lab, experiment), list(experiment.rows)  # with the listener, before any wait
    sender = asyncio.create_task(_send(ws, queue, status, rows, settings.send_timeout))
    receiver = asyncio.create_task(_until_closed(ws))
    try:
        await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sender, receiver):
            task.cancel()
        experiment.listeners.discard(queue)
        open_streams.closed(client)


async def _send(ws: WebSocket, queue: asyncio.Queue, status: dict, rows: list[str], timeout: float) -> None:
    """The stream's messages, each within `timeout`, then the close."""
    try:
        async with asyncio.timeout(timeout):
            await ws.send_text(json.dumps(status))
            await ws.send_text(_rows_message(rows))
        while status["status"] not in ENDED:
            message = await queue.get()
            text = _rows_message(message["rows"]) if message["type"] == "rows" else json.dumps(message)
            async with asyncio.timeout(timeout):
                await ws.send_text(text)
            status = message if message["type"] == "status" else status
        await ws.close(code=CLOSE_NORMAL)
    except (WebSocketDisconnect, RuntimeError, TimeoutError):
        pass


async def _until_closed(ws: WebSocket) -> None:
    """Read (and ignore) whatever the peer sends until it leaves: the stream takes no commands."""
    try:
        while True:
            await ws.receive_text()
    except (WebSocketDisconnect, RuntimeError, KeyError):
        pass


def _rows_message(rows: list[str]) -> str:
    return '{"type": "rows", "rows": [' + ", ".join(rows) + "]}"
