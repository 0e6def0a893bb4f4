"""The input-feature registry: what the first layer sees of a point (x1, x2), and how people write it."""
from __future__ import annotations

from typing import Callable, NamedTuple

import jax.numpy as jnp
import numpy as np


class Feature(NamedTuple):
    label: str  # as the page writes it
    value: Callable  # of the coordinates x1, x2 (arrays that broadcast together) and their array module:
    # jax.numpy in a program, numpy on the host (engine/previews.py), where jax would compile each operation


# Ordered registry: name -> feature. The order is the input column order.
FEATURES = {
    "x1": Feature("x₁", lambda x1, x2, xp: x1),
    "x2": Feature("x₂", lambda x1, x2, xp: x2),
    "x1_squared": Feature("x₁²", lambda x1, x2, xp: x1 * x1),
    "x2_squared": Feature("x₂²", lambda x1, x2, xp: x2 * x2),
    "x1_x2": Feature("x₁x₂", lambda x1, x2, xp: x1 * x2),
    "sin_x1": Feature("sin(x₁)", lambda x1, x2, xp: xp.sin(x1)),
    "sin_x2": Feature("sin(x₂)", lambda x1, x2, xp: xp.sin(x2)),
}
NUM_FEATURES = len(FEATURES)


def feature_mask(names) -> np.ndarray:
    """A float mask over the registry's columns, 1 for each chosen feature (numpy: see network.make_arch)."""
    return np.asarray([1.0 if name in names else 0.0 for name in FEATURES], np.float32)


def array_module(x):
    """numpy for a host array, jax.numpy otherwise (inside a program): code written for both runs on the host
    without compiling anything when its inputs are numpy."""
    return np if isinstance(x, np.ndarray) else jnp


def compute_features(points: jnp.ndarray, mask: jnp.ndarray, width: int) -> jnp.ndarray:
    """Every feature of each (x1, x2) point, unchosen ones zeroed, padded with zeros to `width` columns."""
    xp = array_module(points)
    x1, x2 = points[..., 0], points[..., 1]
    columns = xp.stack([f.value(x1, x2, xp) for f in FEATURES.values()], axis=-1) * mask
    pad = [(0, 0)] * (columns.ndim - 1) + [(0, width - NUM_FEATURES)]
    return xp.pad(columns, pad)
