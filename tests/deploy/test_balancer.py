"""Two real replicas behind the real HAProxy (deploy/haproxy.cfg): every request and stream of a session
reaches the replica that holds it, new sessions spread over the replicas, and a replica that dies loses only
its own sessions, which then answer 404."""
from __future__ import annotations

import asyncio
import json
from contextlib import ExitStack

import httpx
import pytest
import websockets

from backend.api.encoding import decode
from backend.devserver import ONE_CLIENT_FOR_MANY, running_server

from .conftest import ROOT, haproxy_binary, running_balancer

SESSIONS = 100  # made through the balancer
REPLICA_ENV = {**ONE_CLIENT_FOR_MANY, "LAYERLAB_WARMUP": "default", "LAYERLAB_EXECUTABLES": str(ROOT / ".executables"),
               "LAYERLAB_TRUSTED_PROXIES": "127.0.0.1"}  # the balancer, which names the client and the replica


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The balancer with replicas r1 and r2 in rotation: (balancer, {name: replica URL})."""
    haproxy_binary()
    with ExitStack() as stack:
        balancer = stack.enter_context(running_balancer(tmp_path_factory.mktemp("haproxy")))
        replicas = {name: stack.enter_context(running_server(REPLICA_ENV, ready_timeout=240)).url
                    for name in ("r1", "r2")}
        for name, url in replicas.items():
            balancer.add(name, url)
        for name in replicas:
            balancer.wait_until(name, "UP")
        yield balancer, replicas


def holder(session_id: str) -> str:
    return session_id.partition(".")[0]


def test_every_request_of_a_session_reaches_the_replica_that_holds_it(cluster):
    balancer, replicas = cluster
    with httpx.Client(base_url=balancer.url, timeout=60) as client:
        made = [client.post("/api/sessions", json={"seed": i}) for i in range(SESSIONS)]
        made += [client.post("/api/convnet/sessions", json={})]
        assert all(reply.status_code == 201 for reply in made)
        ids = [reply.json()["id"] for reply in made]
        assert {holder(i) for i in ids} == set(replicas)  # new sessions spread over both
        for sid in ids:
            path = f"/api/convnet/sessions/{sid}" if sid == ids[-1] else f"/api/sessions/{sid}"
            assert client.get(path).status_code == 200
            trained = client.post(f"{path}/train", json={})
            assert trained.status_code == 200
            for name, url in replicas.items():  # it lives on the replica its id names, and only there
                assert httpx.get(url + path).status_code == (200 if name == holder(sid) else 404)
            assert client.delete(path).status_code == 204


async def play_through(url: str) -> list[int]:
    """The epochs of the first frames of a stream, once told to play."""
    async with websockets.connect(url, max_size=2**22) as ws:
        await ws.send(json.dumps({"type": "play"}))
        epochs = []
        while len(epochs) < 5:
            message = await ws.recv()
            if isinstance(message, bytes) and (meta := decode(message)[0])["kind"] == "frame":
                epochs.append(meta["epoch"])
        return epochs


def test_an_experiment_is_followed_through_the_balancer_on_its_replica(cluster):
    balancer, replicas = cluster
    definition = {"axes": [{"name": "depth", "values": [1, 2]}], "seeds": 2, "epochs": 5}
    with httpx.Client(base_url=balancer.url, timeout=60) as client:
        made = [client.post("/api/experiments", json=definition).json() for _ in range(4)]
        for experiment in made:
            assert holder(experiment["id"]) in replicas
            ended = asyncio.run(follow(f"{balancer.url.replace('http', 'ws')}{experiment['url']}/stream"))
            assert ended == "finished"
            assert len(client.get(experiment["url"]).json()["rows"]) == 4
            for name, url in replicas.items():
                assert httpx.get(url + experiment["url"]).status_code == (200 if name == holder(experiment["id"]) else 404)


async def follow(url: str) -> str:
    """An experiment's last status, read from its progress stream."""
    async with websockets.connect(url, max_size=2**24) as ws:
        status = None
        async for message in ws:
            if (parsed := json.loads(message))["type"] == "status":
                status = parsed["status"]
        return status


def test_a_stream_plays_through_the_balancer(cluster):
    balancer, _ = cluster
    for _ in range(2):  # one session on each replica
        sid = httpx.post(f"{balancer.url}/api/sessions", json={}).json()["id"]
        epochs = asyncio.run(play_through(f"{balancer.url.replace('http', 'ws')}/api/sessions/{sid}/stream"))
        assert epochs[-1] > epochs[0]
        httpx.delete(f"{balancer.url}/api/sessions/{sid}")


def test_a_replica_that_dies_loses_only_its_own_sessions(cluster):
    balancer, replicas = cluster
    with httpx.Client(base_url=balancer.url, timeout=60) as client:
        with running_server(REPLICA_ENV, ready_timeout=240) as third:
            balancer.add("r3", third.url)
            balancer.wait_until("r3", "UP")
            ids = []
            while {holder(sid) for sid in ids} != {"r3", *replicas}:  # leastconn: each in turn, when idle
                ids.append(client.post("/api/sessions", json={}).json()["id"])
                assert len(ids) <= 4 * (len(replicas) + 1)
            third.process.kill()
            third.process.wait()
            lost = [sid for sid in ids if holder(sid) == "r3"]
            kept = [sid for sid in ids if holder(sid) != "r3"]
            for sid in lost:  # told plainly, at once: the page starts a new session
                assert client.get(f"/api/sessions/{sid}").status_code == 404
            for sid in kept:
                assert client.post(f"/api/sessions/{sid}/train", json={}).status_code == 200
            balancer.wait_until("r3", "DOWN")
            fresh = client.post("/api/sessions", json={})
            assert fresh.status_code == 201 and holder(fresh.json()["id"]) in replicas
        balancer.remove("r3")
        for sid in kept + [fresh.json()["id"]]:
            client.delete(f"/api/sessions/{sid}")
