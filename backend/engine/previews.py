"""Small maps over the plane that the page shows before any network: one per input feature, one per dataset.

The page draws them from GET /api/options instead of keeping copies of the formulas and generators, so a
new feature or dataset is a change in features.py or data.py alone. Each map is cells × cells values in
[-1, 1], row 0 at the top (x2 = +EXTENT), as the output grid is laid out.
"""
from __future__ import annotations

import functools

import numpy as np

from .data import DATASETS, make_dataset
from .features import FEATURES
from .pictures import THUMBNAIL, lattice

CELLS = THUMBNAIL  # a preview is as fine as a neuron's thumbnail, so a hovered feature looks like a hovered neuron
SAMPLE = 1000  # noise-free points generated for a dataset's preview
NEIGHBOURS = 8  # a dataset's cell shows the mean label of the sample points nearest its centre
SEED = 0  # the previews' data, the same on every start


def _centres() -> tuple[np.ndarray, np.ndarray]:
    """x1 per column and x2 per row of the preview lattice (the pictures')."""
    x1, x2 = lattice(CELLS)
    return np.asarray(x1, np.float64), np.asarray(x2, np.float64)


def feature_map(name: str) -> np.ndarray:
    """The feature's values over the plane, divided by their largest magnitude."""
    x1, x2 = _centres()
    values = np.broadcast_to(np.asarray(FEATURES[name].value(x1[None, :], x2[:, None], np), np.float64), (CELLS, CELLS))
    return values / max(np.abs(values).max(), np.finfo(np.float32).tiny)


def dataset_map(name: str) -> np.ndarray | None:
    """What the dataset's labels look like over the plane: at each cell, the mean label of the nearest points
    of a noise-free sample drawn by the dataset's own generator. None for a dataset without one (custom)."""
    if DATASETS[name][0] is None:
        return None
    data = make_dataset(name, seed=SEED, num_samples=SAMPLE, noise=0.0, train_fraction=0.5)
    real = data.train | data.test
    points, labels = data.x[real].astype(np.float64), data.y[real].astype(np.float64)
    x1, x2 = _centres()
    cells = np.stack(np.broadcast_arrays(x1[None, :], x2[:, None]), axis=-1).reshape(-1, 2)
    distance = np.linalg.norm(cells[:, None, :] - points[None, :, :], axis=-1)
    nearest = np.argpartition(distance, NEIGHBOURS, axis=1)[:, :NEIGHBOURS]
    return labels[nearest].mean(axis=1).reshape(CELLS, CELLS)


@functools.cache
def feature_maps() -> dict[str, np.ndarray]:
    """Every feature's map, in registry order (computed once)."""
    return {name: feature_map(name) for name in FEATURES}


@functools.cache
def dataset_maps() -> dict[str, np.ndarray | None]:
    """Every dataset's map, in registry order (computed once)."""
    return {name: dataset_map(name) for name in DATASETS}
