"""Losses, penalties and their gradients; what the optimisers and regularisers do to the weights."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from backend.engine import training
from backend.engine.config import Config
from backend.engine.network import ACTIVATIONS, Params, make_arch, weight_masks
from backend.engine.run import Run
from backend.engine.training import LOSSES, OPTIMIZERS, REGULARIZATIONS, Hyper

from . import reference

FEATURES = ("x1", "sin_x2")  # two features whose registry columns are not adjacent
HIDDEN = [3, 2]
POINTS = 24  # points in the gradient checks, of which MASKED are left out of the loss
MASKED = 5
STEP = 1e-6  # central-difference step, in float64
GRAD_TOL = dict(rtol=1e-6, atol=1e-9)

# (loss, output activation, regression): the three pairings the engine uses
HEADS = {
    "squared-tanh": ("squared", "tanh", False),
    "cross_entropy-sigmoid": ("cross_entropy", "sigmoid", False),
    "squared-linear": ("squared", "linear", True),
}

_objective = jax.jit(training.objective)
_gradient = jax.jit(training.gradient)


def hyper(loss="squared", regularization="none", rate=0.0, dtype=jnp.float32) -> Hyper:
    return Hyper(
        learning_rate=jnp.asarray(0.1, dtype),
        batch_size=jnp.asarray(10, jnp.int32),
        optimizer=jnp.asarray(0, jnp.int32),
        loss=jnp.asarray(LOSSES.index(loss), jnp.int32),
        regularization=jnp.asarray(REGULARIZATIONS.index(regularization), jnp.int32),
        regularization_rate=jnp.asarray(rate, dtype),
    )


def problem(seed: int, regression: bool, hidden=HIDDEN):
    """A random small network and batch, the batch's last MASKED points masked out."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(-6, 6, (POINTS, 2))
    labels = rng.uniform(-1, 1, POINTS) if regression else rng.choice([-1.0, 1.0], POINTS)
    mask = np.ones(POINTS)
    mask[-MASKED:] = 0.0
    net = reference.random_net(rng, len(FEATURES), hidden)
    return net, points, labels, mask


def central_differences(objective, params: Params, real: Params) -> Params:
    """(f(p + STEP) − f(p − STEP)) / 2·STEP for every parameter where `real`; zero elsewhere."""
    numeric = [np.zeros_like(p) for p in params]
    for leaf, (p, r) in enumerate(zip(params, real)):
        for index in filter(r.__getitem__, np.ndindex(np.shape(p))):
            shifted = [np.array(q) for q in params]
            shifted[leaf][index] += STEP
            up = objective(Params(*shifted))
            shifted[leaf][index] -= 2 * STEP
            numeric[leaf][index] = (up - objective(Params(*shifted))) / (2 * STEP)
    return Params(*numeric)


def check_gradient(activation, head, regularization="none", rate=0.0, hidden=HIDDEN, seed=0):
    """The engine's backpropagation against central differences of its objective and the numpy backpropagation."""
    loss, output, regression = HEADS[head]
    net, points, labels, mask = problem(seed, regression, hidden)
    inputs = reference.features_of(points, FEATURES)
    expected = reference.gradients(net, inputs, labels, mask, activation, output, loss, regularization, rate)
    expected_value = reference.objective(net, inputs, labels, mask, activation, output, loss, regularization, rate)
    params = reference.pad(net, FEATURES)
    with jax.enable_x64(True):
        arch = make_arch(FEATURES, hidden, activation, output)
        h = hyper(loss, regularization, rate, jnp.float64)
        args = (arch, h, jnp.asarray(reference.padded_inputs(points, FEATURES)), jnp.asarray(labels), jnp.asarray(mask))
        objective = lambda p: float(_objective(jax.tree.map(jnp.asarray, p), *args))
        grads = jax.tree.map(np.asarray, _gradient(jax.tree.map(jnp.asarray, params), *args))
        value = objective(params)
        real = Params(*(np.broadcast_to(np.asarray(m) != 0, np.shape(p)) for m, p in zip(weight_masks(arch), params)))
        numeric = central_differences(objective, params, real)

    np.testing.assert_allclose(value, expected_value, rtol=1e-12)
    for got, want in zip(grads, numeric):
        np.testing.assert_allclose(got, want, **GRAD_TOL)
    got = reference.unpad(Params(*grads), FEATURES, hidden)
    for got_w, want_w in zip(got.weights + got.biases, expected.weights + expected.biases):
        np.testing.assert_allclose(got_w, want_w, **GRAD_TOL)
    # The padding takes no gradient: every entry outside the real network is exactly zero.
    for g, r in zip(grads, real):
        assert np.all(g[~r] == 0)


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradient_matches_finite_differences_and_numpy(activation, head):
    check_gradient(activation, head)


@pytest.mark.parametrize("regularization", ["l1", "l2"])
@pytest.mark.parametrize("head", HEADS)
def test_penalised_gradient_matches_finite_differences_and_numpy(regularization, head):
    check_gradient("tanh", head, regularization, rate=0.03)


@pytest.mark.parametrize("head", HEADS)
def test_linear_model_gradient_matches_finite_differences_and_numpy(head):
    check_gradient("tanh", head, hidden=[])


def test_penalty_ignores_biases_and_padding():
    net, *_ = problem(1, False)
    params = reference.pad(net, FEATURES, np.float32)
    arch = make_arch(FEATURES, HIDDEN, "tanh", "tanh")
    # Filling the padding and the biases with junk changes no penalty.
    padding = 1 - np.asarray(weight_masks(arch).w)
    junk = Params(params.w + 7.0 * padding, params.b + 3.0, params.w_out, params.b_out + 5.0)
    for name in REGULARIZATIONS:
        want = reference.penalty(net, name, 0.2)
        for p in (params, junk):
            got = training.penalty(jax.tree.map(jnp.asarray, p), arch, hyper(regularization=name, rate=0.2))
            np.testing.assert_allclose(float(got), want, rtol=1e-5)


# --- Training through the compiled program (depth 2 only: see tests/engine/test_program.py) ---


def custom_config(n_points: int, **changes) -> Config:
    rng = np.random.default_rng(3)
    points = rng.uniform(-5, 5, (n_points, 2))
    labels = np.where(np.hypot(points[:, 0], points[:, 1]) < 3, 1.0, -1.0)
    labels[:2] = [1.0, -1.0]
    custom = [[float(a), float(b), float(c)] for (a, b), c in zip(points, labels)]
    return Config(dataset="custom", custom_points=custom, **changes)


def test_an_epoch_with_one_batch_is_one_full_batch_gradient_step():
    """Each epoch visits every training point exactly once: with batch ≥ n_train that is plain gradient descent."""
    config = custom_config(40, batch_size=32, learning_rate=0.5)
    run = Run(config)
    before = reference.unpad(run.state.params, config.features, config.hidden_layers)
    d = run.dataset
    inputs = reference.features_of(d.x[d.train].astype(np.float64), config.features)
    grads = reference.gradients(before, inputs, d.y[d.train], np.ones(d.n_train), "tanh", "tanh", "squared")
    run.train(1)
    after = reference.unpad(run.state.params, config.features, config.hidden_layers)
    for b, g, a in zip(before.weights + before.biases, grads.weights + grads.biases, after.weights + after.biases):
        np.testing.assert_allclose(a, b - config.learning_rate * g, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_lowers_the_training_loss(optimizer):
    run = Run(Config(optimizer=optimizer, learning_rate=0.01 if optimizer != "sgd" else 0.03))
    start = run.train(0).train_loss
    assert run.train(50).train_loss < 0.5 * start


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_the_named_optimizer_is_the_one_applied(optimizer):
    """Three steps through training.apply_optimizer move the parameters exactly as optax's own optimiser does."""
    import optax

    index = jnp.asarray(training.OPTIMIZER_INDEX[optimizer], jnp.int32)
    rng = np.random.default_rng(0)
    params = jnp.asarray(rng.normal(size=7), jnp.float32)
    reference_opt = {"sgd": optax.sgd(0.1), "momentum": optax.sgd(0.1, momentum=0.9), "adam": optax.adam(0.1)}[optimizer]
    states = training.init_opt_states(params)
    ours, theirs, reference_state = params, params, reference_opt.init(params)
    for _ in range(3):
        grads = jnp.asarray(rng.normal(size=7), jnp.float32)
        updates, states = training.apply_optimizer(index, jnp.float32(0.1), grads, states, ours)
        ours = ours + updates
        expected, reference_state = reference_opt.update(grads, reference_state, theirs)
        theirs = theirs + expected
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)  # float32, fused or not


def test_a_short_last_batch_is_averaged_over_its_own_points():
    """21 copies of one point in batches of 20: the epoch's second batch holds one point, so each of the
    two steps is one full gradient step on that point (sgd); a mean over the wrong count would shrink the second."""
    from backend.engine.features import compute_features
    from backend.engine.network import MAX_WIDTH, init_params

    arch = make_arch(["x1", "x2"], [3], "tanh", "tanh")
    settings = hyper()._replace(batch_size=jnp.asarray(20, jnp.int32))  # sgd at 0.1
    params = init_params(np.random.default_rng(0), arch, "playground", 1.0)
    zeros = jax.tree.map(jnp.zeros_like, params)
    state = training.TrainState(params, training.init_opt_states(params), jax.random.PRNGKey(1), zeros)
    xy = jnp.asarray([[1.5, -2.0]], jnp.float32)
    point = compute_features(xy, arch.feature_mask, MAX_WIDTH)
    slots, n_train = 32, 21
    train = (jnp.arange(slots) < n_train).astype(jnp.float32)
    data = training.Data(jnp.repeat(point, slots, 0), jnp.repeat(xy, slots, 0), jnp.ones(slots), train, 1.0 - train, 0.0)
    trained = jax.jit(training.train_epochs)(state, arch, settings, data, jnp.asarray(1))

    expected = params
    for _ in range(2):
        grads = _gradient(expected, arch, settings, point, jnp.ones(1), jnp.ones(1))
        expected = jax.tree.map(lambda p, g: p - 0.1 * g, expected, grads)
    for got, want in zip(jax.tree.leaves(trained.params), jax.tree.leaves(expected)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("batch", [training.CHUNK - 3, 2 * training.CHUNK + 5, training.MAX_BATCH])
def test_a_step_is_one_gradient_step_on_its_whole_batch(batch):
    """A batch taken in chunks of CHUNK points (the last one partly masked) moves the weights exactly as one
    gradient step over all its points, penalty included (sgd, the whole training set in one batch)."""
    from backend.engine.features import compute_features
    from backend.engine.network import MAX_WIDTH, init_params

    arch = make_arch(["x1", "x2", "x1_x2"], [5, 3], "tanh", "tanh")
    settings = hyper(regularization="l2", rate=0.01)._replace(batch_size=jnp.asarray(batch, jnp.int32))
    params = init_params(np.random.default_rng(2), arch, "playground", 1.0)
    zeros = jax.tree.map(jnp.zeros_like, params)
    state = training.TrainState(params, training.init_opt_states(params), jax.random.PRNGKey(3), zeros)
    rng = np.random.default_rng(batch)
    slots = 80
    xy = jnp.asarray(rng.uniform(-6, 6, (slots, 2)), jnp.float32)
    labels = jnp.asarray(rng.choice([-1.0, 1.0], slots), jnp.float32)
    inputs = compute_features(xy, arch.feature_mask, MAX_WIDTH)
    train = (jnp.arange(slots) < batch).astype(jnp.float32)
    data = training.Data(inputs, xy, labels, train, 1.0 - train, 0.0)
    trained = jax.jit(training.train_epochs)(state, arch, settings, data, jnp.asarray(1))

    grads = _gradient(params, arch, settings, inputs[:batch], labels[:batch], jnp.ones(batch))
    expected = jax.tree.map(lambda p, g: p - 0.1 * g, params, grads)
    for got, want in zip(jax.tree.leaves(trained.params), jax.tree.leaves(expected)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def weight_norm(run: Run) -> float:
    weights, _ = run.weights()
    return float(np.sqrt(sum(np.sum(w**2) for w in weights)))


def test_l2_shrinks_the_weights():
    plain = Run(Config(seed=4))
    shrunk = Run(Config(seed=4, regularization="l2", regularization_rate=0.3))
    plain.train(100)
    shrunk.train(100)
    assert weight_norm(shrunk) < 0.5 * weight_norm(plain)


def test_l1_zeroes_small_weights():
    plain = Run(Config(seed=4, hidden_layers=[8, 8]))
    sparse = Run(Config(seed=4, hidden_layers=[8, 8], regularization="l1", regularization_rate=0.03))
    plain.train(200)
    sparse.train(200)
    small = lambda run: np.mean(np.concatenate([np.abs(w).ravel() for w in run.weights()[0]]) < 1e-2)
    assert small(sparse) > small(plain) + 0.2


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_padding_stays_exactly_zero_while_training(optimizer):
    run = Run(Config(hidden_layers=[5, 3], optimizer=optimizer, regularization="l1", regularization_rate=0.01))
    run.train(30)
    run.reconfigure(run.config.model_copy(update={"regularization": "l2"}))
    run.train(30)
    masks = jax.device_get(weight_masks(run.arch))
    params = jax.device_get(run.state.params)
    for p, m in zip(params, masks):
        assert np.all(np.asarray(p)[np.broadcast_to(m, np.shape(p)) == 0] == 0)
    assert np.all(np.isfinite(params.w))


def test_point_loss_cross_entropy_matches_its_definition():
    logit = np.linspace(-8, 8, 33)
    for label in (-1.0, 1.0):
        p = 1.0 / (1.0 + np.exp(-logit))
        want = -np.log(p) if label > 0 else -np.log(1 - p)
        got = training.point_loss(jnp.asarray(1), jnp.asarray(logit, jnp.float32), jnp.asarray(p, jnp.float32), label)
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-4, atol=1e-6)


def test_fresh_optimiser_states_are_what_optax_starts_from():
    """A change of optimiser zeroes the states on the host (fresh_opt_states) instead of asking optax: that
    must be exactly optax's own start, for any weights."""
    run = Run(Config(optimizer="adam", hidden_layers=[5, 3]))
    run.train(5)  # every state under way: adam's count and moments, momentum's trace
    opt_states = run.state.opt_states
    assert any(np.any(np.asarray(leaf)) for leaf in jax.tree.leaves(opt_states))
    want = training.init_opt_states(jax.tree.map(jnp.asarray, run.state.params))
    got = training.fresh_opt_states(opt_states)
    assert jax.tree.structure(got) == jax.tree.structure(want)
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, np.asarray(w))
