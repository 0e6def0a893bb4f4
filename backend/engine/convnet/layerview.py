"""The layer view of a ConvNet: how each stage an image passes re-represents the images, measured.

For the pixels and for every layer's output (each convolutional layer's maps after its pooling, each dense
layer's activations): a linear probe, the test accuracy of a ridge-regularised linear classifier fitted to
the training images' representation (how linearly separable the classes are there), and a 2-D projection of
the test images (their first two principal components, fitted on the training images). Computed on request
on the host with scikit-learn, not in every frame: a probe over a thousand units costs tens of milliseconds.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .run import ConvRun

PROBE_ALPHA = 1.0  # the probe's ridge strength (scikit-learn's alpha, on the summed squared error)
PCA_SEED = 0  # scikit-learn's randomised solver (over 500 images) then gives one view per network


class Stage(NamedTuple):
    name: str  # "pixels", "conv 1", …, "dense 1", …
    units: int
    probe_accuracy: float  # on the test images; NaN where the network's values are beyond measuring
    projection: np.ndarray  # (n_test, 2) the test images, scaled into [-1, 1]


class Representations(NamedTuple):
    """The images as every stage sees them, input side first: the pixels, then every hidden layer's output."""

    names: list[str]  # "pixels", "conv 1", …, "dense 1", …
    train: list[np.ndarray]  # per stage (n_train, units)
    test: list[np.ndarray]  # per stage (n_test, units)
    train_labels: np.ndarray
    test_labels: np.ndarray


def representations(run: ConvRun) -> Representations:
    """Every stage's view of the run's images at its current weights (the compiled program's part: fast)."""
    (train_images, train_labels), (test_images, test_labels) = run.images.train, run.images.test
    flat = lambda images: images.reshape(len(images), -1)
    conv = [f"conv {i + 1}" for i in range(len(run.shape.conv))]
    dense = [f"dense {i + 1}" for i in range(len(run.shape.dense))]
    return Representations(["pixels", *conv, *dense],
                           [flat(train_images), *run.represent(train_images)[:-1]],
                           [flat(test_images), *run.represent(test_images)[:-1]], train_labels, test_labels)


def layer_view(seen: Representations) -> list[Stage]:
    """Every stage's probe and projection (scikit-learn's part: tens of milliseconds a stage; needs no run)."""
    return [_stage(name, train, test, seen.train_labels, seen.test_labels)
            for name, train, test in zip(seen.names, seen.train, seen.test)]


def _stage(name: str, train: np.ndarray, test: np.ndarray, train_labels: np.ndarray,
           test_labels: np.ndarray) -> Stage:
    from numpy.linalg import LinAlgError
    from sklearn.decomposition import PCA  # where first used, as images.py imports scikit-learn
    from sklearn.linear_model import RidgeClassifier

    # float64: a network driven far off (a learning rate of 10) can hold finite float32 activations whose
    # squares overflow float32 inside the fits.
    train, test = train.astype(np.float64), test.astype(np.float64)
    unmeasured = Stage(name, train.shape[1], float("nan"), np.zeros((len(test), 2), np.float32))
    if not (np.all(np.isfinite(train)) and np.all(np.isfinite(test))):  # a diverged network
        return unmeasured
    try:
        probe = RidgeClassifier(alpha=PROBE_ALPHA).fit(train, train_labels)
        projection = PCA(n_components=2, random_state=PCA_SEED).fit(train).transform(test)
        accuracy = float(probe.score(test, test_labels))
    except (ValueError, LinAlgError):  # values beyond what even float64 fits hold
        return unmeasured
    scale = np.max(np.abs(projection))
    if not np.isfinite(scale):
        return unmeasured
    return Stage(name, train.shape[1], accuracy, (projection / scale if scale > 0 else projection).astype(np.float32))
