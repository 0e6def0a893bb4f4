"""Sweeps: every network trained as Run trains it alone, grouped into as few programs as can hold them."""
from collections import Counter

import numpy as np
import pytest

from backend.engine import program
from backend.engine.config import Config
from backend.engine.frame import SATURATED
from backend.engine.network import ACTIVATIONS
from backend.engine.run import Run
from backend.engine.sweep import HISTOGRAM_EDGES, group_configs, schedule_of, sweep, train_group

from . import reference

EPOCHS = (0, 1, 5, 20)  # the epochs compared with Run
# The sweep adds the same values in another order than Run's program. Training amplifies such a difference
# as much as it amplifies a nudge of the initial weights by 2⁻²² of their size in Run alone: for these
# networks both stayed within 2e-6 of the loss up to epoch 20 (about 1e-7, a float32's rounding, at epoch 1),
# well inside LOSS. Faster training (sgd at 0.3 with cross-entropy, adam at 0.1, momentum at 0.03 from xavier)
# amplified either to 1e-3–1e-2 by epoch 20: the chaos of training, not a difference of method, so these
# networks avoid it.
LOSS = dict(rtol=1e-4, atol=1e-7)
NORMS = dict(rtol=1e-5, atol=1e-9)
NETWORKS = [
    Config(),
    Config(seed=1, learning_rate=0.1, init_scale=0.5, regularization="l2", regularization_rate=0.01),
    Config(seed=6, dataset="xor", noise=10),  # another dataset, same group as the two above
    Config(seed=2, optimizer="adam", learning_rate=0.01, init_scale=2.0, loss="cross_entropy",
           regularization="l1", regularization_rate=0.003),
    Config(seed=7, loss="cross_entropy"),
    Config(seed=3, optimizer="momentum", learning_rate=0.01, init="xavier"),
    Config(seed=4, batch_size=16),  # 250 points: the last of 16 batches holds 10
    Config(seed=5, dataset="plane", learning_rate=0.01),  # a regression: a linear output, no accuracy
    Config(seed=8, hidden_layers=[5], activation="relu", init="he"),  # with the next, one program of depth 3
    Config(seed=9, hidden_layers=[5] * 3, activation="relu", init="he", features=["x1_squared", "x2_squared"]),
    Config(seed=10, hidden_layers=[8] * 8, activation="sigmoid", init="xavier"),  # a vanishing gradient
]


@pytest.fixture(scope="module")
def swept():
    return sweep(NETWORKS, EPOCHS[-1], record=EPOCHS)


@pytest.fixture(scope="module")
def alone():
    """Each network's snapshots from Run at EPOCHS, training alone."""
    snapshots = []
    for config in NETWORKS:
        run = Run(config)
        snapshots.append([run.train(epochs) for epochs in np.diff(EPOCHS, prepend=0)])
    return snapshots


def test_the_networks_share_programs_where_they_can():
    groups = list(group_configs(NETWORKS).values())
    assert groups == [[0, 1, 2], [3], [4], [5], [6], [7], [8, 9], [10]]
    assert len(group_configs(NETWORKS, share_depths=False)) == len(groups) + 1


@pytest.mark.parametrize("index", range(len(NETWORKS)))
def test_a_swept_network_trains_as_it_does_alone(swept, alone, index):
    result, snapshots = swept[index], alone[index]
    np.testing.assert_array_equal(result.epochs, EPOCHS)
    for name in ("train_loss", "test_loss"):
        np.testing.assert_allclose(getattr(result, name), [getattr(s, name) for s in snapshots], **LOSS, err_msg=name)
    if NETWORKS[index].regression:
        assert np.isnan(result.test_accuracy).all() and snapshots[-1].test_accuracy is None
    else:
        np.testing.assert_allclose(result.test_accuracy, [s.test_accuracy for s in snapshots], atol=1e-6)


@pytest.mark.parametrize("index", range(len(NETWORKS)))
def test_gradient_norms_are_a_frames(swept, alone, index):
    result, snapshots = swept[index], alone[index]
    np.testing.assert_allclose(result.initial_gradient_norms, snapshots[0].gradient_norms, **NORMS)
    np.testing.assert_allclose(result.gradient_norms, [s.gradient_norms for s in snapshots], rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(result.saturation, snapshots[0].saturation, atol=1e-6)


def test_the_vanishing_gradient_shows_in_the_norms(swept):
    norms = swept[-1].initial_gradient_norms
    assert norms.shape == (9,) and norms[0] < norms[-1] / 1000


@pytest.mark.parametrize("index", [0, 9, 10])
def test_activation_statistics_are_the_numpy_networks(swept, index):
    config, result = NETWORKS[index], swept[index]
    run = Run(config)
    inputs = reference.features_of(run.train_points[:, :2].astype(np.float64), config.features)
    run_pass = reference.forward(reference.Net(*run.weights()), inputs, config.activation, config.output_activation)
    derivative = lambda name, z: reference.ACTIVATIONS[name][1](z) / ACTIVATIONS[name][1]  # over the steepest
    slopes = [derivative(config.activation, z) for z in run_pass.pre]
    slopes.append(derivative(config.output_activation, run_pass.logit[:, None]))
    layers = [*run_pass.hidden, run_pass.output[:, None]]
    np.testing.assert_allclose(result.activation_mean, [a.mean() for a in layers], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(result.activation_std, [a.std() for a in layers], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(result.saturation, [np.mean(np.abs(s) < SATURATED) for s in slopes], atol=1e-6)
    clipped = [np.clip(a, HISTOGRAM_EDGES[0], HISTOGRAM_EDGES[-1]).ravel() for a in layers]
    expected = [np.histogram(a, HISTOGRAM_EDGES)[0] / a.size for a in clipped]
    np.testing.assert_allclose(result.histogram, expected, atol=2 / len(run.train_points))  # a value on an edge
    np.testing.assert_allclose(result.histogram.sum(axis=1), 1.0, rtol=1e-6)


def test_features_rescue_a_linear_model_on_the_circle():
    """A linear model (no hidden layer) on the circle, 300 epochs, seeds 0–4: from x1 and x2 its test
    accuracy stays between 0.41 and 0.66 (0.62, 0.656, 0.516, 0.408, 0.6: the circle is not linearly
    separable), from x1² and x2² it is 1.0 for every seed, as Run alone gives. Both kinds train in one
    program: two features each."""
    seeds = range(5)
    plain = [Config(hidden_layers=[], seed=seed) for seed in seeds]
    squared = [Config(hidden_layers=[], seed=seed, features=["x1_squared", "x2_squared"]) for seed in seeds]
    assert len(group_configs(plain + squared)) == 1
    results = sweep(plain + squared, 300, record=2)
    accuracy = [r.test_accuracy[-1] for r in results]
    assert max(accuracy[:5]) <= 0.75 and min(accuracy[5:]) >= 0.95, accuracy


def test_a_diverging_network_leaves_the_others_alone():
    calm, wild = Config(dataset="plane", learning_rate=0.01), Config(dataset="plane", learning_rate=10, seed=1)
    results = sweep([calm, wild], 50, record=2)
    assert not np.isfinite(results[1].train_loss[-1])
    np.testing.assert_allclose(results[0].train_loss[-1], Run(calm).train(50).train_loss, **LOSS)


def test_running_a_group_again_compiles_nothing():
    configs = [Config(seed=seed, hidden_layers=[3, 3], learning_rate=0.01 * (1 + seed)) for seed in range(4)]
    sweep(configs, 3, record=3)
    traces, executables = Counter(program.TRACES), Counter(program.EXECUTABLES)
    others = [config.model_copy(update={"seed": 10 + i, "init_scale": 0.5, "dataset": "xor"})
              for i, config in enumerate(configs)]
    results = sweep(others, 7, record=3)  # other networks, another length, as many epochs measured
    assert (program.TRACES, program.EXECUTABLES) == (traces, executables)
    assert list(results[0].epochs) == [0, 4, 7]


def test_a_network_outside_its_group_is_refused():
    (group, members), = group_configs([Config(hidden_layers=[4] * 2)]).items()
    with pytest.raises(ValueError, match="group"):
        train_group(group, [Config(hidden_layers=[4] * 3)], 1)
    with pytest.raises(ValueError, match="group"):
        train_group(group, [Config(hidden_layers=[4] * 2, optimizer="adam")], 1)


def test_the_recorded_epochs():
    assert list(schedule_of(300, 4)) == [0, 100, 200, 300]
    assert list(schedule_of(2, 11)) == [0, 1, 2]  # no more than there are
    assert list(schedule_of(20, [5, 1])) == [0, 1, 5, 20]  # 0 and the last always
    with pytest.raises(ValueError):
        schedule_of(5, [6])
