"""The lab's image datasets, never downloaded: scikit-learn's handwritten digits and generated shapes,
each with a fixed, seeded, stratified train/test split; and a person's drawing prepared the way the
digits were.

Pixels are float32 in [0, 1] (a digit's 0–16 grey levels divided by 16), images (n, side, side).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Callable

import numpy as np

# scikit-learn is imported where first used: importing it takes about a second on two cores, which the
# server's start need not wait for (bench/startup.py).

TEST_FRACTION = 0.2  # of each dataset, stratified by class
SPLIT_SEED = 0  # the split is fixed: the same test images for every run and every person
DIGIT_LEVELS = 16  # a digit's pixel counts the inked pixels of a 4 × 4 block of its 32 × 32 scan: 0–16
SHAPES_SIDE = 16  # pixels a side of a generated shape image
SHAPES_COUNT = 2000  # generated images per shapes dataset
SHAPES_NOISE = 0.15  # standard deviation of the pixel noise added to a shape
SHAPE_SEEDS_KEPT = 8  # seeds whose shapes stay made (2 MB each): an experiment over seeds must not keep them all
DRAWING_SIDE = 8  # a drawing is prepared as the digits were: 8 × 8
DIRECTIONS = ((0, 1), (0, -1), (1, 0), (-1, 0))  # (rows, columns) of a shift right, left, down, up


@dataclass(frozen=True)
class ImageSet:
    """Images with labels and a train/test split: the training images first."""

    images: np.ndarray  # (n, side, side) float32 in [0, 1]
    labels: np.ndarray  # (n,) int32 class index
    n_train: int  # images[:n_train] are for training, the rest for testing
    classes: tuple[str, ...]  # a name per class index

    @property
    def side(self) -> int:
        return self.images.shape[1]

    @property
    def train(self) -> tuple[np.ndarray, np.ndarray]:
        return self.images[: self.n_train], self.labels[: self.n_train]

    @property
    def test(self) -> tuple[np.ndarray, np.ndarray]:
        return self.images[self.n_train :], self.labels[self.n_train :]


def _split(images: np.ndarray, labels: np.ndarray, classes: tuple[str, ...]) -> ImageSet:
    """The fixed stratified split, training images first."""
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(
        np.arange(len(labels)), test_size=TEST_FRACTION, random_state=SPLIT_SEED, stratify=labels
    )
    order = np.concatenate([train, test])
    images, labels = images[order].astype(np.float32), labels[order].astype(np.int32)
    images.flags.writeable = labels.flags.writeable = False  # one copy serves every run: nobody may change it
    return ImageSet(images, labels, len(train), classes)


def digits(seed: int) -> ImageSet:
    """The 1,797 handwritten digits (8 × 8, 16 grey levels) that scikit-learn ships: real data, the same
    for every seed."""
    return _digits()


@cache
def _digits() -> ImageSet:
    from sklearn.datasets import load_digits

    data = load_digits()
    return _split(data.images / DIGIT_LEVELS, data.target, tuple(str(d) for d in range(10)))


def _horizontal(canvas, top, left, size, thickness):
    canvas[top + size // 2 : top + size // 2 + thickness, left : left + size] = 1.0


def _vertical(canvas, top, left, size, thickness):
    canvas[top : top + size, left + size // 2 : left + size // 2 + thickness] = 1.0


def _cross(canvas, top, left, size, thickness):
    _horizontal(canvas, top, left, size, thickness)
    _vertical(canvas, top, left, size, thickness)


def _box(canvas, top, left, size, thickness):
    canvas[top : top + size, left : left + size] = 1.0
    canvas[top + thickness : top + size - thickness, left + thickness : left + size - thickness] = 0.0


def _diagonal(canvas, top, left, size, thickness):
    for i in range(size):
        canvas[top + i, left + i : min(left + i + thickness, left + size)] = 1.0


# Ordered registry: class name -> painter(canvas, top, left, size, thickness) of a figure in a size × size square.
SHAPES: dict[str, Callable] = {
    "horizontal bar": _horizontal,
    "vertical bar": _vertical,
    "cross": _cross,
    "box": _box,
    "diagonal": _diagonal,
}
SHAPE_SIZES = (5, 12)  # a figure's square is 5 to 12 pixels a side, anywhere in the image


def shapes(seed: int) -> ImageSet:
    """Generated figures at random positions and sizes, with noise: where a figure sits says nothing of its class."""
    return _shapes(seed)


@lru_cache(maxsize=SHAPE_SEEDS_KEPT)
def _shapes(seed: int) -> ImageSet:
    rng = np.random.default_rng(seed)
    labels = np.arange(SHAPES_COUNT) % len(SHAPES)  # balanced classes
    images = np.zeros((SHAPES_COUNT, SHAPES_SIDE, SHAPES_SIDE), np.float32)
    painters = list(SHAPES.values())
    for image, label in zip(images, labels):
        size = int(rng.integers(SHAPE_SIZES[0], SHAPE_SIZES[1] + 1))
        top, left = rng.integers(0, SHAPES_SIDE - size + 1, size=2)
        painters[label](image, int(top), int(left), size, int(rng.integers(1, 3)))
    images = np.clip(images + rng.normal(0.0, SHAPES_NOISE, images.shape), 0.0, 1.0)
    return _split(images, labels, tuple(SHAPES))


def shifted(images: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Images (n, side, side) moved down `rows` and right `cols` pixels (negative: up, left), zero-filled."""
    out = np.zeros_like(images)
    side = images.shape[1]
    if abs(rows) < side and abs(cols) < side:
        source = lambda d: slice(max(-d, 0), side - max(d, 0))
        target = lambda d: slice(max(d, 0), side - max(-d, 0))
        out[:, target(rows), target(cols)] = images[:, source(rows), source(cols)]
    return out


# Ordered registry: dataset name -> its images from a seed (digits are real data: the seed changes nothing).
DATASETS: dict[str, Callable[[int], ImageSet]] = {"digits": digits, "shapes": shapes}
SIDES = {"digits": 8, "shapes": SHAPES_SIDE}  # pixels a side, known without making the images
MIN_TRAIN_IMAGES = 20  # the fewest training images a run may use: a stratified subset holds every class


def subset(images: ImageSet, n: int | None) -> ImageSet:
    """The images with only n of the training images, a stratified subset (every class in its share), and
    every test image; all of them for None or an n the training set does not exceed. A smaller subset is
    inside a larger one, so a curve over training-set sizes adds images rather than drawing new ones."""
    if n is None or n >= images.n_train:
        return images
    labels = images.labels[: images.n_train]
    order = _stratified_order(labels.tobytes(), len(images.classes))
    keep = np.concatenate([np.sort(order[:n]), np.arange(images.n_train, len(images.labels))])
    return ImageSet(images.images[keep], images.labels[keep], n, images.classes)


@cache
def _stratified_order(labels: bytes, classes: int) -> np.ndarray:
    """The training images in turns of one per class (each class in its split order), so that any first n
    hold every class about equally."""
    labels = np.frombuffer(labels, np.int32)
    rank = np.empty(len(labels), np.int64)
    for c in range(classes):
        where = np.flatnonzero(labels == c)
        rank[where] = np.arange(len(where)) * classes + c
    return np.argsort(rank, kind="stable")


SCAN_SIDE = 32  # the digits' scans: 32 × 32, each 4 × 4 block one pixel of the 8 × 8 image
SAMPLES = 4  # a scan pixel of a drawing is inked where most of its SAMPLES × SAMPLES sample points are


def prepare_drawing(ink: np.ndarray) -> np.ndarray:
    """A drawing (a square array of ink in [0, 1], side 8, 16 or a multiple of 32) prepared as the digits were:
    its inked part (ink ≥ 0.5) scaled and centred as every digit of the set is, its longer side filling a
    32 × 32 scan (every digit spans all eight rows, and is centred across), then each pixel of the 8 × 8 image
    counts the inked scan pixels of its 4 × 4 block (0–16), here divided by 16 like every image in the lab.
    Where a person draws, and how large, then changes nothing."""
    ink = np.asarray(ink, np.float32)
    side = ink.shape[0] if ink.ndim == 2 else 0
    if side == 0 or ink.shape[1] != side or not (side in (8, 16) or side % SCAN_SIDE == 0):
        raise ValueError(f"a drawing is a square of side 8, 16 or a multiple of 32, not {ink.shape}")
    scan = _scanned(ink >= 0.5)
    blocks = scan.reshape(DRAWING_SIDE, 4, DRAWING_SIDE, 4).sum(axis=(1, 3))
    return blocks.astype(np.float32) / DIGIT_LEVELS


def _scanned(inked: np.ndarray) -> np.ndarray:
    """The inked pixels' bounding box, centred and scaled so that its longer side fills a SCAN_SIDE square;
    each scan pixel inked where most of its sample points fall on ink."""
    rows, cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    if not len(rows):
        return np.zeros((SCAN_SIDE, SCAN_SIDE), bool)
    size = max(rows[-1] + 1 - rows[0], cols[-1] + 1 - cols[0])
    points = SCAN_SIDE * SAMPLES
    offsets = ((np.arange(points) + 0.5) / points - 0.5) * size  # from the box's centre, in drawing pixels

    def at(first, last):  # each sample point's pixel along one axis; -1 off the drawing
        index = np.floor((first + last + 1) / 2 + offsets).astype(int)
        return np.where((index >= 0) & (index < len(inked)), index, -1)

    r, c = at(rows[0], rows[-1]), at(cols[0], cols[-1])
    samples = inked[r][:, c] & (r >= 0)[:, None] & (c >= 0)[None, :]
    return samples.reshape(SCAN_SIDE, SAMPLES, SCAN_SIDE, SAMPLES).mean(axis=(1, 3)) >= 0.5
