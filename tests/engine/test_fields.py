"""The frame's one declaration covers everything the engine computes, and every form derives from it."""
from __future__ import annotations

from functools import partial

import jax
import numpy as np
import pytest

from backend.api import schemas
from backend.engine import program
from backend.engine.data import SLOTS
from backend.engine.config import Config
from backend.engine.fields import ARRAYS, FIELDS, META, SCALAR
from backend.engine.frame import Frame, empty_axes, make_frame
from backend.engine.pictures import PICTURE_WIDTHS, Pictures, pictures
from backend.engine.run import Run


def test_every_array_a_frame_computes_is_declared_and_every_declared_field_is_computed():
    assert {field.reads for field in FIELDS} == set(Frame._fields) | set(Pictures._fields)
    assert len({field.name for field in FIELDS}) == len(FIELDS)
    assert all(field.kind.arrays in ARRAYS for field in FIELDS)
    # Read as JSON-ready values (run.Snapshot): single numbers, and what is null for a regression.
    assert all(field.wire == META for field in FIELDS if field.kind is SCALAR or field.classification)


def test_the_snapshot_reply_has_each_field_and_the_snapshot_each_value():
    assert {field.name for field in FIELDS} <= set(schemas.Snapshot.model_json_schema()["properties"])
    run = Run(Config(hidden_layers=[3, 2], dataset="gauss", num_samples=60))
    snap = run.train(1)
    for field in FIELDS:
        value = getattr(snap, field.name)
        if field.wire == META:  # JSON-ready: a number, None, or a list of them
            assert value is None or isinstance(value, (float, list))
        elif isinstance(value, list):  # one array per layer, as deep as the network
            assert len(value) in (2, 3) and all(isinstance(v, np.ndarray) for v in value)
        else:
            assert isinstance(value, np.ndarray) and np.all(np.isfinite(value))


@pytest.mark.parametrize("slots", SLOTS)
def test_the_declared_frame_shapes_are_the_ones_make_frame_computes(slots):
    state, (arch, hyper) = program._STATE_TEMPLATE, program._CONFIG_TEMPLATE
    data = program._data_template(slots)
    computed = jax.eval_shape(make_frame, state, arch, hyper, data, empty_axes())[0]
    assert jax.tree.structure(computed) == program.frame_layout(slots).treedef
    assert [(tuple(leaf.shape), leaf.dtype) for leaf in jax.tree.leaves(computed)] == [
        (shape, dtype) for shape, dtype in zip(program.frame_layout(slots).shapes, program.frame_layout(slots).dtypes)
    ]


@pytest.mark.parametrize("width", PICTURE_WIDTHS)
def test_the_declared_picture_shapes_are_the_ones_pictures_computes(width):
    computed = jax.eval_shape(partial(pictures, width=width), program._STATE_TEMPLATE.params, program._CONFIG_TEMPLATE[0])
    layout = program.pictures_layout(width)
    assert jax.tree.structure(computed) == layout.treedef
    assert [(tuple(leaf.shape), leaf.dtype) for leaf in jax.tree.leaves(computed)] == list(zip(layout.shapes, layout.dtypes))
