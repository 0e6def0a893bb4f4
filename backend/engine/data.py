"""Datasets on the [-6, 6]² plane, generated from a seed, and the train/test split.

The generators follow the TensorFlow Playground's dataset.ts so that a person
who knows that playground sees the same problems with the same noise meaning.
Everything here is numpy on the host: data changes only when a setting does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

EXTENT = 6.0  # the plane spans [-EXTENT, EXTENT] on both axes
MAX_SAMPLES = 2000  # points in a dataset at most
SLOTS = (512, MAX_SAMPLES)  # a dataset is padded to the smallest of these that holds it, so a small one never pays for the largest


def slots_for(n: int) -> int:
    """How many slots a dataset of n points is padded to."""
    return next(slots for slots in SLOTS if n <= slots)


@dataclass(frozen=True)
class Dataset:
    """Points with labels and a train/test split, padded to slots_for(n) slots."""

    x: np.ndarray  # (slots, 2) float32 coordinates
    y: np.ndarray  # (slots,) float32 labels: ±1 for classification, [-1, 1] for regression
    train: np.ndarray  # (slots,) bool, real training points
    test: np.ndarray  # (slots,) bool, real test points

    @property
    def n_train(self) -> int:
        return int(self.train.sum())


def circle(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """An inner disc of +1 inside a ring of -1; the label follows the noisy position."""
    radius = 5.0
    half = n // 2
    r = np.concatenate([rng.uniform(0, radius * 0.5, half), rng.uniform(radius * 0.7, radius, n - half)])
    angle = rng.uniform(0, 2 * np.pi, n)
    x = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    jitter = rng.uniform(-radius, radius, (n, 2)) * noise
    y = np.where(np.linalg.norm(x + jitter, axis=1) < radius * 0.5, 1.0, -1.0)
    return x, y


def xor(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Four quadrants, labelled by the sign of x1·x2."""
    padding = 0.3
    x = rng.uniform(-5, 5, (n, 2))
    x += np.where(x > 0, padding, -padding)
    jitter = rng.uniform(-5, 5, (n, 2)) * noise
    noisy = x + jitter
    y = np.where(noisy[:, 0] * noisy[:, 1] >= 0, 1.0, -1.0)
    return x, y


def gauss(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs at (2, 2) and (-2, -2); noise widens them."""
    spread = 0.5 + 3.5 * (noise / 0.5)  # the Playground maps noise [0, .5] to [0.5, 4]
    half = n // 2
    centres = np.concatenate([np.full((half, 2), 2.0), np.full((n - half, 2), -2.0)])
    x = centres + rng.normal(0, 1, (n, 2)) * spread
    y = np.concatenate([np.ones(half), -np.ones(n - half)])
    return x, y


def spiral(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spiral arms."""
    half = n // 2
    parts, labels = [], []
    for count, delta, label in ((half, 0.0, 1.0), (n - half, np.pi, -1.0)):
        i = np.arange(count) / count
        r = i * 5
        t = 1.75 * i * 2 * np.pi + delta
        arm = np.stack([r * np.sin(t), r * np.cos(t)], axis=1) + rng.uniform(-1, 1, (count, 2)) * noise
        parts.append(arm)
        labels.append(np.full(count, label))
    return np.concatenate(parts), np.concatenate(labels)


def plane(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Regression: the label rises linearly along x1 + x2."""
    x = rng.uniform(-EXTENT, EXTENT, (n, 2))
    noisy = x + rng.uniform(-EXTENT, EXTENT, (n, 2)) * noise
    y = np.clip(noisy.sum(axis=1) / 10.0, -1.0, 1.0)
    return x, y


_GAUSSIANS = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))


def multigauss(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Regression: six bumps of alternating sign; each point takes the strongest."""
    x = rng.uniform(-EXTENT, EXTENT, (n, 2))
    noisy = x + rng.uniform(-EXTENT, EXTENT, (n, 2)) * noise
    y = np.zeros(n)
    for cx, cy, sign in _GAUSSIANS:
        dist = np.hypot(noisy[:, 0] - cx, noisy[:, 1] - cy)
        value = sign * np.clip(1.0 - dist / 2.0, 0.0, 1.0)
        y = np.where(np.abs(value) > np.abs(y), value, y)
    return x, y


Generator = Callable[[np.random.Generator, int, float], tuple[np.ndarray, np.ndarray]]

# The ordered registry of datasets: name -> (generator, is_regression).
DATASETS: dict[str, tuple[Generator | None, bool]] = {
    "circle": (circle, False),
    "xor": (xor, False),
    "gauss": (gauss, False),
    "spiral": (spiral, False),
    "plane": (plane, True),
    "multigauss": (multigauss, True),
    "custom": (None, False),
}


def is_regression(dataset: str) -> bool:
    return DATASETS[dataset][1]


def training_points(n: int, train_fraction: float) -> int:
    """How many of n points a split at train_fraction trains on: at least one, and one left for testing."""
    return min(max(int(round(n * train_fraction)), 1), n - 1) if n > 1 else n


def make_dataset(
    dataset: str,
    *,
    seed: int,
    num_samples: int,
    noise: float,
    train_fraction: float,
    custom_points: list[tuple[float, float, float]] | None = None,
) -> Dataset:
    """Generate a dataset (noise in percent, 0-50) and split it, shuffled, into train and test."""
    rng = np.random.default_rng(seed)
    generator = DATASETS[dataset][0]
    if generator is None:
        points = np.asarray(custom_points or [], dtype=np.float64).reshape(-1, 3)
        x, y = points[:, :2], points[:, 2]
    else:
        x, y = generator(rng, num_samples, noise / 100.0)
    n = len(x)
    order = rng.permutation(n)
    x, y = x[order], y[order]
    n_train = training_points(n, train_fraction)
    slots = slots_for(n)
    padded_x = np.zeros((slots, 2), np.float32)
    padded_y = np.zeros(slots, np.float32)
    padded_x[:n], padded_y[:n] = x, y
    index = np.arange(slots)
    return Dataset(padded_x, padded_y, index < n_train, (index >= n_train) & (index < n))
