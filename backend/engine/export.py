"""A run as a JSON document and back: everything needed to continue it exactly elsewhere (or later).

The document holds the config, the whole training state leaf by leaf (shape, dtype, values; non-finite
values as null), the projection axes and the loss history. Importing builds the run from its config and
checks every leaf against the one that config makes, naming what does not fit. The ConvNet lab's documents
(convnet/export.py) keep their state the same way: `leaf_of` and `tree_of`.
"""
from __future__ import annotations

import jax
import numpy as np

from .config import Config
from .history import COLUMNS, History
from .run import Run
from .timeline import Timeline


def leaf_of(array) -> dict:
    """One array as JSON: shape, dtype, values (non-finite ones as null)."""
    array = np.asarray(array)
    data = [v if np.isfinite(v) else None for v in array.ravel().tolist()] if array.dtype.kind == "f" else (
        array.ravel().tolist()
    )
    return {"shape": list(array.shape), "dtype": str(array.dtype), "data": data}


def _array(leaf: dict, like) -> np.ndarray:
    like = np.asarray(like)
    if list(like.shape) != list(leaf["shape"]) or str(like.dtype) != leaf["dtype"]:
        raise ValueError(f"expected {like.dtype}{list(like.shape)}, got {leaf['dtype']}{list(leaf['shape'])}")
    if len(leaf["data"]) != like.size:
        raise ValueError(f"expected {like.size} values, got {len(leaf['data'])}")
    if like.dtype.kind in "iu":  # counters and PRNG keys: whole numbers the dtype holds, never null
        low, high = np.iinfo(like.dtype).min, np.iinfo(like.dtype).max
        wrong = next((v for v in leaf["data"] if v is None or v != int(v) or not low <= v <= high), False)
        if wrong is not False:
            raise ValueError(f"{wrong} is not a {like.dtype} value")
        return np.asarray(leaf["data"], dtype=np.int64).astype(like.dtype).reshape(like.shape)
    values = [np.nan if v is None else v for v in leaf["data"]]
    return np.asarray(values, dtype=np.float64).astype(like.dtype).reshape(like.shape)


def tree_of(leaves: list[dict], template):
    """The pytree of `template`'s structure made of JSON `leaves` (leaf_of's), each checked against its
    template's shape and dtype; ValueError names the first that does not fit."""
    like, treedef = jax.tree.flatten(template)
    if len(leaves) != len(like):
        raise ValueError(f"state: expected {len(like)} arrays, got {len(leaves)}")
    arrays = []
    for i, (leaf, template_leaf) in enumerate(zip(leaves, like)):
        try:
            arrays.append(_array(leaf, template_leaf))
        except ValueError as error:
            raise ValueError(f"state.{i}: {error}") from None
    return jax.tree.unflatten(treedef, arrays)


FORMAT, VERSION = "layerlab-export", 2  # version 1 had a loss history only ([epoch, train, test]) and no timeline


def export_run(run: Run) -> dict:
    """Everything needed to continue the run exactly, and to look back at its past: config, full training
    state, history (history.History) and timeline (timeline.Timeline)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "config": run.config.model_dump(),
        "epoch": run.epoch,
        "status": "diverged" if run.status == "diverged" else "paused",
        "history": run.history.to_json(run.depth + 1),
        "timeline": run.timeline.to_json(),
        "state": [leaf_of(leaf) for leaf in jax.tree.leaves(jax.device_get(run.state))],
        "axes": leaf_of(run.axes),
    }


def _history_of(document: dict) -> History:
    if document["version"] == 1:  # [epoch, train loss, test loss] rows: the other columns unknown
        rows = document["history"]
        losses = {"train_loss": [r[1] for r in rows], "test_loss": [r[2] for r in rows]}
        return History.from_json({"epoch": [r[0] for r in rows],
                                  **{name: losses.get(name, [None] * len(rows)) for name in COLUMNS}})
    return History.from_json(document["history"])


def import_run(document: dict) -> Run:
    """A run continuing where `document` (from export_run, either version) left off; ValueError names what
    does not fit. A version 1 document's run can be looked back at from its last epoch only."""
    run = Run(Config.model_validate(document["config"]))
    run.state = tree_of(document["state"], jax.device_get(run.state))
    run.axes = jax.device_put(_array(document["axes"], run.axes))
    run.epoch = document["epoch"]
    run.status = document["status"] if document["status"] == "diverged" else "paused"
    run.history = _history_of(document)
    if document["version"] == 1:
        run.timeline = Timeline.begin(run.epoch, np.asarray(run.packed), run.config)
    else:
        run.timeline = Timeline.from_json(document["timeline"], state_size=np.asarray(run.packed).size)
        if max(run.timeline.checkpoints) > run.epoch:
            raise ValueError("timeline.checkpoints: one after the run's epoch")
    return run
