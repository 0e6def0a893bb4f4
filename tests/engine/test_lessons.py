"""Every lesson's claim, measured: each lesson runs as the server runs it (its plan, piece by piece) with its
seeds fixed, and what its text says must hold. Where a measurement disagreed with a first draft, the text was
changed to say what is true; the numbers each test saw are in the README's Experiments section."""
from collections import defaultdict

import numpy as np
import pytest

from backend.engine.convnet.images import digits
from backend.engine.lessons import LESSON
from backend.engine.pieces import plan, run_piece

CHANCE = 0.6  # test accuracy at most, on the balanced two-class datasets, of a model that learned nothing useful


def run(lesson_id: str) -> list[dict]:
    the_plan = plan(LESSON[lesson_id].experiment)
    return [row for piece in the_plan.pieces for row in run_piece(the_plan, piece)]


def by_cell(rows, measure: str, model: str = "network") -> dict[tuple, np.ndarray]:
    """Each cell's values of a measure over its seeds, the cell as the axes' values (None where not kept)."""
    cells = defaultdict(list)
    for row in rows:
        if row["model"] == model:
            cells[tuple(row["cell"])].append(row["measures"][measure])
    return {cell: np.array(values, float) for cell, values in cells.items()}


def values_of(lesson_id: str, axis: int) -> list:
    values = LESSON[lesson_id].experiment.axes[axis].values
    return [v["label"] if isinstance(v, dict) else v for v in values]


def test_a_line_cannot_draw_a_circle():
    accuracy = by_cell(run("linear-circles"), "test_accuracy")
    raw, squares, hidden = (accuracy[(k,)] for k in range(3))
    assert raw.mean() <= CHANCE and raw.max() <= 0.75, raw
    assert squares.min() >= 0.95, squares
    assert hidden.mean() >= 0.95, hidden


def test_the_vanishing_gradient():
    rows = run("vanishing-gradient")
    ratio, accuracy = by_cell(rows, "gradient_ratio"), by_cell(rows, "test_accuracy")
    sigmoid, tanh, relu = range(3)
    depths = values_of("vanishing-gradient", 1)
    at = lambda variant, depth: (variant, depths.index(depth))
    assert ratio[at(sigmoid, 8)].max() < 1e-3, ratio[at(sigmoid, 8)]
    assert ratio[at(relu, 8)].min() > 1e-2, ratio[at(relu, 8)]
    for depth in depths:
        for kept in (tanh, relu):  # "within a factor of ten of the output layer's" (the geometric mean)
            assert 0.1 < np.exp(np.log(ratio[at(kept, depth)]).mean()) < 10, (kept, depth, ratio[at(kept, depth)])
            assert np.median(accuracy[at(kept, depth)]) >= 0.95, (kept, depth, accuracy[at(kept, depth)])
        if depth >= 4:
            assert accuracy[at(sigmoid, depth)].mean() <= CHANCE, (depth, accuracy[at(sigmoid, depth)])
        # shrinking layer by layer: each sigmoid layer more passes back less
        if depth > 1:
            assert np.median(ratio[at(sigmoid, depth)]) < np.median(ratio[at(sigmoid, depth - 1)])


def test_initial_weights_can_start_terribly_far_off():
    rows = run("initial-scale")
    scales = values_of("initial-scale", 0)
    accuracy = by_cell(rows, "test_accuracy")
    assert accuracy[(scales.index(1.0),)].min() >= 0.95
    for scale in scales:
        if scale <= 0.3:
            assert accuracy[(scales.index(scale),)].mean() <= CHANCE, (scale, accuracy[(scales.index(scale),)])
    assert accuracy[(scales.index(10.0),)].mean() <= CHANCE, accuracy[(scales.index(10.0),)]
    small = [r for r in rows if r["cell"] == [scales.index(0.01)]]
    large = [r for r in rows if r["cell"] == [scales.index(10.0)]]
    for row in small:  # every layer's activations start near zero: within ±0.1, the two middle bins
        histogram = np.array(row["activations"]["histogram"])
        middle = histogram.shape[1] // 2
        assert histogram[:, middle - 1:middle + 1].sum(axis=1).min() >= 0.9
    for row in large:  # and saturated at ten times the scale: most slopes flat in every hidden layer
        assert min(row["activations"]["saturation"][:-1]) >= 0.5, row["activations"]["saturation"]


def test_width_matters_not_only_depth():
    accuracy = by_cell(run("width"), "test_accuracy")
    depths = values_of("width", 1)
    two, three = 0, 1
    mean = lambda width, depth: accuracy[(width, depths.index(depth))].mean()
    assert max(mean(two, d) for d in depths) <= 0.9
    assert min(mean(three, d) for d in (1, 2)) >= 0.95
    assert all(mean(three, d) > mean(two, d) for d in depths)
    assert mean(three, 4) - mean(two, 4) >= 0.1, (mean(three, 4), mean(two, 4))


@pytest.fixture(scope="module")
def more_data():
    return run("more-data")


def test_more_data_the_deep_network_keeps_improving_and_the_linear_models_do_not(more_data):
    sizes = values_of("more-data", 0)
    shallow, deep = 0, 1
    network = by_cell(more_data, "test_accuracy")
    mean = lambda variant, size: network[(sizes.index(size), variant)].mean()
    largest, smallest = sizes[-1], sizes[0]
    assert mean(deep, largest) >= 0.98 and mean(deep, largest) - mean(deep, smallest) >= 0.3
    deep_means = [mean(deep, size) for size in sizes]
    assert all(b >= a - 0.01 for a, b in zip(deep_means, deep_means[1:])), deep_means  # more points: no worse
    assert mean(shallow, largest) < mean(deep, largest) - 0.03
    assert mean(shallow, 150) < mean(deep, 150) - 0.15  # "far more slowly"
    for model in ("logistic_raw", "logistic_features"):
        linear = by_cell(more_data, "test_accuracy", model)
        assert all(linear[(sizes.index(size), None)].mean() <= CHANCE for size in sizes), (model, linear)
        assert mean(deep, largest) > linear[(sizes.index(largest), None)].max()


def test_more_data_the_kernel_and_the_neighbours_improve_as_fast(more_data):
    sizes = values_of("more-data", 0)
    deep = by_cell(more_data, "test_accuracy")
    for model in ("svm_rbf", "knn"):
        fitted = by_cell(more_data, "test_accuracy", model)  # the spiral's, on x₁, x₂
        for size in sizes[2:]:  # from 150 points on, within a few points of the deep network or better
            assert fitted[(sizes.index(size), None)].mean() >= deep[(sizes.index(size), 1)].mean() - 0.05


def test_more_digits_the_convnet_improves_and_meets_the_classic_methods():
    rows = run("more-digits")
    sizes = values_of("more-digits", 0)
    convnet = {size: by_cell(rows, "test_accuracy")[(k, 0)].mean() for k, size in enumerate(sizes)}
    fitted = {model: {size: by_cell(rows, "test_accuracy", model)[(k, None)].mean() for k, size in enumerate(sizes)}
              for model in ("logistic_pixels", "svm_pixels", "knn_pixels")}
    assert sizes[-1] == digits(0).n_train  # "all 1,437"
    assert list(convnet.values()) == sorted(convnet.values()), convnet  # better with every size
    assert 0.5 <= convnet[sizes[0]] <= 0.7 and convnet[sizes[-1]] >= 0.97, convnet
    for model, accuracy in fitted.items():  # "the classic methods on the pixels improve too"
        assert list(accuracy.values()) == sorted(accuracy.values()), (model, accuracy)
    assert all(fitted["svm_pixels"][size] > convnet[size] for size in sizes[:2]), (fitted["svm_pixels"], convnet)
    for model in ("svm_pixels", "knn_pixels"):
        assert abs(fitted[model][sizes[-1]] - convnet[sizes[-1]]) <= 0.01, (model, fitted[model], convnet)
    assert fitted["logistic_pixels"][sizes[-1]] < min(convnet[sizes[-1]], fitted["svm_pixels"][sizes[-1]])
