"""The previews of features and datasets, against the formulas and generators they show."""
import numpy as np
import pytest

from backend.engine import previews
from backend.engine.data import DATASETS, EXTENT, is_regression, make_dataset
from backend.engine.features import FEATURES

from . import reference

GENERATED = [name for name, (generator, _) in DATASETS.items() if generator is not None]
AGREEMENT = 0.9  # share of cells whose preview agrees with fresh data from the generator at least


def cell_centres(cells: int) -> np.ndarray:
    """(cells², 2) centres of a grid over the plane, row by row from the top (x2 = +EXTENT)."""
    centres = -EXTENT + (2 * EXTENT / cells) * (np.arange(cells) + 0.5)
    x2, x1 = np.meshgrid(centres[::-1], centres, indexing="ij")
    return np.stack([x1.ravel(), x2.ravel()], axis=1)


@pytest.mark.parametrize("name", list(FEATURES))
def test_a_feature_map_is_its_formula_over_the_plane_at_unit_peak(name):
    values = reference.FEATURE_FUNCTIONS[name](cell_centres(previews.CELLS)).reshape(previews.CELLS, previews.CELLS)
    np.testing.assert_allclose(previews.feature_maps()[name], values / np.abs(values).max(), atol=1e-6)


@pytest.mark.parametrize("name", GENERATED)
def test_a_dataset_map_shows_what_its_generator_draws(name):
    """Each cell against the nearest point of data the preview never saw (another seed, more points)."""
    preview = previews.dataset_maps()[name]
    assert preview.shape == (previews.CELLS, previews.CELLS) and np.all(np.abs(preview) <= 1)
    data = make_dataset(name, seed=previews.SEED + 1, num_samples=2000, noise=0.0, train_fraction=0.5)
    real = data.train | data.test
    points, labels = data.x[real], data.y[real]
    cells = cell_centres(previews.CELLS)
    fresh = labels[np.argmin(np.linalg.norm(cells[:, None] - points[None], axis=-1), axis=1)]
    if is_regression(name):
        assert np.corrcoef(preview.ravel(), fresh)[0, 1] > AGREEMENT
    else:
        assert np.mean(np.sign(preview.ravel()) == fresh) > AGREEMENT


def test_a_dataset_without_a_generator_has_no_map():
    assert [name for name, values in previews.dataset_maps().items() if values is None] == ["custom"]
    assert list(previews.dataset_maps()) == list(DATASETS) and list(previews.feature_maps()) == list(FEATURES)


def test_the_previews_are_host_work_that_compiles_nothing():
    from collections import Counter

    from backend.engine import program

    before = Counter(program.EXECUTABLES)
    for made_once in (previews.feature_maps, previews.dataset_maps):
        made_once.cache_clear()
        made_once()
    assert program.EXECUTABLES == before  # sin and friends in numpy: jax would compile each on first use
