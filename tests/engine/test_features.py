"""The input-feature registry."""
import jax.numpy as jnp
import numpy as np
import pytest

from backend.engine.features import FEATURES, NUM_FEATURES, compute_features, feature_mask
from backend.engine.network import MAX_WIDTH

from . import reference


@pytest.mark.parametrize("chosen", [["x1"], ["sin_x2", "x1"], list(FEATURES)])
def test_chosen_features_fill_their_registry_columns_and_nothing_else(chosen):
    points = np.random.default_rng(0).uniform(-6, 6, (40, 2))
    got = np.asarray(compute_features(jnp.asarray(points, jnp.float32), feature_mask(chosen), MAX_WIDTH))
    assert got.shape == (40, MAX_WIDTH)
    np.testing.assert_allclose(got, reference.padded_inputs(points, chosen), rtol=1e-5, atol=1e-5)


def test_compute_features_keeps_leading_axes():
    points = jnp.zeros((3, 5, 2))
    assert compute_features(points, feature_mask(["x1"]), MAX_WIDTH).shape == (3, 5, MAX_WIDTH)


def test_the_registry_fits_the_padded_input():
    assert NUM_FEATURES == len(FEATURES) <= MAX_WIDTH
    assert set(reference.FEATURE_FUNCTIONS) == set(FEATURES)
