"""Experiments through the API: options, a sweep from request to rows through its progress stream, bad
definitions, cancelling, the limits, and a sweep beside a live session."""
from __future__ import annotations

import csv
import io
import json
import os
import threading

import pytest
from starlette.websockets import WebSocketDisconnect

from backend.engine import experiment as ex
from backend.engine.lessons import LESSONS

from .test_stream import frame

SMALL = {"axes": [{"name": "depth", "values": [1, 2]}, {"name": "activation", "values": ["tanh", "relu"]}],
         "seeds": 2, "epochs": 20, "record": 5}
# A sweep long enough to be running while a test looks at it: 240 networks of 2,000 epochs each (minutes).
LONG = {"axes": [{"name": "learning_rate", "values": [0.001 * (k + 1) for k in range(12)]}], "seeds": 20,
        "epochs": 2000}


def messages(client, experiment_id: str) -> list[dict]:
    """Every message of the experiment's progress stream, to its end."""
    received = []
    with client.websocket_connect(f"/api/experiments/{experiment_id}/stream") as ws:
        while True:
            try:
                received.append(json.loads(ws.receive_text()))
            except WebSocketDisconnect as closed:
                assert closed.code == 1000
                return received


def status_when(client, experiment_id: str, statuses: tuple[str, ...]) -> dict:
    """The experiment's status once it is one of `statuses`, read from its stream (no polling)."""
    with client.websocket_connect(f"/api/experiments/{experiment_id}/stream") as ws:
        while True:
            message = json.loads(ws.receive_text())
            if message["type"] == "status" and message["status"] in statuses:
                return message


def test_options_serve_every_axis_measure_and_lesson(client):
    options = client.get("/api/experiments/options").json()
    assert [a["name"] for a in options["axes"]] == list(ex.AXES)
    assert [m["name"] for m in options["measures"]] == list(ex.MEASURES)
    assert options["limits"]["max_networks"] == ex.MAX_NETWORKS
    assert [lesson["id"] for lesson in options["lessons"]] == [lesson.id for lesson in LESSONS]
    depth = next(a for a in options["axes"] if a["name"] == "depth")
    assert depth["kind"] == "int" and depth["minimum"] == 0 and depth["maximum"] == 10
    for lesson in options["lessons"]:
        assert lesson["claim"] and lesson["plots"]
        ex.expand(ex.Definition.model_validate(lesson["experiment"]))  # each runs as served


def test_an_experiment_runs_and_streams_its_progress_and_rows(client):
    reply = client.post("/api/experiments", json=SMALL)
    assert reply.status_code == 202
    created = reply.json()
    assert created["networks"] == 8 and reply.headers["location"] == created["url"]
    received = messages(client, created["id"])
    statuses = [m for m in received if m["type"] == "status"]
    streamed = [row for m in received if m["type"] == "rows" for row in m["rows"]]
    assert statuses[-1]["status"] == "finished" and statuses[-1]["done"] == 8
    assert [s["done"] for s in statuses] == sorted(s["done"] for s in statuses)
    final = client.get(created["url"]).json()
    assert final["status"] == "finished" and final["eta_seconds"] == 0
    assert sorted(r["index"] for r in final["rows"]) == list(range(8)) == sorted(r["index"] for r in streamed)
    row = next(r for r in final["rows"] if r["cell"] == [1, 1] and r["seed"] == 1)
    assert row["config"]["hidden_layers"] == [4, 4] and row["config"]["activation"] == "relu"
    assert row["config"]["seed"] == 1 and row["epochs"] == [0, 5, 10, 15, 20]
    assert 0 <= row["measures"]["test_accuracy"] <= 1 and len(row["curves"]["test_loss"]) == 5
    assert final["axes"][1]["labels"] == ["tanh", "relu"]
    table = list(csv.reader(io.StringIO(client.get(f"{created['url']}/results.csv").text)))
    assert table[0] == ["depth", "activation", "seed", "model", *ex.MEASURES]
    assert len(table) == 9 and ["2", "relu", "1", "network"] in [line[:4] for line in table[1:]]
    download = client.get(f"{created['url']}/results.json")
    assert "attachment" in download.headers["content-disposition"] and len(download.json()["rows"]) == 8
    without = client.get(created["url"], params={"rows": "false"}).json()
    assert "rows" not in without and without["done"] == 8


@pytest.mark.parametrize("body, loc", [
    ({"axes": [{"name": "depth", "values": [1, 11]}]}, ["body", "axes", 0, "values", 1]),
    ({"axes": [{"name": "colour", "values": [1]}]}, ["body", "axes", 0, "name"]),
    ({"axes": [{"name": "depth", "values": []}]}, ["body", "axes", 0, "values"]),
    ({"epochs": 100000}, ["body", "epochs"]),
    ({"seeds": 0}, ["body", "seeds"]),
    ({"base": {"activation": "swish"}}, ["body", "base", "activation"]),
    ({"colour": "red"}, ["body", "colour"]),
    ({"axes": [{"name": "width", "values": [16]}, {"name": "depth", "values": [10]}], "seeds": 20,
      "epochs": 5000, "base": {"num_samples": 2000}}, ["body", "epochs"]),
    ({"base": {"dataset": "plane"}, "baselines": True}, ["body", "baselines"]),
    ({"axes": [{"name": "depth", "values": [10**400]}]}, ["body", "axes", 0, "values", 0]),  # not a 500
])
def test_a_bad_definition_is_a_422_naming_the_field_and_starts_nothing(client, body, loc):
    before = len(client.app.state.laboratory.experiments)
    reply = client.post("/api/experiments", json=body)
    assert reply.status_code == 422
    assert reply.json()["detail"][0]["loc"] == loc
    assert len(client.app.state.laboratory.experiments) == before


def test_an_unknown_experiment_is_a_404(client):
    for method, path in (("get", ""), ("get", "/results.csv"), ("get", "/results.json"), ("delete", "")):
        assert getattr(client, method)(f"/api/experiments/nothing{path}").status_code == 404
    with pytest.raises(WebSocketDisconnect) as closed:
        with client.websocket_connect("/api/experiments/nothing/stream") as ws:
            ws.receive_text()
    assert closed.value.code == 1008


def test_cancelling_stops_the_work_and_frees_the_lane(client):
    long = client.post("/api/experiments", json=LONG).json()
    status_when(client, long["id"], ("running",))
    cancelled = client.delete(long["url"])
    assert cancelled.status_code == 200
    ended = status_when(client, long["id"], ("cancelled", "finished", "failed"))
    assert ended["status"] == "cancelled" and ended["done"] < ended["networks"]
    rows = client.get(long["url"]).json()["rows"]
    assert len(rows) == ended["done"]
    small = client.post("/api/experiments", json=SMALL).json()
    assert status_when(client, small["id"], ("finished", "cancelled", "failed"))["status"] == "finished"


def test_one_client_may_run_so_many_experiments_and_the_queue_so_many(client_with):
    with client_with(max_experiments=1, max_experiments_per_client=2, max_queued_experiments=1) as client:
        running = client.post("/api/experiments", json=LONG).json()
        status_when(client, running["id"], ("running",))
        queued = client.post("/api/experiments", json=SMALL)
        assert queued.status_code == 202 and queued.json()["status"] == "queued"
        assert queued.json()["queue_position"] == 0
        mine = client.post("/api/experiments", json=SMALL)
        assert mine.status_code == 429 and "max_experiments_per_client" in mine.json()["detail"]
        assert int(mine.headers["retry-after"]) >= 1
        other = client.post("/api/experiments", json=SMALL, headers={"x-forwarded-for": "127.0.0.2"})
        assert other.status_code == 429  # the forwarded address is not believed from an untrusted peer
    with client_with(max_experiments=1, max_queued_experiments=1, max_experiments_per_client=5) as client:
        running = client.post("/api/experiments", json=LONG).json()
        status_when(client, running["id"], ("running",))
        client.post("/api/experiments", json=SMALL)
        full = client.post("/api/experiments", json=SMALL)
        assert full.status_code == 503 and "max_queued_experiments" in full.json()["detail"]
        assert int(full.headers["retry-after"]) >= 1
        queued = client.post("/api/experiments", json=SMALL)
        assert queued.status_code == 503


def test_a_queued_experiment_cancelled_never_runs(client_with):
    with client_with(max_experiments=1) as client:
        running = client.post("/api/experiments", json=LONG).json()
        queued = client.post("/api/experiments", json=SMALL).json()
        assert client.delete(queued["url"]).json()["status"] == "cancelled"
        client.delete(running["url"])
        status_when(client, running["id"], ("cancelled",))
        after = client.post("/api/experiments", json=SMALL).json()  # runs once the lane is free: after the queued
        assert status_when(client, after["id"], ("finished",))["status"] == "finished"
        later = client.get(queued["url"]).json()
        assert later["status"] == "cancelled" and later["done"] == 0 and later["rows"] == []


def test_the_lane_runs_at_the_lowest_priority(client):
    if not hasattr(os, "getpriority"):
        pytest.skip("a thread's own priority is a Linux feature")
    lane = client.app.state.laboratory.lane
    assert lane.submit(lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id())).result() == 19
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) < 19  # the rest of the server is not


def test_a_live_session_keeps_streaming_while_an_experiment_runs(client, session_id):
    long = client.post("/api/experiments", json=LONG).json()
    status_when(client, long["id"], ("running",))
    with client.websocket_connect(f"/api/sessions/{session_id}/stream") as ws:
        first = frame(ws)[0]["epoch"]
        ws.send_text(json.dumps({"type": "play"}))
        epochs = [frame(ws)[0]["epoch"] for _ in range(60)]
        ws.send_text(json.dumps({"type": "pause"}))
    assert epochs[-1] > first and epochs == sorted(epochs)
    during = client.get(long["url"], params={"rows": "false"}).json()
    assert during["status"] == "running" and during["done"] < during["networks"]  # the frames came beside it
    client.delete(long["url"])
    status_when(client, long["id"], ("cancelled",))


def test_a_convnet_experiment_trains_the_labs_networks_beside_the_baselines(client):
    definition = {"lab": "convnet", "base": {"dense_layers": [16]}, "axes": [{"name": "train_size", "values": [20, 60]}],
                  "seeds": 2, "epochs": 3, "record": 2, "baselines": True}
    created = client.post("/api/experiments", json=definition).json()
    assert status_when(client, created["id"], ("finished", "failed"))["status"] == "finished"
    rows = client.get(created["url"]).json()["rows"]
    networks = [r for r in rows if r["model"] == "network"]
    assert len(networks) == 4 and {r["model"] for r in rows} - {"network"} == {"logistic_pixels", "svm_pixels", "knn_pixels"}
    small = next(r for r in networks if r["cell"] == [0] and r["seed"] == 1)
    assert small["config"]["train_images"] == 20 and small["config"]["dense_layers"] == [16]
    assert small["config"]["seed"] == 1 and small["epochs"] == [0, 3]
    assert 0 <= small["measures"]["test_accuracy"] <= 1 and small["measures"]["train_accuracy"] is None
    assert all(r["cell"] == [0] or r["cell"] == [1] for r in rows)
    session = client.post("/api/convnet/sessions", json=small["config"])  # the lab opens the same network
    assert session.status_code == 201 and session.json()["steps_per_epoch"] == 1  # 20 images, batches of 64
    client.delete(f"/api/convnet/sessions/{session.json()['id']}")


@pytest.mark.parametrize("body, loc", [
    ({"lab": "convnet", "axes": [{"name": "depth", "values": [1]}]}, ["body", "axes", 0, "name"]),
    ({"lab": "convnet", "base": {"hidden_layers": [4]}}, ["body", "base", "hidden_layers"]),
    ({"lab": "convnet", "axes": [{"name": "train_size", "values": [5]}]}, ["body", "axes", 0, "values", 0]),
    ({"lab": "convnet", "axes": [{"name": "batch_size", "values": [20]}]}, ["body", "axes", 0, "values", 0]),
    ({"lab": "vision"}, ["body", "lab"]),
])
def test_a_bad_convnet_definition_is_a_422_naming_the_field(client, body, loc):
    reply = client.post("/api/experiments", json=body)
    assert reply.status_code == 422 and reply.json()["detail"][0]["loc"] == loc


def test_one_client_keeps_so_many_ended_experiments_and_cannot_push_out_anothers(client_with):
    from backend.api.laboratory import MAX_KEPT_PER_CLIENT

    tiny = {"seeds": 1, "epochs": 0}
    # TestClient's peer is "testclient": trusted as a proxy, it names another client in X-Forwarded-For.
    with client_with(trusted_proxies="testclient") as client:
        other = client.post("/api/experiments", json=tiny, headers={"x-forwarded-for": "127.0.0.2"}).json()
        status_when(client, other["id"], ("finished",))
        lab = client.app.state.laboratory
        assert {e.client for e in lab.experiments.values()} == {"127.0.0.2"}
        mine = []
        for _ in range(MAX_KEPT_PER_CLIENT + 2):
            made = client.post("/api/experiments", json=tiny).json()
            status_when(client, made["id"], ("finished",))
            mine.append(made)
        lab.forget_old()
        assert client.get(other["url"]).status_code == 200
        assert [client.get(m["url"]).status_code for m in mine] == [404] * 2 + [200] * MAX_KEPT_PER_CLIENT
