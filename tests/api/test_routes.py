"""The REST API through TestClient, lifespan included: happy paths and every error branch."""
from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest
from pydantic import ValidationError

from backend.engine.config import MAX_SEED, Config

OPTIONS_BUDGET = 8 * 1024  # bytes: the page loads the options on every open


def test_health_reports_ready_and_device(client):
    body = client.get("/api/health").json()
    assert body["status"] == "ok"
    assert body["ready"] is True  # warm-up "none" has nothing to compile
    assert body["device"] in {"cpu", "gpu", "cuda", "tpu"}


def test_health_can_wait_for_ready_and_bounds_the_wait(client):
    assert client.get("/api/health", params={"wait": 5}).json()["ready"] is True
    assert client.get("/api/health", params={"wait": -1}).status_code == 422
    assert client.get("/api/health", params={"wait": 10**6}).status_code == 422


def test_options_list_every_choice_and_bound(client):
    options = client.get("/api/options").json()
    assert options["datasets"][0] == "circle"
    assert set(options["regression_datasets"]) == {"plane", "multigauss"}
    assert len(options["features"]) == 7
    assert {"linear", "sigmoid", "tanh", "relu"} <= set(options["activations"])
    assert options["optimizers"] == ["sgd", "momentum", "adam"]
    assert options["bounds"]["hidden_layers"] == {"maxItems": 10, "items": {"minimum": 1, "maximum": 16}}
    assert options["bounds"]["seed"] == {"minimum": 0, "maximum": MAX_SEED}
    assert options["bounds"]["init_scale"]["exclusiveMinimum"] == 0
    assert options["defaults"] == Config().model_dump()
    assert options["feature_labels"]["x1_squared"] == "x₁²"


def test_options_bounds_are_where_a_config_starts_being_refused(client):
    """Every numeric bound in the reply, tried on both sides against the config the server validates with."""
    bounds = client.get("/api/options").json()["bounds"]

    def accepts(name, value) -> bool:
        try:
            Config(**{name: value})
        except ValidationError:
            return False
        return True

    numbers = {name: bound for name, bound in bounds.items() if "maxItems" not in bound}
    assert len(numbers) == 8  # noise, train share, points, init scale, batch, learning and regularisation rates, seed
    for name, bound in numbers.items():
        step = 1 if Config.model_fields[name].annotation is int else 1e-9
        if "minimum" in bound:
            assert accepts(name, bound["minimum"]) and not accepts(name, bound["minimum"] - step), name
        if "exclusiveMinimum" in bound:
            assert not accepts(name, bound["exclusiveMinimum"]) and accepts(name, bound["exclusiveMinimum"] + step)
        if "maximum" in bound:
            assert accepts(name, bound["maximum"]) and not accepts(name, bound["maximum"] + step), name
    layers, width = bounds["hidden_layers"]["maxItems"], bounds["hidden_layers"]["items"]
    assert accepts("hidden_layers", [width["maximum"]] * layers) and not accepts("hidden_layers", [1] * (layers + 1))
    assert not accepts("hidden_layers", [width["maximum"] + 1]) and not accepts("hidden_layers", [width["minimum"] - 1])


def test_options_carry_every_preview_small(client):
    reply = client.get("/api/options")
    assert len(reply.content) < OPTIONS_BUDGET
    body = json.loads(reply.content, parse_constant=lambda name: pytest.fail(f"{name} in the reply"))
    previews, cells = body["previews"], body["previews"]["cells"]
    assert list(previews["features"]) == body["features"] and list(previews["datasets"]) == body["datasets"]
    maps = {**previews["features"], **{k: v for k, v in previews["datasets"].items() if v is not None}}
    for name, encoded in maps.items():
        values = np.frombuffer(base64.b64decode(encoded), np.uint8)
        assert values.size == cells * cells and values.min() < values.max(), name
    assert previews["datasets"]["custom"] is None


def test_create_uses_defaults_and_reports_state(client):
    reply = client.post("/api/sessions", json={})
    assert reply.status_code == 201
    body = reply.json()
    assert len(body["id"]) >= 32  # 192 random bits, url-safe base64
    assert body["config"] == Config().model_dump()
    state = body["state"]
    assert state["epoch"] == 0 and state["status"] == "paused"
    assert 0 <= state["test_accuracy"] <= 1 and state["train_loss"] > 0


def test_ids_are_unguessable_and_unknown_ids_404(client, session_id):
    other = client.post("/api/sessions", json={}).json()["id"]
    assert other != session_id
    for method, path in [("get", ""), ("get", "/snapshot"), ("post", "/train"), ("delete", ""), ("get", "/export")]:
        assert getattr(client, method)(f"/api/sessions/not-{session_id}{path}").status_code == 404


def test_train_advances_and_learns(client, session_id):
    state = client.post(f"/api/sessions/{session_id}/train", json={"epochs": 200}).json()["state"]
    assert state["epoch"] == 200
    assert state["test_accuracy"] >= 0.9
    assert client.get(f"/api/sessions/{session_id}").json()["state"] == state


def test_patch_keeps_weights_for_optimiser_settings_and_restarts_for_shape(client, session_id):
    client.post(f"/api/sessions/{session_id}/train", json={"epochs": 5})
    kept = client.patch(f"/api/sessions/{session_id}", json={"learning_rate": 0.1, "optimizer": "adam"}).json()
    assert kept["restarted"] is False and kept["state"]["epoch"] == 5
    assert kept["config"]["learning_rate"] == 0.1 and kept["config"]["optimizer"] == "adam"
    fresh = client.patch(f"/api/sessions/{session_id}", json={"hidden_layers": [3]}).json()
    assert fresh["restarted"] is True and fresh["state"]["epoch"] == 0
    assert fresh["config"]["learning_rate"] == 0.1  # earlier changes stay


def test_bad_input_is_a_422_naming_the_field_and_changes_nothing(client, session_id):
    before = client.get(f"/api/sessions/{session_id}").json()
    cases = [
        {"learning_rate": 100},
        {"hidden_layers": [4] * 11},
        {"hidden_layers": [17]},
        {"activation": "swish-ish"},
        {"features": []},
        {"bogus": 1},
        {"dataset": "custom"},  # custom needs points of both labels
    ]
    for body in cases:
        reply = client.patch(f"/api/sessions/{session_id}", json=body)
        assert reply.status_code == 422, body
        assert any(list(body)[0] in map(str, e["loc"]) or e["loc"] == ["body"] for e in reply.json()["detail"])
    # NaN and Infinity are legal in Python's JSON but not in a config.
    for raw in ('{"learning_rate": NaN}', '{"noise": Infinity}'):
        reply = client.patch(f"/api/sessions/{session_id}", content=raw, headers={"content-type": "application/json"})
        assert reply.status_code == 422
    assert client.get(f"/api/sessions/{session_id}").json() == before


def test_errors_do_not_echo_large_input(client, session_id):
    huge = "x" * 100_000
    reply = client.patch(f"/api/sessions/{session_id}", json={"dataset": huge})
    assert reply.status_code == 422
    assert len(reply.content) < 2000


def test_train_epochs_are_bounded(client, session_id):
    for epochs in (0, -1, 10**6, "many"):
        assert client.post(f"/api/sessions/{session_id}/train", json={"epochs": epochs}).status_code == 422


def test_snapshot_has_every_part_of_a_frame(client, session_id):
    snap = client.get(f"/api/sessions/{session_id}/snapshot").json()
    assert snap["layer_sizes"] == [2, 4, 2, 1]
    assert snap["output"]["resolution"] == 100 and len(snap["output"]["values"]) == 100
    assert [len(layer) for layer in snap["neurons"]] == [4, 2]
    assert [np.shape(w) for w in snap["weights"]] == [(2, 4), (4, 2), (2, 1)]
    assert len(snap["gradient_norms"]) == len(snap["update_ratios"]) == len(snap["saturation"]) == 3
    assert len(snap["projections"]) == len(snap["probe_accuracy"]) == 2
    assert len(snap["projections"][0]) == len(snap["train_points"]) + len(snap["test_points"]) == 500
    assert all(0 <= accuracy <= 1 for accuracy in snap["probe_accuracy"])


def test_predict_matches_the_output_grid_sign(client, session_id):
    client.post(f"/api/sessions/{session_id}/train", json={"epochs": 200})
    outputs = client.post(f"/api/sessions/{session_id}/predict", json={"points": [[0, 0], [5.5, 5.5]]}).json()
    inside, outside = outputs["outputs"]
    assert inside > 0 > outside  # the inner disc is +1, the ring -1
    assert client.post(f"/api/sessions/{session_id}/predict", json={"points": [[0, 0, 0]]}).status_code == 422
    assert client.post(f"/api/sessions/{session_id}/predict", json={"points": [[0, "nan"]]}).status_code == 422


def test_reset_returns_to_epoch_zero_with_a_new_seed(client, session_id):
    client.post(f"/api/sessions/{session_id}/train", json={"epochs": 3})
    body = client.post(f"/api/sessions/{session_id}/reset", json={"seed": 7}).json()
    assert body["state"]["epoch"] == 0 and body["config"]["seed"] == 7


def test_delete_then_404(client):
    sid = client.post("/api/sessions", json={}).json()["id"]
    assert client.delete(f"/api/sessions/{sid}").status_code == 204
    assert client.get(f"/api/sessions/{sid}").status_code == 404


def test_export_import_continues_exactly(client, session_id):
    client.patch(f"/api/sessions/{session_id}", json={"optimizer": "adam", "learning_rate": 0.01})
    client.post(f"/api/sessions/{session_id}/train", json={"epochs": 7})
    document = client.get(f"/api/sessions/{session_id}/export").json()
    copy = client.post("/api/sessions/import", json=document)
    assert copy.status_code == 201
    copy_id = copy.json()["id"]
    assert copy.json()["state"]["epoch"] == 7
    a = client.post(f"/api/sessions/{session_id}/train", json={"epochs": 5}).json()["state"]
    b = client.post(f"/api/sessions/{copy_id}/train", json={"epochs": 5}).json()["state"]
    assert a == b  # same weights, optimiser state and random key: bit-identical continuation
    broken = {**document, "state": document["state"][:-1]}
    assert client.post("/api/sessions/import", json=broken).status_code == 422


def test_an_import_with_an_integer_leaf_that_is_not_one_is_refused(client, session_id):
    document = client.get(f"/api/sessions/{session_id}/export").json()
    index = next(i for i, leaf in enumerate(document["state"]) if leaf["dtype"] in ("int32", "uint32"))
    leaf = document["state"][index]
    for wrong in (None, 1.5, -1 if leaf["dtype"] == "uint32" else 2**31, 2**33):
        state = [*document["state"]]
        state[index] = {**leaf, "data": [wrong, *leaf["data"][1:]]}
        reply = client.post("/api/sessions/import", json={**document, "state": state})
        assert reply.status_code == 422, (wrong, reply.text)
        assert reply.json()["detail"][0]["loc"] == ["body", "state", str(index)], (wrong, reply.text)


def test_divergence_is_a_status_and_reset_recovers(client):
    sid = client.post("/api/sessions", json={"dataset": "plane", "learning_rate": 10, "hidden_layers": [4, 2]}).json()["id"]
    state = client.post(f"/api/sessions/{sid}/train", json={"epochs": 20}).json()["state"]
    assert state["status"] == "diverged"
    assert state["train_loss"] is None  # no NaN reaches JSON
    snap = client.get(f"/api/sessions/{sid}/snapshot")
    assert snap.status_code == 200
    assert client.post(f"/api/sessions/{sid}/predict", json={"points": [[0, 0]]}).json()["outputs"] == [None]
    recovered = client.post(f"/api/sessions/{sid}/reset", json={}).json()["state"]
    assert recovered["status"] == "paused" and math.isfinite(recovered["train_loss"])


def test_session_cap_answers_503(client_with):
    with client_with(max_sessions=2) as client:
        assert client.post("/api/sessions", json={}).status_code == 201
        assert client.post("/api/sessions", json={}).status_code == 201
        full = client.post("/api/sessions", json={})
        assert full.status_code == 503 and int(full.headers["retry-after"]) > 0
        assert client.get("/api/health").status_code == 200


def test_one_client_holds_a_bounded_share_of_the_sessions(client_with):
    """Behind a trusted proxy the client is the address it forwards for: one over its share gets 429 with
    Retry-After, naming the limit, while another client still gets its session; both labs count."""
    with client_with(max_sessions_per_client=2, trusted_proxies="testclient") as client:
        first = {"x-forwarded-for": "127.0.0.2"}
        made = [client.post("/api/sessions", json={}, headers=first),
                client.post("/api/convnet/sessions", json={}, headers=first)]
        assert [r.status_code for r in made] == [201, 201]
        refused = client.post("/api/sessions", json={}, headers=first)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert "max_sessions_per_client" in refused.json()["detail"]
        forged = {"x-forwarded-for": "127.0.0.3, 127.0.0.2"}  # a claim, then the address the proxy saw: it counts
        assert client.post("/api/sessions", json={}, headers=forged).status_code == 429
        assert client.post("/api/sessions", json={}, headers={"x-forwarded-for": "127.0.0.3"}).status_code == 201
        client.delete(f"/api/sessions/{made[0].json()['id']}")  # ending one frees its place
        assert client.post("/api/sessions", json={}, headers=first).status_code == 201


def test_a_forwarded_address_from_an_untrusted_peer_is_not_believed(client_with):
    with client_with(max_sessions_per_client=1) as client:
        assert client.post("/api/sessions", json={}, headers={"x-forwarded-for": "127.0.0.2"}).status_code == 201
        assert client.post("/api/sessions", json={}, headers={"x-forwarded-for": "127.0.0.3"}).status_code == 429


def test_a_session_never_trained_nor_streamed_expires_soon(client_with):
    import time

    with client_with(unused_seconds=60, idle_seconds=900) as client:
        unused, trained, watched = (client.post("/api/sessions", json={}).json()["id"] for _ in range(3))
        client.post(f"/api/sessions/{trained}/train", json={"epochs": 1})
        with client.websocket_connect(f"/api/sessions/{watched}/stream") as ws:
            ws.receive_bytes()
        registry = client.app.state.registry
        assert registry.expire(now=time.monotonic() + 30) == []
        client.get(f"/api/sessions/{unused}")  # looking at it is not using it
        assert registry.expire(now=time.monotonic() + 61) == [unused]
        assert client.get(f"/api/sessions/{trained}").status_code == 200
        assert client.get(f"/api/sessions/{watched}").status_code == 200


def test_idle_sessions_expire(client_with):
    import time

    with client_with(idle_seconds=60) as client:
        sid = client.post("/api/sessions", json={}).json()["id"]
        registry = client.app.state.registry
        assert registry.expire(now=time.monotonic() + 30) == []
        assert registry.expire(now=time.monotonic() + 61) == [sid]
        assert client.get(f"/api/sessions/{sid}").status_code == 404


def test_openapi_describes_the_contract(client):
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in ["/api/sessions", "/api/sessions/{session_id}", "/api/sessions/{session_id}/train",
                 "/api/sessions/{session_id}/snapshot", "/api/sessions/{session_id}/predict",
                 "/api/sessions/{session_id}/export", "/api/sessions/import", "/api/options", "/api/health"]:
        assert path in paths, path
    assert set(schema["components"]["schemas"]["Config"]["properties"]) == set(Config.model_fields)
    assert client.get("/docs").status_code == 200


def test_a_client_over_its_share_of_work_may_not_train_while_others_do(client_with):
    """Its training is refused with 429, Retry-After and the limit's name, in both labs, and changes nothing;
    another client's sessions train on."""
    with client_with(max_work_per_client=60, trusted_proxies="testclient") as client:
        one, other = {"x-forwarded-for": "127.0.0.2"}, {"x-forwarded-for": "127.0.0.3"}
        mine = client.post("/api/sessions", json={}, headers=one).json()["id"]
        my_digits = client.post("/api/convnet/sessions", json={}, headers=one).json()["id"]
        theirs = client.post("/api/sessions", json={}, headers=other).json()["id"]
        client.app.state.registry.budget.charge("127.0.0.2", 61)  # as if it had trained a whole minute
        for refused in (client.post(f"/api/sessions/{mine}/train", json={"epochs": 1}),
                        client.post(f"/api/convnet/sessions/{my_digits}/train", json={"steps": 1})):
            assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
            assert refused.json()["detail"].startswith("max_work_per_client")
        assert client.get(f"/api/sessions/{mine}").json()["state"]["epoch"] == 0
        trained = client.post(f"/api/sessions/{theirs}/train", json={"epochs": 1})
        assert trained.status_code == 200 and trained.json()["state"]["epoch"] == 1


def test_a_session_id_names_the_replica_its_trusted_balancer_calls_this_server(client_with):
    """deploy/haproxy.cfg routes on the name before the dot; only a trusted proxy names the replica."""
    with client_with(trusted_proxies="testclient") as client:
        named = client.post("/api/sessions", json={}, headers={"x-layerlab-replica": "r7"}).json()["id"]
        assert named.startswith("r7.") and client.get(f"/api/sessions/{named}").status_code == 200
        odd = client.post("/api/convnet/sessions", json={}, headers={"x-layerlab-replica": "r7.x/y"}).json()["id"]
        assert "." not in odd
    with client_with() as client:
        assert "." not in client.post("/api/sessions", json={}, headers={"x-layerlab-replica": "r7"}).json()["id"]


def test_the_rest_api_looks_back_and_rewinds(client, session_id):
    client.post(f"/api/sessions/{session_id}/train", json={"epochs": 8})
    past = client.get(f"/api/sessions/{session_id}/snapshot", params={"epoch": 3}).json()
    assert past["epoch"] == 3
    too_late = client.get(f"/api/sessions/{session_id}/snapshot", params={"epoch": 9})
    assert too_late.status_code == 422 and too_late.json()["detail"][0]["loc"] == ["query", "epoch"]
    refused = client.post(f"/api/sessions/{session_id}/rewind", json={"epoch": 9})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "epoch"]
    assert client.get(f"/api/sessions/{session_id}").json()["state"]["epoch"] == 8  # nothing changed
    rewound = client.post(f"/api/sessions/{session_id}/rewind", json={"epoch": 3}).json()
    assert rewound["state"]["epoch"] == 3
    assert client.get(f"/api/sessions/{session_id}/snapshot").json()["output"] == past["output"]


def test_an_import_whose_past_does_not_fit_is_refused_by_name(client, session_id):
    """A checkpoint that is not one, an epoch beyond reason, changes out of order: 422 naming it, nothing made."""
    client.post(f"/api/sessions/{session_id}/train", json={"epochs": 3})
    document = client.get(f"/api/sessions/{session_id}/export").json()
    timeline = document["timeline"]
    broken = {**timeline, "checkpoints": {**timeline["checkpoints"], "1": "bm90IHpsaWI="}}  # base64, not zlib
    wrong = [({"timeline": broken}, ["body", "timeline", "checkpoints", "1"]),
             ({"epoch": 10**400}, ["body", "epoch"]),
             ({"version": 1, "history": [[0, 1]], "timeline": None}, ["body", "history"])]
    sessions = len(client.app.state.registry)
    for change, where in wrong:
        reply = client.post("/api/sessions/import", json={**document, **change})
        assert reply.status_code == 422, (change, reply.text)
        assert reply.json()["detail"][0]["loc"][:len(where)] == where, reply.text
    assert len(client.app.state.registry) == sessions


def test_the_options_say_how_many_frames_a_history_keeps(client):
    """The page's charts keep as many as the server's history, from this one declaration."""
    from backend.engine.history import HISTORY_LIMIT

    assert client.get("/api/options").json()["limits"]["history"] == HISTORY_LIMIT
