"""The frame's one declaration covers everything the engine computes, and every form derives from it."""
from __future__ import annotations

import numpy as np

from backend.api import schemas
from backend.engine.config import Config
from backend.engine.fields import ARRAYS, FIELDS, META
from backend.engine.frame import Frame
from backend.engine.pictures import Pictures
from backend.engine.run import Run


def test_every_array_a_frame_computes_is_declared_and_every_declared_field_is_computed():
    assert {field.reads for field in FIELDS} == set(Frame._fields) | set(Pictures._fields)
    assert len({field.name for field in FIELDS}) == len(FIELDS)
    assert all(field.kind.arrays in ARRAYS for field in FIELDS)


def test_the_snapshot_reply_has_each_field_and_the_snapshot_each_value():
    assert {field.name for field in FIELDS} <= set(schemas.Snapshot.model_json_schema()["properties"])
    run = Run(Config(hidden_layers=[3, 2], dataset="gauss", num_samples=60))
    snap = run.advance(1)
    for field in FIELDS:
        value = getattr(snap, field.name)
        if field.wire == META:  # JSON-ready: a number, None, or a list of them
            assert value is None or isinstance(value, (float, list))
        elif isinstance(value, list):  # one array per layer, as deep as the network
            assert len(value) in (2, 3) and all(isinstance(v, np.ndarray) for v in value)
        else:
            assert isinstance(value, np.ndarray) and np.all(np.isfinite(value))
