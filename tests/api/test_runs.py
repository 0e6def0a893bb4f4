"""Saved runs through the API: save a session's run, read it back, open it as a new session that continues
it exactly, delete it with its token; the store's limits answer with their names and write nothing."""
from __future__ import annotations

import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from backend.api.encoding import decode


def saved_run(client, epochs: int = 12) -> tuple[str, dict]:
    sid = client.post("/api/sessions", json={"seed": 5}).json()["id"]
    client.post(f"/api/sessions/{sid}/train", json={"epochs": epochs})
    reply = client.post(f"/api/sessions/{sid}/save")
    assert reply.status_code == 201, reply.text
    return sid, reply.json()


def test_a_saved_run_opens_as_a_session_that_continues_it_exactly(client):
    sid, saved = saved_run(client)
    assert saved["url"] == f"/r/{saved['id']}" and len(saved["id"]) >= 10 and saved["delete_token"]
    stored = client.get(f"/api/runs/{saved['id']}").json()
    assert stored["lab"] == "playground" and stored["document"]["epoch"] == 12
    fork = client.post("/api/sessions/import", json=stored["document"]).json()["id"]
    for session in (sid, fork):
        client.post(f"/api/sessions/{session}/train", json={"epochs": 5})
    original, again = (client.get(f"/api/sessions/{s}/snapshot").json() for s in (sid, fork))
    assert again["epoch"] == 17 and again["output"] == original["output"]
    np.testing.assert_array_equal(again["weights"][0], original["weights"][0])
    assert client.get(f"/api/sessions/{fork}/snapshot", params={"epoch": 6}).status_code == 200  # its past too
    assert client.get(f"/api/runs/{saved['id']}").json()["document"]["epoch"] == 12  # the saved run stays


def test_saving_twice_makes_two_runs_and_a_run_is_deleted_only_with_its_token(client):
    sid, first = saved_run(client)
    second = client.post(f"/api/sessions/{sid}/save").json()
    assert second["id"] != first["id"] and second["delete_token"] != first["delete_token"]
    wrong = client.delete(f"/api/runs/{first['id']}", headers={"x-delete-token": second["delete_token"]})
    assert wrong.status_code == 403 and client.get(f"/api/runs/{first['id']}").status_code == 200
    assert client.delete(f"/api/runs/{first['id']}", headers={"x-delete-token": first["delete_token"]}).status_code == 204
    assert client.get(f"/api/runs/{first['id']}").status_code == 404
    assert client.get(f"/api/runs/{second['id']}").status_code == 200
    assert client.delete(f"/api/runs/{first['id']}", headers={"x-delete-token": "x"}).status_code == 404
    assert client.delete(f"/api/runs/{second['id']}").status_code == 422  # no token: the header is named


def test_the_shared_link_serves_the_playground_page(client):
    _, saved = saved_run(client, epochs=1)
    page = client.get(saved["url"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.text == client.get("/").text


def test_each_store_limit_refuses_by_name(client_with, tmp_path):
    """(That a refused save writes nothing, the store's own tests check: tests/store.)"""
    with client_with(max_run_bytes=1000, data_dir=str(tmp_path / "a")) as client:
        sid = client.post("/api/sessions", json={}).json()["id"]
        refused = client.post(f"/api/sessions/{sid}/save")
        assert refused.status_code == 413 and refused.json()["detail"].startswith("max_run_bytes")
    with client_with(max_saves_per_client_per_hour=1, data_dir=str(tmp_path / "b")) as client:
        sid = client.post("/api/sessions", json={}).json()["id"]
        assert client.post(f"/api/sessions/{sid}/save").status_code == 201
        refused = client.post(f"/api/sessions/{sid}/save")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert refused.json()["detail"].startswith("max_saves_per_client_per_hour")
    with client_with(max_store_bytes=1, data_dir=str(tmp_path / "c")) as client:
        sid = client.post("/api/sessions", json={}).json()["id"]
        refused = client.post(f"/api/sessions/{sid}/save")
        assert refused.status_code == 507 and refused.json()["detail"].startswith("max_store_bytes")
        assert client.get("/api/runs/nosuchrun").status_code == 404


def test_a_slow_database_delays_saves_only(client_with, tmp_path):
    """A save waiting on the database (another connection holds SQLite's write lock) while the session
    streams beside it: frames keep coming, and the save completes once the database lets it."""
    with client_with(data_dir=str(tmp_path)) as client:
        sid = client.post("/api/sessions", json={}).json()["id"]
        assert client.get("/api/runs/none-yet").status_code == 404  # the store is open, its schema made
        holder = sqlite3.connect(tmp_path / "runs.sqlite3", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # every save now waits for this transaction
        try:
            with ThreadPoolExecutor(1) as beside:
                saving = beside.submit(client.post, f"/api/sessions/{sid}/save")
                with client.websocket_connect(f"/api/sessions/{sid}/stream") as ws:
                    ws.send_text(json.dumps({"type": "play"}))
                    epochs = [frame_epoch(ws) for _ in range(20)]
                    assert epochs == sorted(epochs) and epochs[-1] > epochs[0]
                    assert not saving.done()
                holder.execute("ROLLBACK")
                assert saving.result(timeout=30).status_code == 201
        finally:
            holder.close()


def frame_epoch(ws) -> int:
    while True:
        message = ws.receive()
        if message.get("bytes") is not None and (meta := decode(message["bytes"])[0])["kind"] == "frame":
            return meta["epoch"]


def test_saved_runs_survive_a_restart(client_with, database_url):
    """On SQLite and on PostgreSQL: a run saved by one server is there for the next on the same database."""
    with client_with(database_url=database_url) as client:
        _, saved = saved_run(client, epochs=3)
        document = client.get(f"/api/runs/{saved['id']}").json()["document"]
    with client_with(database_url=database_url) as client:
        again = client.get(f"/api/runs/{saved['id']}")
        assert again.status_code == 200 and again.json()["document"] == document
        assert client.post("/api/sessions/import", json=document).status_code == 201


def test_a_run_saved_at_an_earlier_epoch_opens_there(client):
    """What the page's timeline shows when Save is pressed: the run as it was then, its history up to then;
    the session itself goes on untouched."""
    sid = client.post("/api/sessions", json={"seed": 2}).json()["id"]
    for _ in range(3):
        client.post(f"/api/sessions/{sid}/train", json={"epochs": 4})
    then = client.get(f"/api/sessions/{sid}/snapshot", params={"epoch": 4}).json()
    saved = client.post(f"/api/sessions/{sid}/save", json={"epoch": 4}).json()
    assert saved["epoch"] == 4
    document = client.get(f"/api/runs/{saved['id']}").json()["document"]
    assert document["epoch"] == 4 and document["history"]["epoch"] == [0, 4]
    fork = client.post("/api/sessions/import", json=document).json()["id"]
    assert client.get(f"/api/sessions/{fork}/snapshot").json()["output"] == then["output"]
    assert client.get(f"/api/sessions/{sid}").json()["state"]["epoch"] == 12
    late = client.post(f"/api/sessions/{sid}/save", json={"epoch": 13})
    assert late.status_code == 422 and late.json()["detail"][0]["loc"] == ["body", "epoch"]
