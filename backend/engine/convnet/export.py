"""A ConvNet lab run as a JSON document and back, to continue it exactly: the config, the step, the whole
training state (weights, optimiser state, the key that orders each epoch) leaf by leaf as the playground's
documents keep theirs (engine/export.py), and the history."""
from __future__ import annotations

import jax
import numpy as np

from ..export import leaf_of, tree_of
from . import program
from .config import ConvConfig
from .run import ConvRun

FORMAT = "layerlab-convnet-export"  # what a document says it is
VERSION = 1  # of its layout


def export_run(run: ConvRun) -> dict:
    """Everything needed to continue the run exactly."""
    state = program.state_layout(run.shape).unpack_host(np.asarray(run.packed))
    return {
        "format": FORMAT,
        "version": VERSION,
        "config": run.config.model_dump(),
        "step": run.step,
        "status": "diverged" if run.status == "diverged" else "paused",
        "history": [list(h) for h in run.history],
        "state": [leaf_of(leaf) for leaf in jax.tree.leaves(state)],
    }


def import_run(document: dict) -> ConvRun:
    """A run continuing where `document` (from export_run) left off; ValueError names what does not fit."""
    run = ConvRun(ConvConfig.model_validate(document["config"]))
    layout = program.state_layout(run.shape)
    state = tree_of(document["state"], layout.unpack_host(np.asarray(run.packed)))
    run.packed = jax.device_put(layout.pack_host(state))
    run.step = document["step"]
    run.status = document["status"] if document["status"] == "diverged" else "paused"
    run.history = [tuple(h) for h in document["history"]]
    return run
