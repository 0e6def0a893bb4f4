"""The Run facade: known results of seeded training, divergence, determinism and reconfiguration.

Depths 0, 2 and 8 are used here and across tests/engine; one program serves them all.
"""
import jax
import numpy as np
import pytest

from backend.engine.config import Config
from backend.engine.run import Run
from backend.engine.training import OPTIMIZER_INDEX

KNOWN_EPOCHS = 300  # the budget the known results are reached within
DEEP = [8] * 8  # eight hidden layers of eight


def trained(config: Config, epochs: int = KNOWN_EPOCHS):
    return Run(config).train(epochs)


def test_default_network_learns_the_circle():
    assert trained(Config()).test_accuracy >= 0.95


def test_a_linear_model_cannot_learn_the_circle_from_the_coordinates():
    assert trained(Config(hidden_layers=[])).test_accuracy <= 0.70


def test_a_linear_model_learns_the_circle_from_squared_coordinates():
    assert trained(Config(hidden_layers=[], features=["x1_squared", "x2_squared"])).test_accuracy >= 0.95


def test_deep_sigmoid_with_xavier_init_starves_its_first_layer_of_gradient():
    norms = Run(Config(hidden_layers=DEEP, activation="sigmoid", init="xavier")).train(0).gradient_norms
    assert norms.shape == (len(DEEP) + 1,)
    assert norms[0] < norms[-1] / 1000


def test_deep_relu_with_he_init_keeps_its_first_layer_gradient():
    norms = Run(Config(hidden_layers=DEEP, activation="relu", init="he")).train(0).gradient_norms
    assert norms[0] > norms[-1] / 100


def test_advance_zero_only_looks():
    run = Run(Config())
    before = jax.device_get(run.state.params)
    first, second = run.train(0), run.train(0)
    assert first.epoch == second.epoch == 0
    assert first.train_loss == second.train_loss
    for a, b in zip(before, jax.device_get(run.state.params)):
        np.testing.assert_array_equal(a, b)
    assert len(run.history) == 1


# --- Divergence -------------------------------------------------------------


def test_a_huge_learning_rate_diverges_quietly_and_reset_recovers():
    run = Run(Config(dataset="plane", learning_rate=10))
    snap = run.train(50)
    assert snap.status == "diverged"
    assert snap.train_loss is None  # not finite: the snapshot holds JSON-ready values
    assert run.history.to_json(2)["train_loss"][-1] is None  # no NaN reaches the history's JSON
    # A diverged run stands still rather than training on NaN.
    assert run.train(10).epoch == snap.epoch
    run.reset()
    snap = run.train(0)
    assert snap.status == "paused" and snap.epoch == 0
    assert np.isfinite(snap.train_loss) and np.isfinite(snap.test_loss)
    assert all(np.all(np.isfinite(w)) for w in snap.weights)


def test_a_restarting_change_clears_divergence():
    run = Run(Config(dataset="plane", learning_rate=10))
    assert run.train(50).status == "diverged"
    assert run.reconfigure(run.config.model_copy(update={"learning_rate": 0.01, "seed": 1}))
    snap = run.train(5)
    assert snap.status == "paused" and np.isfinite(snap.train_loss)


# --- Determinism ------------------------------------------------------------


def weights_and_losses(config: Config, epochs: int = 40):
    run = Run(config)
    for _ in range(4):
        run.train(epochs // 4)
    return jax.device_get(run.state.params), run.history.to_json(run.depth + 1)


def test_a_seed_fixes_the_whole_run():
    config = Config(seed=11, hidden_layers=[6, 3], optimizer="adam", learning_rate=0.01, noise=10)
    (params_a, history_a), (params_b, history_b) = weights_and_losses(config), weights_and_losses(config)
    for a, b in zip(params_a, params_b):
        np.testing.assert_array_equal(a, b)
    assert history_a == history_b


def test_another_seed_gives_another_run():
    params_a, history_a = weights_and_losses(Config(seed=11))
    params_b, history_b = weights_and_losses(Config(seed=12))
    assert not np.array_equal(params_a.w, params_b.w)
    assert history_a != history_b


def test_reset_returns_to_the_same_start():
    run = Run(Config(seed=3))
    start = jax.device_get(run.state.params)
    run.train(20)
    run.reset()
    for a, b in zip(start, jax.device_get(run.state.params)):
        np.testing.assert_array_equal(a, b)
    run.reset(seed=4)
    assert run.config.seed == 4 and not np.array_equal(start.w, jax.device_get(run.state.params).w)


# --- Reconfiguration --------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [{"learning_rate": 0.1}, {"batch_size": 30}, {"optimizer": "adam"},
     {"regularization": "l2", "regularization_rate": 0.01}, {"loss": "cross_entropy"}],
)
def test_a_training_setting_keeps_the_network(change):
    run = Run(Config())
    run.train(10)
    weights = jax.device_get(run.state.params)
    assert not run.reconfigure(run.config.model_copy(update=change))
    assert run.epoch == 10
    for a, b in zip(weights, jax.device_get(run.state.params)):
        np.testing.assert_array_equal(a, b)
    assert run.train(5).epoch == 15


@pytest.mark.parametrize(
    "change",
    [{"dataset": "xor"}, {"noise": 20.0}, {"num_samples": 300}, {"features": ["x1"]}, {"hidden_layers": [3, 3]},
     {"activation": "relu"}, {"init": "he"}, {"init_scale": 2.0}, {"seed": 9}, {"train_fraction": 0.3}],
)
def test_a_network_setting_starts_again(change):
    run = Run(Config())
    run.train(10)
    assert run.reconfigure(run.config.model_copy(update=change))
    assert run.epoch == 0 and len(run.history) == 0
    snap = run.train(0)
    assert snap.epoch == 0
    assert len(snap.train_points) == round(run.config.num_samples * run.config.train_fraction)


def test_cross_entropy_reads_a_sigmoid_output_in_label_units():
    run = Run(Config(loss="cross_entropy"))
    snap = run.train(KNOWN_EPOCHS)
    assert snap.test_accuracy >= 0.95
    assert np.all(np.abs(snap.output) <= 1) and snap.output.min() < -0.5 < 0.5 < snap.output.max()


def test_changing_the_optimizer_starts_its_state_afresh():
    run = Run(Config(optimizer="adam", learning_rate=0.01))
    run.train(5)
    moments = lambda: jax.tree.leaves(jax.device_get(run.state.opt_states[OPTIMIZER_INDEX["adam"]]))
    assert any(np.any(m) for m in moments())
    run.reconfigure(run.config.model_copy(update={"optimizer": "sgd"}))
    assert not any(np.any(m) for m in moments())


def test_regression_reports_no_accuracy():
    snap = Run(Config(dataset="multigauss")).train(5)
    assert snap.train_accuracy is None and snap.test_accuracy is None
    assert snap.probe_accuracy == [None, None] and snap.input_probe_accuracy is None
    assert np.isfinite(snap.train_loss)
