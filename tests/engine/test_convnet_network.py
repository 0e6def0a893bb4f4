"""The convolutional network: convolution and pooling against numpy loops, gradients against central
differences, receptive fields against the pixels each unit really depends on, and the shapes, bounds and
initialisation of its parameters."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from backend.engine.convnet.network import (
    Conv,
    Layer,
    convolve,
    forward,
    init_params,
    make_shape,
    pool,
    receptive_field,
    receptive_fields,
)
from backend.engine.network import ACTIVATION_INDEX

F32 = dict(rtol=1e-5, atol=1e-5)
GRAD_TOL = dict(rtol=1e-6, atol=1e-9)  # float64 central differences: their error is far below this
STEP = 1e-5  # of a central difference, in float64
DEFAULT = make_shape(8, 10, [(8, 3, "max"), (16, 3, "max")], [32])


def correlate_by_loops(maps: np.ndarray, filters: np.ndarray) -> np.ndarray:
    """'same' cross-correlation, zero outside the maps, p = kernel // 2:
    out[n, r, c, f] = Σ maps[n, r + i - p, c + j - p, ch] w[i, j, ch, f]."""
    n, side, _, channels = maps.shape
    kernel, _, _, count = filters.shape
    reach = kernel // 2
    out = np.zeros((n, side, side, count))
    for image in range(n):
        for row in range(side):
            for col in range(side):
                for i in range(kernel):
                    for j in range(kernel):
                        r, c = row + i - reach, col + j - reach
                        if 0 <= r < side and 0 <= c < side:
                            out[image, row, col] += maps[image, r, c] @ filters[i, j]
    return out


def pool_by_loops(maps: np.ndarray, reduce) -> np.ndarray:
    n, side, _, channels = maps.shape
    out = np.zeros((n, side // 2, side // 2, channels))
    for row in range(side // 2):
        for col in range(side // 2):
            block = maps[:, 2 * row : 2 * row + 2, 2 * col : 2 * col + 2]
            out[:, row, col] = reduce(block.reshape(n, 4, channels), axis=1)
    return out


def random_params(rng: np.random.Generator, shape, dtype=np.float32) -> tuple:
    """Every weight and bias drawn from a normal: none zero, none shared."""
    return tuple(Layer(rng.normal(0.0, 0.5, w).astype(dtype), rng.normal(0.0, 0.5, w[-1]).astype(dtype))
                 for w in shape.weight_shapes())


@pytest.mark.parametrize("kernel", [3, 5])
@pytest.mark.parametrize("channels", [1, 3])
def test_convolve_is_a_zero_padded_cross_correlation(channels, kernel):
    rng = np.random.default_rng(10 * channels + kernel)
    maps = rng.normal(size=(2, 7, 7, channels)).astype(np.float32)
    filters = rng.normal(size=(kernel, kernel, channels, 4)).astype(np.float32)
    got = convolve(jnp.asarray(maps), jnp.asarray(filters))
    assert got.shape == (2, 7, 7, 4)
    np.testing.assert_allclose(got, correlate_by_loops(maps, filters), **F32)


def test_pooling_takes_each_two_by_two_blocks_maximum_or_mean():
    maps = np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype(np.float32)
    np.testing.assert_allclose(pool(jnp.asarray(maps), "max"), pool_by_loops(maps, np.max), **F32)
    np.testing.assert_allclose(pool(jnp.asarray(maps), "average"), pool_by_loops(maps, np.mean), **F32)
    np.testing.assert_array_equal(pool(jnp.asarray(maps), "none"), maps)


def test_forward_matches_numpy():
    """Convolution, activation and pooling per layer, the maps flattened row by row (channels fastest), then
    the dense layers and the logits."""
    shape = make_shape(8, 4, [(3, 3, "max"), (2, 5, "none"), (4, 3, "average")], [6, 5])
    rng = np.random.default_rng(1)
    params = random_params(rng, shape)
    x = rng.uniform(0.0, 1.0, (3, 8, 8)).astype(np.float32)
    got = forward(params, shape, np.int32(ACTIVATION_INDEX["relu"]), jnp.asarray(x))
    relu = lambda z: np.maximum(z, 0.0)
    x = x[..., None]
    for index, (layer, conv) in enumerate(zip(params, shape.conv)):
        x = relu(correlate_by_loops(x, layer.w) + layer.b)
        np.testing.assert_allclose(got.maps[index], x, **F32)
        x = {"none": x, "max": pool_by_loops(x, np.max), "average": pool_by_loops(x, np.mean)}[conv.pooling]
        np.testing.assert_allclose(got.pooled[index], x, **F32)
    x = x.reshape(len(x), -1)
    for index, layer in enumerate(params[len(shape.conv) : -1]):
        x = relu(x @ layer.w + layer.b)
        np.testing.assert_allclose(got.dense[index], x, **F32)
    np.testing.assert_allclose(got.logits, x @ params[-1].w + params[-1].b, **F32)


def test_gradients_match_central_differences():
    """Every weight and bias's gradient of a softmax cross-entropy, through one-channel and many-channel
    convolutions, max and average pooling and a dense layer, in float64. tanh is smooth, so max pooling's
    choice is the only kink; the inputs are random, and no pooling window comes near a tie."""
    shape = make_shape(8, 4, [(3, 3, "max"), (4, 5, "average")], [5])
    rng = np.random.default_rng(2)
    with jax.enable_x64(True):
        params = jax.tree.map(jnp.asarray, random_params(rng, shape, np.float64))
        images = jnp.asarray(rng.uniform(0.0, 1.0, (3, 8, 8)))
        labels = jnp.asarray([0, 3, 1])
        tanh = np.int32(ACTIVATION_INDEX["tanh"])

        def loss(p):
            logits = forward(p, shape, tanh, images).logits
            return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(3), labels])

        maps = np.asarray(forward(params, shape, tanh, images).maps[0])
        windows = np.sort(maps.reshape(3, 4, 2, 4, 2, 3).transpose(0, 1, 3, 5, 2, 4).reshape(-1, 4), axis=1)
        # A step moves a map by at most a few STEPs (pixels < 1, tanh' ≤ 1): no window's maximum changes hands.
        assert np.min(windows[:, -1] - windows[:, -2]) > 10 * STEP

        grads = jax.jit(jax.grad(loss))(params)
        flat, unravel = ravel_pytree(params)
        steps = STEP * jnp.eye(len(flat))
        shifted = jax.jit(jax.vmap(lambda d: loss(unravel(flat + d)) - loss(unravel(flat - d))))(steps)
        numeric = unravel(shifted / (2 * STEP))
        assert flat.dtype == jnp.float64 and shifted.dtype == jnp.float64

    for index, (got, want) in enumerate(zip(grads, numeric)):
        for name in ("w", "b"):
            g, n = np.asarray(getattr(got, name)), np.asarray(getattr(want, name))
            assert np.abs(n).max() > 1e-4, (index, name)  # every parameter matters to the loss
            np.testing.assert_allclose(g, n, **GRAD_TOL, err_msg=f"layer {index} {name}")


def boxes(shape, layer: int, pooled: bool, side: int) -> np.ndarray:
    """(side, side, 4): receptive_field of every unit."""
    return np.asarray([[receptive_field(shape, layer, pooled, r, c) for c in range(side)] for r in range(side)])


def inside(boxes: np.ndarray, image_side: int) -> np.ndarray:
    """(side, side, image side, image side): True where the pixel lies in the unit's box."""
    pixels = np.arange(image_side)
    rows = (boxes[..., 0, None] <= pixels) & (pixels < boxes[..., 2, None])
    cols = (boxes[..., 1, None] <= pixels) & (pixels < boxes[..., 3, None])
    return rows[..., :, None] & cols[..., None, :]


def bounding_boxes(depends: np.ndarray) -> np.ndarray:
    """(side, side, 4): the smallest (top, left, bottom, right) holding every pixel a unit depends on."""
    rows, cols = depends.any(axis=3), depends.any(axis=2)  # (side, side, image side)
    n = depends.shape[-1]
    first = lambda a: a.argmax(axis=-1)
    return np.stack([first(rows), first(cols), n - first(rows[..., ::-1]), n - first(cols[..., ::-1])], axis=-1)


def dependences(shape, params, image) -> tuple[list, list]:
    """Per convolutional layer, (side, side, filters, image side, image side): True where a unit of its
    maps (before pooling; after it) has a nonzero derivative with respect to the pixel, at this image."""
    linear = np.int32(ACTIVATION_INDEX["linear"])
    jacobian = jax.jit(jax.jacfwd(lambda x: forward(params, shape, linear, x[None])))(jnp.asarray(image))
    mask = lambda j: np.asarray(j)[0] != 0
    return [mask(j) for j in jacobian.maps], [mask(j) for j in jacobian.pooled]


def with_average(shape):
    """The same shape with average pooling wherever it pools at all."""
    conv = [Conv(c.filters, c.kernel, "average" if c.pooling == "max" else c.pooling) for c in shape.conv]
    return make_shape(shape.side, shape.classes, conv, shape.dense)


def shape_id(value) -> str:
    return f"side{value}" if isinstance(value, int) else "-".join(f"{k}{pooling}" for _, k, pooling in value)


RECEPTIVE_SHAPES = [
    (16, [(2, 3, "average"), (3, 5, "none"), (2, 3, "average")]),
    (16, [(2, 5, "max"), (2, 3, "average"), (2, 5, "max")]),
    (8, [(2, 3, "none"), (2, 5, "average"), (2, 3, "max")]),
    (8, [(3, 5, "max"), (2, 3, "max")]),
]


@pytest.mark.parametrize("side, conv", RECEPTIVE_SHAPES, ids=shape_id)
def test_receptive_fields_are_the_pixels_each_unit_depends_on(side, conv):
    """A linear network with average pooling depends, at any image, on every pixel of a unit's field and on
    no other: the field is exactly the nonzero entries of the unit's Jacobian. Max pooling has the same
    fields (a maximum may come from any pixel of its window) but, at one image, depends on a part of them."""
    shape = make_shape(side, 3, conv, [])
    smooth = with_average(shape)
    rng = np.random.default_rng(side)
    params = random_params(rng, shape)
    image = rng.uniform(0.0, 1.0, (side, side)).astype(np.float32)
    sides = shape.sides()
    tables = receptive_fields(shape)
    exact_maps, exact_pooled = dependences(smooth, params, image)
    real_maps, real_pooled = dependences(shape, params, image)
    for layer in range(len(shape.conv)):
        for pooled, exact, real, s in ((False, exact_maps, real_maps, sides[layer]),
                                       (True, exact_pooled, real_pooled, sides[layer + 1])):
            where = (layer, "pooled" if pooled else "maps")
            want = boxes(shape, layer, pooled, s)
            np.testing.assert_array_equal(tables[layer][where[1]], want, err_msg=str(where))
            np.testing.assert_array_equal(boxes(smooth, layer, pooled, s), want, err_msg=str(where))
            for depends in np.moveaxis(exact[layer], 2, 0):  # each filter alike
                np.testing.assert_array_equal(bounding_boxes(depends), want, err_msg=str(where))
                assert np.array_equal(depends, inside(want, side)), where  # every pixel of the box
            # Max pooling, at this image: within the box, and on some pixel.
            assert not np.any(real[layer] & ~inside(want, side)[:, :, None]), where
            assert np.all(real[layer].any(axis=(3, 4))), where


def test_receptive_fields_grow_by_the_kernel_and_double_with_pooling():
    """Known boxes: a 3 × 3 unit away from the edges, the 2 × 2 pooling window's 4 × 4, and the clipping."""
    shape = make_shape(16, 2, [(1, 3, "max"), (1, 5, "none")], [])
    assert receptive_field(shape, 0, False, 5, 7) == (4, 6, 7, 9)
    assert receptive_field(shape, 0, True, 3, 4) == (5, 7, 9, 11)
    assert receptive_field(shape, 0, False, 0, 15) == (0, 14, 2, 16)
    # Unit (3, 4) of layer 1 reads rows 1–5, columns 2–6 of layer 0's pooled map, so rows 2–11 and
    # columns 4–13 of its maps.
    assert receptive_field(shape, 1, False, 3, 4) == (1, 3, 13, 15)
    assert receptive_field(shape, 1, True, 3, 4) == receptive_field(shape, 1, False, 3, 4)


def test_parameter_counts():
    assert make_shape(8, 10, [(8, 3, "none")], []).parameter_counts()[0] == 3 * 3 * 1 * 8 + 8 == 80
    assert make_shape(8, 10, [], [32]).parameter_counts() == [64 * 32 + 32, 32 * 10 + 10]
    pooled = make_shape(8, 3, [(4, 5, "average")], [7])
    assert pooled.parameter_counts() == [5 * 5 * 1 * 4 + 4, 4 * 4 * 4 * 7 + 7, 7 * 3 + 3]
    assert DEFAULT.parameter_counts() == [80, 1168, 2080, 330]
    assert DEFAULT.sides() == [8, 4, 2] and DEFAULT.channels() == [1, 8, 16] and DEFAULT.flat() == 64
    assert DEFAULT.weight_shapes() == [(3, 3, 1, 8), (3, 3, 8, 16), (64, 32), (32, 10)]


def test_make_shape_accepts_the_bounds():
    widest = make_shape(8, 10, [(16, 5, "max"), (16, 5, "average"), (16, 3, "max")], [64, 1])
    assert widest.sides() == [8, 4, 2, 1] and widest.flat() == 16
    assert make_shape(8, 10, [(1, 3, "none")], [64, 64]).conv == (Conv(1, 3, "none"),)


@pytest.mark.parametrize("side, conv, dense", [
    pytest.param(8, [(8, 3, "none")] * 4, [], id="4 conv layers"),
    pytest.param(8, [], [8, 8, 8], id="3 dense layers"),
    pytest.param(8, [(17, 3, "none")], [], id="17 filters"),
    pytest.param(8, [(0, 3, "none")], [], id="0 filters"),
    pytest.param(8, [(8, 4, "none")], [], id="kernel 4"),
    pytest.param(8, [(8, 1, "none")], [], id="kernel 1"),
    pytest.param(8, [(8, 3, "min")], [], id="min pooling"),
    pytest.param(8, [], [65], id="65 units"),
    pytest.param(8, [], [0], id="0 units"),
    pytest.param(6, [(8, 3, "max"), (8, 3, "max")], [], id="pooling a 3x3 map"),
])
def test_make_shape_refuses_values_out_of_bounds(side, conv, dense):
    with pytest.raises(ValueError):
        make_shape(side, 10, conv, dense)


def test_init_params_match_the_weight_shapes_and_the_seed():
    params = init_params(np.random.default_rng(0), DEFAULT, "xavier", 1.0)
    assert [layer.w.shape for layer in params] == DEFAULT.weight_shapes()
    assert [layer.b.shape for layer in params] == [(8,), (16,), (32,), (10,)]
    assert all(layer.w.dtype == layer.b.dtype == np.float32 for layer in params)
    again = init_params(np.random.default_rng(0), DEFAULT, "xavier", 1.0)
    other = init_params(np.random.default_rng(1), DEFAULT, "xavier", 1.0)
    halved = init_params(np.random.default_rng(0), DEFAULT, "xavier", 0.5)
    for layer, same, different, half in zip(params, again, other, halved):
        np.testing.assert_array_equal(layer.w, same.w)
        assert np.all(layer.w != different.w)
        np.testing.assert_allclose(half.w, 0.5 * layer.w, rtol=1e-6, atol=0)
    playground = init_params(np.random.default_rng(0), DEFAULT, "playground", 1.0)
    assert all(np.all(layer.b == np.float32(0.1)) for layer in playground)


def test_he_init_spread_follows_the_fan_in():
    """He et al. (2015): standard deviation sqrt(2 / fan_in), a filter's fan-in kernel² × channels in (9,
    then 25 × 8), a dense layer's its inputs (4 × 4 × 16); the fan-outs differ enough to tell apart."""
    shape = make_shape(8, 10, [(8, 3, "max"), (16, 5, "none")], [32])
    fan_in = [3 * 3 * 1, 5 * 5 * 8, 4 * 4 * 16, 32]
    draws = [init_params(np.random.default_rng(seed), shape, "he", 1.0) for seed in range(40)]
    for index, fan in enumerate(fan_in):
        weights = np.concatenate([params[index].w.ravel() for params in draws])
        np.testing.assert_allclose(weights.std(), np.sqrt(2.0 / fan), rtol=0.05, err_msg=f"layer {index}")
        assert abs(weights.mean()) < 0.1 * np.sqrt(2.0 / fan), index
        assert all(np.all(params[index].b == 0) for params in draws)
