"""The dataset generators and the train/test split."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.engine.data import DATASETS, EXTENT, MAX_SAMPLES, SLOTS, make_dataset, slots_for

GENERATED = [name for name, (generator, _) in DATASETS.items() if generator is not None]
CIRCLE_RADIUS = 5.0  # the circle dataset's outer radius; +1 inside half of it
GAUSS_CENTRE = 2.0  # the gauss dataset's +1 blob is centred at (2, 2), the -1 blob at (-2, -2)


def generate(name, seed=0, num_samples=500, noise=0.0, train_fraction=0.5, **extra):
    return make_dataset(name, seed=seed, num_samples=num_samples, noise=noise, train_fraction=train_fraction, **extra)


def real_points(d):
    real = d.train | d.test
    return d.x[real], d.y[real]


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(GENERATED),
    seed=st.integers(0, 2**31 - 1),
    num_samples=st.integers(50, MAX_SAMPLES),
    noise=st.floats(0, 50),
    train_fraction=st.floats(0.1, 0.9),
)
def test_every_generator_gives_the_requested_points_split_as_asked(name, seed, num_samples, noise, train_fraction):
    d = generate(name, seed, num_samples, noise, train_fraction)
    n_train = int(d.train.sum())
    assert n_train + int(d.test.sum()) == num_samples
    assert n_train == round(num_samples * train_fraction)
    assert not np.any(d.train & d.test)
    # Training points fill the first slots, test points the next; the padding is zero.
    assert np.all(d.train[:n_train]) and np.all(d.test[n_train:num_samples])
    assert not np.any(d.x[num_samples:]) and not np.any(d.y[num_samples:])
    x, y = real_points(d)
    assert np.all(np.isfinite(x))
    if DATASETS[name][1]:
        assert np.all((-1 <= y) & (y <= 1))
    else:
        assert set(np.unique(y)) == {-1.0, 1.0}
    # Padded to the smallest slot count that holds the points.
    assert d.x.shape == (slots_for(num_samples), 2) and d.x.dtype == np.float32 and d.y.dtype == np.float32
    assert num_samples <= len(d.x) and all(len(d.x) <= s or s < num_samples for s in SLOTS)


@pytest.mark.parametrize("name", GENERATED)
def test_points_lie_on_the_plane(name):
    noisy = [0.0] if name == "gauss" else [0.0, 50.0]  # noise widens the Gaussian blobs past the edge
    for noise in noisy:
        x, _ = real_points(generate(name, noise=noise, num_samples=MAX_SAMPLES))
        assert np.all(np.abs(x) <= EXTENT)
        assert np.ptp(x, axis=0).min() > EXTENT  # and spread over it


@pytest.mark.parametrize("name", GENERATED)
def test_a_seed_fixes_the_data(name):
    a, b, c = generate(name, seed=7), generate(name, seed=7), generate(name, seed=8)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)


def test_circle_labels_follow_the_radius_and_noise_flips_some():
    clean_x, clean_y = real_points(generate("circle", noise=0.0))
    inside = np.hypot(clean_x[:, 0], clean_x[:, 1]) < CIRCLE_RADIUS / 2
    np.testing.assert_array_equal(clean_y, np.where(inside, 1.0, -1.0))
    x, y = real_points(generate("circle", noise=30.0))
    inside = np.hypot(x[:, 0], x[:, 1]) < CIRCLE_RADIUS / 2
    flipped = np.mean(y != np.where(inside, 1.0, -1.0))
    assert 0.02 < flipped < 0.4


def test_xor_labels_follow_the_quadrant():
    x, y = real_points(generate("xor"))
    np.testing.assert_array_equal(y, np.where(x[:, 0] * x[:, 1] >= 0, 1.0, -1.0))


def test_plane_labels_rise_along_the_diagonal():
    x, y = real_points(generate("plane"))
    np.testing.assert_allclose(y, np.clip(x.sum(axis=1) / 10.0, -1, 1), atol=1e-6)


def test_noise_widens_the_gaussian_blobs():
    def spread(noise):
        x, y = real_points(generate("gauss", noise=noise))
        return np.std(x - GAUSS_CENTRE * y[:, None])  # each blob sits at ±GAUSS_CENTRE on both axes

    assert spread(50.0) > 4 * spread(0.0)


def test_custom_points_are_kept_shuffled_and_split():
    rng = np.random.default_rng(0)
    points = np.column_stack([rng.uniform(-6, 6, (30, 2)), rng.choice([-1.0, 1.0], 30)])
    d = generate("custom", custom_points=points.tolist(), train_fraction=0.7)
    assert d.n_train == 21 and int(d.test.sum()) == 9
    x, y = real_points(d)
    got = np.column_stack([x, y])
    order = lambda a: a[np.lexsort(a.T)]
    np.testing.assert_allclose(order(got), order(points.astype(np.float32)))
    assert not np.array_equal(got, points.astype(np.float32))


def test_two_custom_points_give_one_to_each_side():
    d = generate("custom", custom_points=[[1.0, 1.0, 1.0], [-1.0, -1.0, -1.0]], train_fraction=0.5)
    assert d.n_train == 1 and int(d.test.sum()) == 1
