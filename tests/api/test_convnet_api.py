"""The ConvNet lab's REST API and stream through TestClient: real training, real frames decoded, the errors."""
from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from backend.engine.convnet.images import digits, prepare_drawing

from .test_stream import binary, frame, frame_where, text

DEFAULT_COUNTS = [80, 1168, 2080, 330]  # 3×3×1×8 + 8, 3×3×8×16 + 16, 64×32 + 32, 32×10 + 10


@pytest.fixture
def lab(client) -> dict:
    reply = client.post("/api/convnet/sessions", json={})
    assert reply.status_code == 201
    yield reply.json()
    client.delete(f"/api/convnet/sessions/{reply.json()['id']}")


def base(session: dict) -> str:
    return f"/api/convnet/sessions/{session['id']}"


def test_a_new_session_describes_its_layers_and_their_geometry(lab):
    assert [layer["parameters"] for layer in lab["layers"]] == DEFAULT_COUNTS
    assert [layer["kind"] for layer in lab["layers"]] == ["conv", "conv", "dense", "output"]
    assert lab["layers"][0]["side"] == 8 and lab["layers"][0]["pooled_side"] == 4
    assert lab["classes"] == [str(d) for d in range(10)]
    assert lab["state"]["step"] == 0 and lab["state"]["train_loss"] is None
    first, second = lab["receptive_fields"]
    assert np.asarray(first["maps"]).shape == (8, 8, 4) and np.asarray(first["pooled"]).shape == (4, 4, 4)
    assert first["maps"][0][0] == [0, 0, 2, 2]  # a 3 × 3 window at the corner: two pixels of it are padding
    # A unit of the last pooled maps: two maps units, widened by a 3 × 3 kernel, pooled, widened again.
    assert second["pooled"][0][0] == [0, 0, 7, 7] and second["pooled"][1][1] == [1, 1, 8, 8]


def test_options_name_every_choice_and_bound(client):
    options = client.get("/api/convnet/options").json()
    assert options["datasets"]["digits"] == {"side": 8, "classes": [str(d) for d in range(10)], "drawable": True}
    assert options["datasets"]["shapes"]["side"] == 16 and options["datasets"]["shapes"]["drawable"] is False
    assert 1 <= options["default_speed"] <= options["limits"]["max_steps_per_frame"]
    assert options["poolings"] == ["none", "max", "average"] and options["kernels"] == [3, 5]
    assert options["bounds"]["conv_layers"]["maxItems"] == 3
    assert options["bounds"]["conv_layer"]["filters"] == {"minimum": 1, "maximum": 16}
    assert options["defaults"]["conv_layers"][0] == {"filters": 8, "kernel": 3, "pooling": "max"}
    images = options["bounds"]["train_images"]
    assert options["defaults"]["train_images"] is None  # all of them
    assert all(images["minimum"] <= n <= images["maximum"] for n in options["train_image_choices"])


def test_training_moves_the_state_and_the_history(client, lab):
    state = client.post(f"{base(lab)}/train", json={"steps": 46}).json()
    assert state["step"] == 46 and state["epoch"] == pytest.approx(2.0)  # 1437 images in 23 batches of 64
    assert state["test_accuracy"] > 0.5
    snap = client.get(f"{base(lab)}/snapshot").json()
    assert [entry[0] for entry in snap["history"]] == [0, 46]
    assert np.asarray(snap["filters"][1]).shape == (3, 3, 8, 16)
    assert np.asarray(snap["maps"][0]).shape == (8, 8, 8) and np.asarray(snap["pooled"][1]).shape == (2, 2, 16)
    assert sum(map(sum, snap["confusion"])) == len(snap["guesses"]) == 360
    assert sum(snap["probabilities"]) == pytest.approx(1.0, abs=1e-5)


def test_a_test_image_or_a_drawing_can_be_followed_and_classified(client, lab):
    images = client.get(f"{base(lab)}/images").json()
    pixels = np.frombuffer(base64.b64decode(images["test_images"]), np.uint8).reshape(-1, 8, 8) / 255
    assert pixels.shape[0] == len(images["test_labels"]) == 360
    np.testing.assert_allclose(pixels, digits(0).test[0], atol=0.5 / 255 + 1e-6)

    snap = client.post(f"{base(lab)}/show", json={"test_index": 7}).json()
    np.testing.assert_allclose(snap["image"], digits(0).test[0][7], atol=1e-6)

    one = np.zeros((32, 32))
    one[4:20, 4:8] = 1.0  # a vertical stroke high on the left: prepared, it fills the height, centred
    prediction = client.post(f"{base(lab)}/predict", json={"drawing": one.tolist()}).json()
    prepared = np.asarray(prediction["images"][0])
    assert prepared.shape == (8, 8) and (prepared[:, 3:5] > 0).all() and not prepared[:, :2].any()
    assert sum(prediction["probabilities"][0]) == pytest.approx(1.0, abs=1e-5)
    followed = client.post(f"{base(lab)}/show", json={"drawing": one.tolist()}).json()
    np.testing.assert_allclose(followed["image"], prepared)
    assert followed["probabilities"] == pytest.approx(prediction["probabilities"][0], abs=1e-5)


@pytest.mark.parametrize("path, body, field", [
    ("show", {"test_index": 360}, ["body", "test_index"]),
    ("show", {"test_index": 1, "drawing": [[0.0] * 8] * 8}, ["body"]),
    ("show", {"image": [[0.0] * 7] * 7}, ["body", "image"]),
    ("show", {"drawing": [[0.0] * 24] * 24}, ["body", "drawing"]),
    ("show", {"image": [[2.0] * 8] * 8}, ["body", "image", 0, 0]),
    ("predict", {"images": [[[0.0] * 8] * 8, [[0.0] * 9] * 9]}, ["body", "images.1"]),
    ("train", {"steps": 0}, ["body", "steps"]),
])
def test_bad_input_gets_a_422_naming_the_field_and_changes_nothing(client, lab, path, body, field):
    before = client.get(f"{base(lab)}/snapshot").json()
    reply = client.post(f"{base(lab)}/{path}", json=body)
    assert reply.status_code == 422
    assert reply.json()["detail"][0]["loc"] == field
    after = client.get(f"{base(lab)}/snapshot").json()
    assert after["image"] == before["image"] and after["step"] == before["step"]


def test_a_bad_config_names_the_field(client, lab):
    reply = client.patch(base(lab), json={"conv_layers": [{"filters": 17}]})
    assert reply.status_code == 422 and reply.json()["detail"][0]["loc"] == ["body", "conv_layers", 0, "filters"]
    assert client.post("/api/convnet/sessions", json={"dense_layers": [65]}).status_code == 422


def test_a_drawing_is_for_the_digits_only(client):
    session = client.post("/api/convnet/sessions", json={"dataset": "shapes"}).json()
    reply = client.post(f"{base(session)}/predict", json={"drawing": [[0.0] * 32] * 32})
    assert reply.status_code == 422 and reply.json()["detail"][0]["loc"] == ["body", "drawing"]
    client.delete(base(session))


def test_one_labs_routes_never_see_the_others_sessions(client, lab, session_id):
    assert client.get(f"/api/sessions/{lab['id']}").status_code == 404
    assert client.get(f"/api/convnet/sessions/{session_id}").status_code == 404
    assert client.delete(f"/api/convnet/sessions/{session_id}").status_code == 404
    assert client.get(f"/api/sessions/{session_id}").status_code == 200  # still there


def test_settings_that_keep_the_network_keep_its_weights(client, lab):
    client.post(f"{base(lab)}/train", json={"steps": 5})
    reply = client.patch(base(lab), json={"learning_rate": 0.001, "optimizer": "momentum"}).json()
    assert reply["restarted"] is False and reply["state"]["step"] == 5
    reply = client.patch(base(lab), json={"conv_layers": [{"filters": 4, "kernel": 5, "pooling": "average"}]}).json()
    assert reply["restarted"] is True and reply["state"]["step"] == 0
    assert [layer["parameters"] for layer in reply["layers"]][0] == 5 * 5 * 4 + 4


def test_the_stream_sends_the_images_then_frames_and_takes_commands(client, lab):
    with client.websocket_connect(f"{base(lab)}/stream") as ws:
        (images_meta, images), (meta, arrays) = binary(ws), binary(ws)
        assert images_meta["kind"] == "images" and images_meta["classes"][3] == "3"
        assert images_meta["layers"] == lab["layers"] and images_meta["receptive_fields"] == lab["receptive_fields"]
        assert images_meta["steps_per_epoch"] == lab["steps_per_epoch"] == 23  # 1437 images in batches of 64
        assert images["test_images"].shape == (360, 8, 8) and images["test_labels"].dtype == np.uint8
        assert meta["kind"] == "frame" and meta["step"] == 0 and meta["train_loss"] is None
        assert meta["data_version"] == images_meta["data_version"] and meta["test_index"] == 0
        assert arrays["filters.0"].shape == (3, 3, 1, 8) and arrays["filters.1"].shape == (3, 3, 8, 16)
        assert arrays["maps.1"].shape == (4, 4, 16) and arrays["pooled.1"].shape == (2, 2, 16)
        assert arrays["dense.0"].shape == (32,) and arrays["probabilities"].shape == (10,)
        assert arrays["guesses"].shape == (360,) and arrays["confusion"].sum() == 360

        ws.send_text(json.dumps({"type": "step"}))
        meta, stepped = frame(ws)
        assert meta["step"] == 1 and meta["train_loss"] is not None
        assert not np.array_equal(stepped["filters.0"], arrays["filters.0"])

        ws.send_text(json.dumps({"type": "speed", "epochs_per_frame": 3}))
        assert "steps_per_frame" in text(ws)["error"]
        ws.send_text(json.dumps({"type": "speed", "steps_per_frame": 10}))
        ws.send_text(json.dumps({"type": "play"}))
        meta, _ = frame(ws)
        while meta["step"] < 21:
            meta, _ = frame(ws)
        assert (meta["step"] - 1) % 10 == 0
        ws.send_text(json.dumps({"type": "pause"}))

        ws.send_text(json.dumps({"type": "config", "config": {"conv_layers": [{"filters": 99}]}}))
        assert "filters" in text(ws)["error"]
        ws.send_text(json.dumps({"type": "config", "config": {"dataset": "shapes"}}))
        reply = text(ws)
        while reply.get("type") != "config":
            reply = text(ws)
        assert reply["restarted"] is True
        meta, shapes = binary(ws)
        while meta["kind"] != "images":
            meta, shapes = binary(ws)
        assert shapes["test_images"].shape == (400, 16, 16)
        assert [layer["side"] for layer in meta["layers"] if layer["kind"] == "conv"] == [16, 8]
        meta, arrays = frame(ws)
        assert arrays["image"].shape == (16, 16) and arrays["probabilities"].shape == (5,)


def test_the_stream_follows_a_shown_image_through_rebuilds(client, lab):
    one = np.zeros((32, 32))
    one[4:28, 12:16] = 1.0
    with client.websocket_connect(f"{base(lab)}/stream") as ws:
        binary(ws), binary(ws)
        ws.send_text(json.dumps({"type": "show", "test_index": 9}))
        meta, arrays = frame(ws)
        version = meta["data_version"]
        assert meta["test_index"] == 9
        np.testing.assert_allclose(arrays["image"], digits(0).test[0][9], atol=1e-6)

        ws.send_text(json.dumps({"type": "config", "config": {"dense_layers": [16]}}))
        meta, arrays = frame_where(ws, lambda meta: meta["data_version"] == version + 1)
        assert arrays["dense.0"].shape == (16,)
        assert meta["test_index"] == 9 and meta["step"] == 0  # a new network, the same image

        ws.send_text(json.dumps({"type": "show", "drawing": one.tolist()}))
        meta, drawn = frame(ws)
        assert meta["test_index"] is None
        np.testing.assert_array_equal(drawn["image"], prepare_drawing(one))
        ws.send_text(json.dumps({"type": "config", "config": {"seed": 3}}))
        meta, arrays = frame_where(ws, lambda meta: meta["data_version"] == version + 2)
        np.testing.assert_array_equal(arrays["image"], drawn["image"])  # the drawing stays: same side

        for bad, words in [({"test_index": 360}, "test_index: the test set has 360"),
                           ({"drawing": [[0.0] * 24] * 24}, "drawing: a drawing is a square"),
                           ({}, "exactly one"), ({"test_index": -1}, "test_index: Input should be greater")]:
            ws.send_text(json.dumps({"type": "show", **bad}))
            assert words in text(ws)["error"]
        ws.send_text(json.dumps({"type": "config", "config": {"dataset": "shapes"}}))
        meta, arrays = frame_where(ws, lambda meta: meta["data_version"] == version + 3)
        assert arrays["image"].shape == (16, 16) and meta["test_index"] == 0  # a drawing cannot follow into 16 × 16 images


def test_the_playgrounds_stream_follows_no_image(client, session_id):
    with client.websocket_connect(f"/api/sessions/{session_id}/stream") as ws:
        binary(ws), binary(ws)
        ws.send_text(json.dumps({"type": "show", "test_index": 0}))
        assert "follow no image" in text(ws)["error"]


def test_the_translation_curve_measures_accuracy_on_shifted_test_images(client, lab):
    client.post(f"{base(lab)}/train", json={"steps": 92})
    curve = client.get(f"{base(lab)}/translation").json()
    assert curve["shifts"] == [0, 1, 2, 3]
    state = client.get(base(lab)).json()["state"]
    assert curve["accuracy"][0] == pytest.approx(state["test_accuracy"], abs=1e-6)
    assert curve["accuracy"][3] < curve["accuracy"][0]  # three of eight columns gone: a digit is hard to read
    assert client.get("/api/convnet/sessions/nope/translation").status_code == 404


def test_the_layer_view_probes_and_projects_every_stage(client, lab):
    untrained = client.get(f"{base(lab)}/layer-view").json()["stages"]
    client.post(f"{base(lab)}/train", json={"steps": 92})
    trained = client.get(f"{base(lab)}/layer-view").json()["stages"]
    assert [stage["name"] for stage in trained] == ["pixels", "conv 1", "conv 2", "dense 1"]
    assert [stage["units"] for stage in trained] == [64, 4 * 4 * 8, 2 * 2 * 16, 32]
    n_test = len(digits(0).test[1])
    for stage in trained:
        projection = np.asarray(stage["projection"])
        assert projection.shape == (n_test, 2)
        assert np.max(np.abs(projection)) == pytest.approx(1.0)
    assert trained[0] == untrained[0]  # the pixels are what they are
    # Training makes the last hidden layer's representation of the digits linearly separable.
    assert untrained[-1]["probe_accuracy"] < trained[-1]["probe_accuracy"]
    assert trained[-1]["probe_accuracy"] > 0.9
    assert client.get("/api/convnet/sessions/nope/layer-view").status_code == 404


def test_an_exported_run_continues_bit_for_bit_after_import(client, lab):
    client.post(f"{base(lab)}/train", json={"steps": 10})
    document = client.get(f"{base(lab)}/export").json()
    assert document["format"] == "layerlab-convnet-export" and document["step"] == 10
    reply = client.post("/api/convnet/sessions/import", json=document)
    assert reply.status_code == 201, reply.text
    copy = reply.json()
    assert copy["state"]["step"] == 10 and copy["config"] == lab["config"]
    try:
        for session in (lab, copy):  # across an epoch's end: the next epoch's order comes with the state
            assert client.post(f"{base(session)}/train", json={"steps": 30}).json()["step"] == 40
        original, continued = (client.get(f"{base(s)}/export").json() for s in (lab, copy))
        assert continued["state"] == original["state"]
        assert continued["history"] == original["history"]
    finally:
        client.delete(base(copy))


def test_an_import_that_does_not_fit_its_config_is_refused(client, lab):
    document = client.get(f"{base(lab)}/export").json()
    sessions = len(client.app.state.registry)
    wider = {**document, "config": {**document["config"], "dense_layers": [33]}}
    reply = client.post("/api/convnet/sessions/import", json=wider)
    assert reply.status_code == 422
    detail = reply.json()["detail"][0]
    assert detail["loc"] == ["body", "state"] and "expected" in detail["msg"]
    wrong_format = client.post("/api/convnet/sessions/import", json={**document, "format": "layerlab-export"})
    assert wrong_format.status_code == 422
    assert len(client.app.state.registry) == sessions  # nothing was made


def test_a_session_names_the_mlp_of_as_many_parameters(client, lab):
    """What the page's translation comparison trains: one hidden layer, about as many parameters."""
    (units,) = lab["mlp_dense_layers"]
    mlp = client.post("/api/convnet/sessions", json={"conv_layers": [], "dense_layers": [units]}).json()
    try:
        ours, theirs = (sum(layer["parameters"] for layer in s["layers"]) for s in (lab, mlp))
        assert abs(theirs - ours) <= 64 + 1 + 10  # within one unit's worth of parameters
    finally:
        client.delete(base(mlp))
