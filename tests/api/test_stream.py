"""The WebSocket stream through TestClient: real frames decoded, commands, errors, limits."""
from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest
from starlette.websockets import WebSocketDisconnect

from backend.api.encoding import decode, quantise
from backend.api.stream import MAX_WAITING, PLAYGROUND, Inbox, Viewer, channel, handle
from backend.engine.run import Run
from backend.settings import Settings


def binary(ws):
    """The next binary message decoded, skipping text replies."""
    while True:
        message = ws.receive()
        if message.get("bytes") is not None:
            return decode(message["bytes"])


def frame(ws):
    """The next frame, skipping text replies and points messages."""
    while True:
        meta, arrays = binary(ws)
        if meta["kind"] == "frame":
            return meta, arrays


def binary_kinds(ws, count: int) -> list[str]:
    """The kinds of the next `count` binary messages, skipping text replies."""
    return [binary(ws)[0]["kind"] for _ in range(count)]


def frame_where(ws, predicate, limit: int = 20):
    """The first frame whose metadata satisfies predicate, reading at most `limit` frames."""
    for _ in range(limit):
        meta, arrays = frame(ws)
        if predicate(meta):
            return meta, arrays
    raise AssertionError("no such frame arrived")


def text(ws) -> dict:
    while True:
        message = ws.receive()
        if message.get("text") is not None:
            return json.loads(message["text"])


def test_first_points_then_a_full_decodable_picture(client, session_id):
    with client.websocket_connect(f"/api/sessions/{session_id}/stream") as ws:
        (points_meta, points), (meta, arrays) = binary(ws), binary(ws)
    assert points_meta["kind"] == "points" and meta["kind"] == "frame"
    assert points["train_points"].shape == (250, 3) and points["test_points"].shape == (250, 3)
    assert points_meta["data_version"] == meta["data_version"]
    assert "train_points" not in arrays  # the points travel on their own
    assert meta["epoch"] == 0 and meta["status"] == "paused"
    assert meta["layer_sizes"] == [2, 4, 2, 1]
    assert arrays["output"].shape == (100, 100) and arrays["output"].dtype == np.uint8
    assert arrays["neurons"].shape[0] == 6
    assert arrays["weights.0"].shape == (2, 4) and arrays["weights.2"].shape == (2, 1)
    assert arrays["gradient_norms"].shape == (3,)
    assert arrays["projection"].shape == (500, 2)
    assert len(meta["probe_accuracy"]) == 2


def test_frames_agree_with_the_rest_snapshot(client, session_id):
    snap = client.get(f"/api/sessions/{session_id}/snapshot").json()
    with client.websocket_connect(f"/api/sessions/{session_id}/stream") as ws:
        meta, arrays = frame(ws)
    expected = quantise(np.asarray(snap["output"]["values"], np.float32))
    assert np.abs(arrays["output"].astype(int) - expected.astype(int)).max() <= 1
    np.testing.assert_allclose(arrays["weights.1"], np.asarray(snap["weights"][1]), rtol=1e-3, atol=1e-3)
    assert meta["test_loss"] == pytest.approx(snap["test_loss"])


def test_step_play_pause_and_speed(client, session_id):
    with client.websocket_connect(f"/api/sessions/{session_id}/stream") as ws:
        assert frame(ws)[0]["epoch"] == 0
        ws.send_text(json.dumps({"type": "step"}))
        assert frame(ws)[0]["epoch"] == 1
        ws.send_text(json.dumps({"type": "speed", "epochs_per_frame": 5}))
        ws.send_text(json.dumps({"type": "play"}))
        epochs = [frame(ws)[0]["epoch"] for _ in range(4)]
        assert epochs == sorted(epochs) and epochs[-1] > epochs[0]
        assert {(b - a) % 5 for a, b in zip(epochs, epochs[1:])} == {0}
        ws.send_text(json.dumps({"type": "pause"}))
    state = client.get(f"/api/sessions/{session_id}").json()["state"]
    assert state["status"] == "paused"


def test_config_change_shows_in_the_next_frame(client, session_id):
    with client.websocket_connect(f"/api/sessions/{session_id}/stream") as ws:
        assert binary_kinds(ws, 2) == ["points", "frame"]
        ws.send_text(json.dumps({"type": "config", "config": {"learning_rate": 0.1}}))
        assert text(ws)["restarted"] is False
        assert binary_kinds(ws, 1) == ["frame"]  # same data: no points
        ws.send_text(json.dumps({"type": "config", "config": {"hidden_layers": [3], "dataset": "xor"}}))
        reply = text(ws)
        assert reply["type"] == "config" and reply["restarted"] is True
        assert reply["config"]["dataset"] == "xor"
        (points_meta, points), (meta, _) = binary(ws), binary(ws)
        assert points_meta["kind"] == "points" and meta["kind"] == "frame"  # new data: its points come first
        assert meta["layer_sizes"] == [2, 3, 1] and meta["data_version"] == points_meta["data_version"]
        assert len(points["train_points"]) + len(points["test_points"]) == reply["config"]["num_samples"]


def test_bad_messages_get_errors_and_the_stream_stays_open(client, session_id):
    with client.websocket_connect(f"/api/sessions/{session_id}/stream") as ws:
        frame(ws)
        for bad in ["not json", json.dumps({"type": "fly"}), json.dumps({"type": "speed", "epochs_per_frame": 0}),
                    json.dumps({"type": "config", "config": {"learning_rate": -1}}), json.dumps([1, 2])]:
            ws.send_text(bad)
            reply = text(ws)
            assert reply["type"] == "error" and reply["error"]
        ws.send_bytes(b"\x00\x01")
        assert text(ws)["type"] == "error"
        ws.send_text(json.dumps({"type": "config", "config": {"learning_rate": 0.5}}))
        assert text(ws)["config"]["learning_rate"] == 0.5
        assert frame(ws)[0]["epoch"] == 0  # a change shows at once, in a frame of its own
        ws.send_text(json.dumps({"type": "step"}))
        assert frame(ws)[0]["epoch"] == 1


def test_errors_name_the_field(client, session_id):
    with client.websocket_connect(f"/api/sessions/{session_id}/stream") as ws:
        frame(ws)
        ws.send_text(json.dumps({"type": "config", "config": {"batch_size": 1000}}))
        assert "batch_size" in text(ws)["error"]


def test_oversized_messages_are_refused(client_with):
    with client_with(max_message_bytes=256) as client:
        sid = client.post("/api/sessions", json={}).json()["id"]
        with client.websocket_connect(f"/api/sessions/{sid}/stream") as ws:
            frame(ws)
            ws.send_text(json.dumps({"type": "config", "config": {"custom_points": [[0, 0, 1]] * 100}}))
            assert "larger than" in text(ws)["error"]


def test_two_viewers_watch_one_session(client, session_id):
    path = f"/api/sessions/{session_id}/stream"
    with client.websocket_connect(path) as first, client.websocket_connect(path) as second:
        frame(first), frame(second)
        first.send_text(json.dumps({"type": "step"}))
        frame_where(first, lambda meta: meta["epoch"] == 1)
        frame_where(second, lambda meta: meta["epoch"] == 1)


def test_a_viewer_that_joins_gets_points_first_and_the_others_none_again(client, session_id):
    path = f"/api/sessions/{session_id}/stream"
    with client.websocket_connect(path) as first:
        assert binary_kinds(first, 2) == ["points", "frame"]
        with client.websocket_connect(path) as second:
            assert binary_kinds(second, 2) == ["points", "frame"]
            assert binary_kinds(first, 1) == ["frame"]  # the frame made for the newcomer; same data


def test_every_frame_comes_after_its_points_through_restarts_while_playing(client, session_id):
    """Restarting changes while a session plays: whatever frames are skipped, each frame is of a data version
    whose points this viewer got before it, its projection has as many points as they do, and a version is
    one network (one build)."""
    changes = [{"hidden_layers": [3], "num_samples": 300}, {"hidden_layers": [5, 2], "num_samples": 500}] * 6
    points_of, sizes_of = {}, {}  # data version -> number of points, and -> layer sizes

    def next_frame(ws):
        while True:
            meta, arrays = binary(ws)
            if meta["kind"] == "points":
                points_of[meta["data_version"]] = len(arrays["train_points"]) + len(arrays["test_points"])
                continue
            version = meta["data_version"]
            assert version in points_of
            assert len(arrays["projection"]) == points_of[version]
            assert sizes_of.setdefault(version, meta["layer_sizes"]) == meta["layer_sizes"]
            return meta

    with client.websocket_connect(f"/api/sessions/{session_id}/stream") as ws:
        ws.send_text(json.dumps({"type": "play"}))
        for change in changes:
            ws.send_text(json.dumps({"type": "config", "config": change}))
            for _ in range(2):
                next_frame(ws)
        for _ in range(20):  # the last change shows within a few frames
            meta = next_frame(ws)
            if meta["layer_sizes"] == [2, 5, 2, 1] and points_of[meta["data_version"]] == 500:
                break
        else:
            raise AssertionError("the last change never showed")
        ws.send_text(json.dumps({"type": "pause"}))
    assert len(points_of) > len(changes) // 2


def test_points_go_before_the_frame_however_offers_and_sends_interleave():
    """Viewer's rule, offer by offer: a build's points go out before its first frame, and only then."""
    viewer = Viewer(ws=None, send_timeout=1.0)
    viewer.offer(b"F1", 1, b"P1")
    assert viewer.take() == [b"P1", b"F1"]  # a new viewer: points first
    viewer.offer(b"F2", 1, b"P1")
    assert viewer.take() == [b"F2"]  # same build: the frame alone
    viewer.offer(b"F3", 2, b"P2")
    viewer.offer(b"F4", 2, b"P2")  # F3 is skipped, its build's points are not
    assert viewer.take() == [b"P2", b"F4"]
    viewer.offer(b"F5", 3, b"P3")
    viewer.offer(b"F6", 4, b"P4")  # two rebuilds before a send: only the newest build's points and frame
    assert viewer.take() == [b"P4", b"F6"]
    assert viewer.take() == []
    viewer.offer(b"F7", 3, b"P3")  # a frame of another build again
    assert viewer.take() == [b"P3", b"F7"]


def test_view_selects_the_projected_layer(client, session_id):
    with client.websocket_connect(f"/api/sessions/{session_id}/stream") as ws:
        first = frame(ws)
        ws.send_text(json.dumps({"type": "view", "layer": 1}))
        meta, arrays = frame(ws)
    assert first[0]["view_layer"] == 0 and meta["view_layer"] == 1
    assert arrays["projection"].shape == (500, 2)


def test_unknown_session_and_foreign_origin_are_refused(client, session_id):
    with pytest.raises(WebSocketDisconnect) as closed:
        with client.websocket_connect("/api/sessions/nope/stream") as ws:
            ws.receive()
    assert closed.value.code == 1008
    with pytest.raises(WebSocketDisconnect) as closed:
        with client.websocket_connect(f"/api/sessions/{session_id}/stream", headers={"origin": "http://evil.example"}) as ws:
            ws.receive()
    assert closed.value.code == 1008


def test_stream_cap_closes_with_1013(client_with):
    with client_with(max_streams=1) as client:
        sid = client.post("/api/sessions", json={}).json()["id"]
        with client.websocket_connect(f"/api/sessions/{sid}/stream") as ws:
            frame(ws)
            with pytest.raises(WebSocketDisconnect) as closed:
                with client.websocket_connect(f"/api/sessions/{sid}/stream") as second:
                    second.receive()
            assert closed.value.code == 1013


def test_one_client_holds_a_bounded_share_of_the_streams(client_with):
    """Behind a trusted proxy: one client over its share of open streams is closed with 1013 and a reason
    naming the limit, while another client's stream opens; closing one frees its place."""
    with client_with(max_streams_per_client=1, trusted_proxies="testclient") as client:
        sid = client.post("/api/sessions", json={}).json()["id"]
        url = f"/api/sessions/{sid}/stream"
        one, other = {"x-forwarded-for": "127.0.0.2"}, {"x-forwarded-for": "127.0.0.3"}
        with client.websocket_connect(url, headers=one) as ws:
            frame(ws)
            with pytest.raises(WebSocketDisconnect) as closed:
                with client.websocket_connect(url, headers=one) as second:
                    second.receive()
            assert closed.value.code == 1013 and "max_streams_per_client" in closed.value.reason
            with client.websocket_connect(url, headers=other) as beside:
                frame(beside)
        with client.websocket_connect(url, headers=one) as again:
            frame(again)
        assert client.app.state.open_streams.total == 0 and not client.app.state.open_streams.by_client


def test_a_client_over_its_share_of_work_plays_nothing_until_it_renews(client_with):
    """Play and step are told the limit's name and train nothing, while the stream stays open."""
    with client_with(max_work_per_client=60, trusted_proxies="testclient") as client:
        one = {"x-forwarded-for": "127.0.0.2"}
        sid = client.post("/api/sessions", json={}, headers=one).json()["id"]
        with client.websocket_connect(f"/api/sessions/{sid}/stream", headers=one) as ws:
            frame(ws)
            client.app.state.registry.budget.charge("127.0.0.2", 61)  # as if it had trained a whole minute
            for command in ("play", "step"):
                ws.send_text(json.dumps({"type": command}))
                assert text(ws)["error"].startswith("max_work_per_client")
            ws.send_text(json.dumps({"type": "view", "layer": 1}))  # a frame that trains nothing
            assert frame(ws)[0]["epoch"] == 0


def test_diverged_play_is_refused_until_reset(client):
    sid = client.post("/api/sessions", json={"dataset": "plane", "learning_rate": 10}).json()["id"]
    client.post(f"/api/sessions/{sid}/train", json={"epochs": 20})
    with client.websocket_connect(f"/api/sessions/{sid}/stream") as ws:
        assert frame(ws)[0]["status"] == "diverged"
        ws.send_text(json.dumps({"type": "play"}))
        assert "reset" in text(ws)["error"]
        ws.send_text(json.dumps({"type": "reset"}))
        meta, _ = frame(ws)
        assert meta["status"] == "paused" and meta["epoch"] == 0 and meta["train_loss"] is not None


def test_a_sessions_channel_goes_with_the_session():
    import gc

    from backend.api import stream
    from backend.api.sessions import LiveSession

    session = LiveSession(id="gone", run=None, pool=None)
    stream.channel(session, stream.PLAYGROUND).view_layer = 2
    assert stream.channel(session, stream.PLAYGROUND).view_layer == 2  # one channel per session, kept while the session lives
    count = len(stream._channels)
    del session
    gc.collect()
    assert len(stream._channels) == count - 1


def test_deleting_a_watched_session_closes_its_streams_as_no_such_session(client, session_id):
    with client.websocket_connect(f"/api/sessions/{session_id}/stream") as ws:
        frame(ws)  # watching, paused: the server sends nothing more unless asked
        assert client.delete(f"/api/sessions/{session_id}").status_code == 204
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_bytes()
    assert closed.value.code == 1008


def test_config_changes_waiting_their_turn_merge_into_one():
    """A burst of changes made while a network compiles builds one network: the later value of a field wins,
    and a message of another kind between two changes keeps them apart."""

    async def drain(inbox):
        return [await inbox.get() for _ in range(len(inbox.messages))]

    inbox = Inbox()
    inbox.put({"type": "config", "config": {"hidden_layers": [4], "learning_rate": 0.1}})
    inbox.put({"type": "config", "config": {"hidden_layers": [5]}})
    inbox.put({"type": "config", "config": {"activation": "relu"}})
    inbox.put({"type": "play"})
    inbox.put({"type": "config", "config": {"hidden_layers": [6]}})
    inbox.put(None)
    first, *rest = asyncio.run(drain(inbox))
    assert first["config"] == {"hidden_layers": [5], "learning_rate": 0.1, "activation": "relu"}
    assert first["parts"] == [{"hidden_layers": [4], "learning_rate": 0.1}, {"hidden_layers": [5]},
                              {"activation": "relu"}]
    assert rest == [{"type": "play"}, {"type": "config", "config": {"hidden_layers": [6]}}, None]


class Heard:
    """A viewer that keeps what it is told."""

    def __init__(self) -> None:
        self.said: list[dict] = []

    def say(self, message: dict) -> None:
        self.said.append(message)


def test_a_bad_change_merged_with_good_ones_does_not_sink_them(client, session_id):
    """Merged changes that fail together are carried out one by one: the good ones apply, the bad one is
    refused with its error."""
    with client.websocket_connect(f"/api/sessions/{session_id}/stream") as ws:
        binary(ws), binary(ws)
        ch = channel(client.app.state.registry.get(session_id, Run), PLAYGROUND)
        merged = {"type": "config", "config": {"learning_rate": 0.1, "hidden_layers": [99], "activation": "relu"},
                  "parts": [{"learning_rate": 0.1}, {"hidden_layers": [99]}, {"activation": "relu"}]}
        viewer = Heard()
        client.portal.call(handle, ch, merged, viewer, Settings())
    config = client.get(f"/api/sessions/{session_id}").json()["config"]
    assert config["learning_rate"] == 0.1 and config["activation"] == "relu" and config["hidden_layers"] == [4, 2]
    assert len(viewer.said) == 1 and "hidden_layers" in viewer.said[0]["error"]


def test_reading_waits_while_the_inbox_is_full():
    async def fill():
        inbox = Inbox()
        for _ in range(MAX_WAITING):
            inbox.put({"type": "play"})
        waiting = asyncio.create_task(inbox.room())
        await asyncio.sleep(0)
        blocked = not waiting.done()
        await inbox.get()
        await asyncio.wait_for(waiting, 1)
        return blocked

    assert asyncio.run(fill())


def test_looking_back_then_going_on_from_an_earlier_epoch(client, session_id):
    """seek shows an earlier epoch as it was (marked past, the charts' history untouched), seek null the run
    as it is, and rewind goes back there for good, telling every viewer."""
    for epochs in (4, 6):  # two frames' worth of history: epochs 4 and 10
        client.post(f"/api/sessions/{session_id}/train", json={"epochs": epochs})
    kept = client.get(f"/api/sessions/{session_id}/history").json()
    assert kept["epoch"] == 10 and kept["origin"] == 0 and kept["history"]["epoch"] == [0, 4, 10]
    with client.websocket_connect(f"/api/sessions/{session_id}/stream") as ws:
        assert frame(ws)[0]["past"] is False
        ws.send_text(json.dumps({"type": "seek", "epoch": 4}))
        meta, _ = frame(ws)
        assert meta["past"] is True and meta["epoch"] == 4
        assert meta["train_loss"] == pytest.approx(kept["history"]["train_loss"][1], rel=1e-6)
        ws.send_text(json.dumps({"type": "seek", "epoch": None}))
        meta, _ = frame(ws)
        assert meta["past"] is False and meta["epoch"] == 10
        ws.send_text(json.dumps({"type": "seek", "epoch": 11}))  # later than now: the run as it is
        assert frame(ws)[0]["epoch"] == 10
        ws.send_text(json.dumps({"type": "rewind", "epoch": 11}))
        assert "epoch" in text(ws)["error"]
        ws.send_text(json.dumps({"type": "rewind", "epoch": 4}))
        told = text(ws)
        assert told["type"] == "rewound" and told["epoch"] == 4 and told["config"]["hidden_layers"]
        meta, _ = frame(ws)
        assert meta["past"] is False and meta["epoch"] == 4
    assert client.get(f"/api/sessions/{session_id}/history").json()["history"]["epoch"] == [0, 4]


def test_the_convnet_lab_keeps_no_timeline(client):
    sid = client.post("/api/convnet/sessions", json={}).json()["id"]
    with client.websocket_connect(f"/api/convnet/sessions/{sid}/stream") as ws:
        ws.send_text(json.dumps({"type": "seek", "epoch": 0}))
        assert "no timeline" in text(ws)["error"]
    client.delete(f"/api/convnet/sessions/{sid}")


def test_a_look_back_goes_to_the_viewer_who_asked(client, session_id):
    client.post(f"/api/sessions/{session_id}/train", json={"epochs": 6})
    url = f"/api/sessions/{session_id}/stream"
    with client.websocket_connect(url) as asking, client.websocket_connect(url) as other:
        frame(asking), frame(other)
        asking.send_text(json.dumps({"type": "seek", "epoch": 2}))
        assert frame_where(asking, lambda meta: meta["past"])[0]["epoch"] == 2  # (the other's joining sent a frame)
        other.send_text(json.dumps({"type": "view", "layer": 0}))  # the other's next frame: now, not the past
        meta, _ = frame(other)
        assert meta["epoch"] == 6 and meta["past"] is False


def test_a_rewind_through_rest_tells_the_stream(client, session_id):
    client.post(f"/api/sessions/{session_id}/train", json={"epochs": 6})
    with client.websocket_connect(f"/api/sessions/{session_id}/stream") as ws:
        frame(ws)
        assert client.post(f"/api/sessions/{session_id}/rewind", json={"epoch": 2}).status_code == 200
        told = text(ws)
        assert told["type"] == "rewound" and told["epoch"] == 2
        assert frame(ws)[0]["epoch"] == 2
