"""The padded network: forward pass, activation slopes and the initialisers."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from backend.engine import program
from backend.engine.network import (
    ACTIVATION_INDEX,
    ACTIVATIONS,
    MAX_LAYERS,
    MAX_WIDTH,
    OUTPUT_ACTIVATIONS,
    activate_with_derivative,
    forward,
    make_arch,
    relative_slope,
    sum_over_points,
    weight_masks,
)

from . import reference

FEATURES = ("x2", "x1_squared", "sin_x1")
HIDDEN = [5, 3]
F32 = dict(rtol=1e-5, atol=1e-5)

_forward = jax.jit(forward)


@pytest.mark.parametrize("output", ["tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_forward_matches_numpy(activation, output):
    rng = np.random.default_rng(ACTIVATION_INDEX[activation])
    net = reference.random_net(rng, len(FEATURES), HIDDEN)
    points = rng.uniform(-6, 6, (50, 2))
    arch = make_arch(FEATURES, HIDDEN, activation, output)
    inputs = reference.padded_inputs(points, FEATURES).astype(np.float32)
    got = _forward(reference.pad(net, FEATURES, np.float32), arch, jnp.asarray(inputs))
    want = reference.forward(net, reference.features_of(points, FEATURES), activation, output)
    np.testing.assert_allclose(got.logit, want.logit, **F32)
    np.testing.assert_allclose(got.output, want.output, **F32)
    np.testing.assert_allclose(got.output_derivative, reference.ACTIVATIONS[output][1](want.logit), **F32)
    derivative = reference.ACTIVATIONS[activation][1]
    for layer, width in enumerate(HIDDEN):
        np.testing.assert_allclose(got.hidden[layer][:, :width], want.hidden[layer], **F32)
        np.testing.assert_allclose(got.derivatives[layer][:, :width], derivative(want.pre[layer]), **F32)
        # Padded units are silent even where the activation of zero is not (sigmoid(0) = ½), and have no slope.
        assert not np.any(np.asarray(got.hidden[layer])[:, width:])
        assert not np.any(np.asarray(got.derivatives[layer])[:, width:])


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_slope_is_the_derivative_relative_to_the_steepest(activation):
    derivative = reference.ACTIVATIONS[activation][1]
    z = np.linspace(-8, 8, 160)  # misses the kinks at 0, where one-sided derivatives disagree
    steepest = np.max(np.abs(derivative(np.linspace(-8, 8, 161))))
    index = jnp.asarray(ACTIVATION_INDEX[activation])
    got = np.asarray(relative_slope(index, activate_with_derivative(index, jnp.asarray(z, jnp.float32))[1]))
    # "1 = fully live, 0 = flat": the size of the derivative, whatever its sign (sin's slope turns negative).
    want = np.abs(derivative(z)) / steepest
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert np.all((0 <= got) & (got <= 1 + 1e-6))


# --- Initialisers -----------------------------------------------------------

INIT_HIDDEN = [16, 16]
INIT_FEATURES = ("x1", "x2")
INIT_SEEDS = 24  # pooled draws, so that a spread is known to a few percent


def initial(init: str, scale: float = 1.0, hidden=INIT_HIDDEN, seeds=INIT_SEEDS):
    """Stacked real weights of fresh networks from many keys: per weight layer (seeds, fan_in, fan_out)."""
    arch = make_arch(INIT_FEATURES, hidden, "tanh", "tanh")
    nets = []
    for seed in range(seeds):
        state = program.STATE.unpack_host(program.new_state(seed, arch, init, scale))
        nets.append(reference.unpad(state.params, INIT_FEATURES, hidden))
        masks = jax.device_get(weight_masks(arch))
        for p, m in zip(jax.device_get(state.params), masks):
            assert np.all(np.asarray(p)[np.broadcast_to(m, np.shape(p)) == 0] == 0)
    weights = [np.stack([net.weights[layer] for net in nets]) for layer in range(len(hidden) + 1)]
    biases = [np.stack([net.biases[layer] for net in nets]) for layer in range(len(hidden) + 1)]
    return weights, biases


def fans(hidden=INIT_HIDDEN):
    sizes = [len(INIT_FEATURES), *hidden, 1]
    return list(zip(sizes[:-1], sizes[1:]))


def test_playground_init_is_uniform_in_half_with_biases_a_tenth():
    weights, biases = initial("playground")
    for w in weights:
        assert np.abs(w).max() <= 0.5
        np.testing.assert_allclose(w.std(), 1 / np.sqrt(12), rtol=0.15)
    for b in biases:
        np.testing.assert_allclose(b, 0.1)


@pytest.mark.parametrize(
    "init, spread, bound",
    [
        # Glorot and Bengio 2010: uniform within ±√(6 / (fan_in + fan_out))
        ("xavier", lambda fi, fo: np.sqrt(2 / (fi + fo)), lambda fi, fo: np.sqrt(6 / (fi + fo))),
        ("he", lambda fi, fo: np.sqrt(2 / fi), None),  # He et al. 2015
        ("lecun", lambda fi, fo: np.sqrt(1 / fi), None),  # LeCun et al. 1998
    ],
)
def test_scaled_inits_follow_the_real_fan_in_and_fan_out(init, spread, bound):
    weights, biases = initial(init)
    for w, (fan_in, fan_out) in zip(weights, fans()):
        np.testing.assert_allclose(w.std(), spread(fan_in, fan_out), rtol=0.15)
        if bound is not None:
            assert np.abs(w).max() <= bound(fan_in, fan_out) + 1e-6
    for b in biases:
        assert not np.any(b)


def test_init_scale_multiplies_the_weights_only():
    base_w, base_b = initial("playground", 1.0, seeds=2)
    scaled_w, scaled_b = initial("playground", 3.0, seeds=2)
    for a, b in zip(base_w, scaled_w):
        np.testing.assert_allclose(b, 3.0 * a, rtol=1e-6)
    for a, b in zip(base_b, scaled_b):
        np.testing.assert_array_equal(a, b)


def test_make_arch_masks_the_real_units():
    arch = make_arch(["x1", "sin_x2"], [3, 16, 1], "relu", "sigmoid")
    units = np.asarray(arch.unit_mask)
    assert units.shape == (MAX_LAYERS, MAX_WIDTH)
    assert units.sum(axis=1).tolist() == [3, 16, 1] + [0] * (MAX_LAYERS - 3)
    assert int(arch.depth) == 3
    assert int(arch.activation) == ACTIVATION_INDEX["relu"] and int(arch.output) == ACTIVATION_INDEX["sigmoid"]


def test_the_output_unit_is_linear_sigmoid_or_tanh():
    for output in OUTPUT_ACTIVATIONS:
        make_arch(["x1"], [2], "relu", output)
    with pytest.raises(ValueError, match="output unit"):
        make_arch(["x1"], [2], "tanh", "relu")


@pytest.mark.parametrize("points", [16, 48, 50, 512])
def test_a_sum_over_the_points_in_blocks_is_the_einsum(points):
    rng = np.random.default_rng(points)
    a, b = rng.normal(size=(3, points, 5)).astype(np.float32), rng.normal(size=(3, points, 4)).astype(np.float32)
    v = rng.normal(size=points).astype(np.float32)
    for spec, operands in (("lni,lnj->lij", (a, b)), ("lni,n->li", (a, v)), ("ni,nj->ij", (a[0], b[0])),
                           ("n,ni->i", (v, b[1]))):
        np.testing.assert_allclose(np.asarray(jax.jit(lambda *o: sum_over_points(spec, *o))(*operands)),
                                   np.einsum(spec, *operands), rtol=2e-5, atol=2e-5)
