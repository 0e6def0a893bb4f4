"""The ConvNet lab's images: the real digits and their fixed stratified split, generated shapes whose
position says nothing of their class, and a person's drawing prepared the way the digits were."""
import numpy as np
import pytest
from sklearn.datasets import load_digits

from backend.engine.convnet import images
from backend.engine.convnet.images import DATASETS, DIRECTIONS, SHAPES, SIDES, digits, prepare_drawing, shapes, shifted

DIGITS = 1797
DIGITS_TEST = 360  # 20 % of 1,797, rounded up as scikit-learn does
SHAPES_COUNT = 2000
SHAPES_SIDE = 16
INK = 0.5  # a shape pixel above this is ink: the noise (sd 0.15) passes it about once in 2,000 pixels


def rows_of(image_set) -> np.ndarray:
    """Each image with its label as one row, the rows sorted: the set of labelled images, whatever the order."""
    flat = np.concatenate([image_set[0].reshape(len(image_set[0]), -1), image_set[1][:, None]], axis=1)
    return flat[np.lexsort(flat.T[::-1])]


def test_digits_are_scikit_learns_1797_images_in_sixteenths():
    data = digits(0)
    assert data.images.shape == (DIGITS, 8, 8) and data.images.dtype == np.float32
    assert data.labels.shape == (DIGITS,) and data.labels.dtype == np.int32
    assert data.side == 8 and data.classes == tuple("0123456789")
    levels = data.images * 16
    np.testing.assert_array_equal(levels, np.round(levels))  # multiples of 1/16, exactly
    assert levels.min() == 0 and levels.max() == 16
    # The same labelled images as scikit-learn's, each still with its own label.
    raw = load_digits()
    np.testing.assert_array_equal(rows_of((data.images * 16, data.labels)), rows_of((raw.images, raw.target)))


def test_digits_split_is_stratified_with_the_training_images_first():
    data = digits(0)
    assert data.n_train == DIGITS - DIGITS_TEST == 1437
    (train_x, train_y), (test_x, test_y) = data.train, data.test
    assert len(train_x) == len(train_y) == 1437 and len(test_x) == len(test_y) == DIGITS_TEST
    np.testing.assert_array_equal(np.concatenate([train_x, test_x]), data.images)
    np.testing.assert_array_equal(np.concatenate([train_y, test_y]), data.labels)
    overall = np.bincount(data.labels, minlength=10)
    in_test = np.bincount(test_y, minlength=10)
    # Each class's count in the test set is within one image of its share of the whole set.
    np.testing.assert_array_less(np.abs(in_test - overall * DIGITS_TEST / DIGITS), 1.0)


def test_digits_split_is_the_same_for_every_call_and_seed():
    fresh = images._digits.__wrapped__()  # made again, past the cache
    for seed in (0, 1, 12345):
        again = digits(seed)
        assert again.n_train == fresh.n_train
        np.testing.assert_array_equal(again.images, fresh.images)
        np.testing.assert_array_equal(again.labels, fresh.labels)


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_a_training_subset_is_stratified_nested_and_keeps_every_test_image(dataset):
    full = DATASETS[dataset](0)
    classes = len(full.classes)
    smaller, larger = images.subset(full, 50), images.subset(full, 200)
    assert smaller.n_train == 50 and larger.n_train == 200
    for part in (smaller, larger):
        np.testing.assert_array_equal(part.test[0], full.test[0])
        np.testing.assert_array_equal(part.test[1], full.test[1])
        counts = np.bincount(part.train[1], minlength=classes)
        assert counts.max() - counts.min() <= 1  # every class in its share, one apart at most
    assert {row.tobytes() for row in smaller.train[0]} <= {row.tobytes() for row in larger.train[0]}
    assert images.subset(full, None) is full and images.subset(full, full.n_train + 5) is full


def test_shapes_are_balanced_images_in_the_unit_interval():
    data = shapes(0)
    assert data.images.shape == (SHAPES_COUNT, SHAPES_SIDE, SHAPES_SIDE) and data.images.dtype == np.float32
    assert data.labels.dtype == np.int32 and data.classes == tuple(SHAPES)
    assert data.images.min() >= 0.0 and data.images.max() <= 1.0
    per_class = SHAPES_COUNT // len(SHAPES)
    np.testing.assert_array_equal(np.bincount(data.labels, minlength=len(SHAPES)), per_class)
    assert data.n_train == SHAPES_COUNT * 4 // 5
    np.testing.assert_array_equal(np.bincount(data.test[1], minlength=len(SHAPES)), per_class // 5)
    # Every image holds a figure: at least a 5-pixel bar of ink.
    assert (data.images > INK).sum(axis=(1, 2)).min() >= 5


def test_shapes_are_the_same_for_a_seed_and_differ_for_another():
    first = shapes(3)
    fresh = images._shapes.__wrapped__(3)  # made again, past the cache
    np.testing.assert_array_equal(first.images, fresh.images)
    np.testing.assert_array_equal(first.labels, fresh.labels)
    other = shapes(4)
    assert np.mean(np.abs(other.images - first.images)) > 0.1


def test_where_a_shape_sits_says_nothing_of_its_class():
    """For every class the centre of its ink ranges over most of the image, and on average sits at the
    image's centre: a figure's position does not give its class away."""
    data = shapes(0)
    ink = (data.images > INK).astype(np.float64)
    mass = ink.sum(axis=(1, 2))
    pixels = np.arange(SHAPES_SIDE)
    centres = np.stack([(ink.sum(axis=2) @ pixels) / mass, (ink.sum(axis=1) @ pixels) / mass], axis=1)
    middle = (SHAPES_SIDE - 1) / 2
    for label, name in enumerate(data.classes):
        mine = centres[data.labels == label]  # (images, [row, column])
        low, high = np.percentile(mine, [5, 95], axis=0)
        assert np.all(high - low >= 6.0), (name, low, high)
        np.testing.assert_allclose(mine.mean(axis=0), middle, atol=1.0, err_msg=name)
        # Each quarter of the image holds at least a tenth of the class's ink.
        mean_image = ink[data.labels == label].mean(axis=0)
        half = SHAPES_SIDE // 2
        quarters = mean_image.reshape(2, half, 2, half).sum(axis=(1, 3)) / mean_image.sum()
        assert quarters.min() >= 0.1, (name, quarters)


def test_the_dataset_registry_knows_each_side_without_making_the_images():
    assert list(DATASETS) == list(SIDES)
    for name, make in DATASETS.items():
        assert make(0).side == SIDES[name]


def binned(ink32: np.ndarray) -> np.ndarray:
    """The digits' preparation by hand: each pixel of 8 × 8 counts the inked pixels of its 4 × 4 block, / 16."""
    out = np.zeros((8, 8))
    for row in range(8):
        for col in range(8):
            out[row, col] = sum(ink32[4 * row + i, 4 * col + j] >= 0.5 for i in range(4) for j in range(4)) / 16
    return out


def test_a_drawing_all_ink_or_none_is_all_ones_or_zeros():
    for side in (8, 16, 32, 64, 96):
        np.testing.assert_array_equal(prepare_drawing(np.ones((side, side))), np.ones((8, 8)))
        np.testing.assert_array_equal(prepare_drawing(np.zeros((side, side))), np.zeros((8, 8)))
    assert prepare_drawing(np.ones((32, 32))).dtype == np.float32


def test_a_drawing_that_fills_its_scan_counts_the_inked_pixels_of_each_block():
    rng = np.random.default_rng(0)
    ink = rng.uniform(0.0, 1.0, (32, 32)) * (rng.uniform(size=(32, 32)) < 0.4)
    ink[0, 0] = ink[31, 31] = 1.0  # ink in opposite corners: it already fills the scan, nothing moves
    got = prepare_drawing(ink)
    np.testing.assert_allclose(got, binned(ink), rtol=0, atol=1e-7)
    assert len(np.unique(got)) > 5  # partly inked blocks, not only 0 and 1


def test_every_digit_fills_its_height_and_so_does_a_drawing():
    """What the preparation copies: each of the 1,797 digits spans all eight rows, and is centred across."""
    images = np.concatenate([digits(0).train[0], digits(0).test[0]])
    inked_rows, inked_cols = (images > 0).any(axis=2), (images > 0).any(axis=1)
    assert inked_rows.all()
    left, right = inked_cols.argmax(axis=1), 7 - inked_cols[:, ::-1].argmax(axis=1)
    assert abs(np.mean(left + right) / 2 - 3.5) < 0.5
    stroke = np.zeros((32, 32))
    stroke[2:9, 20:22] = 1.0  # a short stroke, high on the right
    prepared = prepare_drawing(stroke)
    assert (prepared > 0).any(axis=1).all()  # every row
    assert np.flatnonzero(prepared.any(axis=0)).tolist() == [2, 3, 4, 5]  # centred across


def test_where_and_how_large_a_figure_is_drawn_changes_nothing():
    rng = np.random.default_rng(1)
    figure = (rng.uniform(size=(8, 6)) < 0.5).astype(np.float32)
    figure[0, 0] = figure[-1, -1] = 1.0  # it spans its 8 × 6 box
    large = np.zeros((32, 32))
    large[:, 4:28] = np.kron(figure, np.ones((4, 4)))  # filling the height, centred
    for scale, top, left in [(1, 0, 0), (2, 3, 17), (3, 7, 2)]:
        small = np.zeros((32, 32))
        small[top : top + 8 * scale, left : left + 6 * scale] = np.kron(figure, np.ones((scale, scale)))
        np.testing.assert_array_equal(prepare_drawing(small), prepare_drawing(large))
    np.testing.assert_array_equal(prepare_drawing(large), binned(large))


def test_smaller_and_larger_drawings_scale_as_a_32_pixel_one():
    rng = np.random.default_rng(1)
    # An 8 × 8 pixel covers a 4 × 4 block of the 32 × 32 drawing, a 16 × 16 one a 2 × 2 block, a 64 × 64 one a
    # quarter of a pixel.
    for side in (8, 16):
        small = (rng.uniform(size=(side, side)) < 0.3).astype(np.float32)
        big = np.kron(small, np.ones((32 // side, 32 // side)))
        np.testing.assert_array_equal(prepare_drawing(small), prepare_drawing(big))
    ink32 = (rng.uniform(size=(32, 32)) < 0.5).astype(np.float32)
    np.testing.assert_array_equal(prepare_drawing(np.kron(ink32, np.ones((2, 2)))), prepare_drawing(ink32))


@pytest.mark.parametrize("shape", [(32, 16), (16, 32), (24, 24), (4, 4), (48, 48), (32, 32, 1), (32,), (1, 32, 32), (), (0, 0)],
                         ids=str)
def test_a_drawing_of_another_shape_is_refused(shape):
    with pytest.raises(ValueError, match="square"):  # the check's own message, not numpy's reshape failing
        prepare_drawing(np.zeros(shape))


def test_the_images_every_run_shares_cannot_be_changed():
    for shared in (digits(0), shapes(0)):
        with pytest.raises(ValueError, match="read-only"):
            shared.images[0, 0, 0] = 1.0
        with pytest.raises(ValueError, match="read-only"):
            shared.labels[0] = 1


@pytest.mark.parametrize("rows, cols", [(0, 0), *DIRECTIONS, (2, -3), (-8, 0), (0, 9)])
def test_a_shift_moves_every_pixel_and_fills_with_zeros(rows, cols):
    batch = np.random.default_rng(0).random((3, 8, 8)).astype(np.float32)
    moved = shifted(batch, rows, cols)
    for r in range(8):
        for c in range(8):
            inside = 0 <= r - rows < 8 and 0 <= c - cols < 8
            expected = batch[:, r - rows, c - cols] if inside else np.zeros(3, np.float32)
            np.testing.assert_array_equal(moved[:, r, c], expected)
