"""Property tests on the validators: no input, however odd, gets a 500 or changes a session wrongly."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.engine.config import Config

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
field_names = st.sampled_from(sorted(Config.model_fields)) | st.text(max_size=12)
patches = st.dictionaries(field_names, json_values, max_size=4)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(patch=patches)
def test_patch_never_fails_with_500(client, session_id, patch):
    before = client.get(f"/api/sessions/{session_id}").json()
    reply = client.patch(f"/api/sessions/{session_id}", content=json.dumps(patch),
                         headers={"content-type": "application/json"})
    assert reply.status_code in (200, 422), reply.text[:300]
    if reply.status_code == 422:
        assert client.get(f"/api/sessions/{session_id}").json() == before
    else:
        Config.model_validate(reply.json()["config"])  # whatever was accepted is a valid config


@FUZZ
@given(body=json_values)
def test_any_body_to_any_endpoint_is_answered_without_500(client, session_id, body):
    raw = json.dumps(body)
    for path in ["/api/sessions", f"/api/sessions/{session_id}/train", f"/api/sessions/{session_id}/predict",
                 f"/api/sessions/{session_id}/reset", "/api/sessions/import"]:
        reply = client.post(path, content=raw, headers={"content-type": "application/json"})
        assert reply.status_code < 500, (path, reply.text[:300])
        if reply.status_code == 201:
            client.delete(f"/api/sessions/{reply.json()['id']}")


@FUZZ
@given(message=json_values | st.text(max_size=40))
def test_any_stream_message_gets_an_answer_and_keeps_the_stream(client, session_id, message):
    with client.websocket_connect(f"/api/sessions/{session_id}/stream") as ws:
        ws.receive()
        ws.send_text(message if isinstance(message, str) else json.dumps(message))
        ws.send_text(json.dumps({"type": "pause"}))
        ws.send_text(json.dumps({"type": "speed", "epochs_per_frame": 1}))
        ws.send_text(json.dumps({"type": "view", "layer": 0}))
        while ws.receive().get("bytes") is None:  # the view message always answers with a frame
            pass
