"""What one frame shows, checked against the numpy network run on the snapshot's own weights."""
import numpy as np
import pytest

from backend.engine.config import Config
from backend.engine.frame import PROBE_RIDGE, SATURATED
from backend.engine.pictures import DENSITY, THUMBNAIL
from backend.engine.data import EXTENT
from backend.engine.features import FEATURES
from backend.engine.network import ACTIVATIONS
from backend.engine.run import Run

from . import reference

HIDDEN = [6, 2]  # a layer wide enough for principal axes, and one shown raw
F32 = dict(rtol=1e-4, atol=1e-4)


def cell_centres(cells: int) -> np.ndarray:
    """(cells², 2) centres of a grid over the plane, row by row from the top (x2 = +EXTENT)."""
    centres = -EXTENT + (2 * EXTENT / cells) * (np.arange(cells) + 0.5)
    x2, x1 = np.meshgrid(centres[::-1], centres, indexing="ij")
    return np.stack([x1.ravel(), x2.ravel()], axis=1)


def thumbnail_points() -> np.ndarray:
    """Where a thumbnail shows its neuron: the output-grid cell centre nearest each thumbnail cell's centre."""
    grid, wanted = cell_centres(DENSITY), cell_centres(THUMBNAIL)
    nearest = np.argmin(np.abs(wanted[:, None, :] - grid[None, :, :]).max(axis=-1), axis=1)
    assert np.abs(grid[nearest] - wanted).max() <= EXTENT / DENSITY  # within half an output cell
    return grid[nearest]


def numpy_pass(run: Run, points: np.ndarray) -> reference.Pass:
    c = run.config
    net = reference.Net(*run.weights())
    inputs = reference.features_of(points.astype(np.float64), c.features)
    return reference.forward(net, inputs, c.activation, c.output_activation)


def real_points(run: Run) -> np.ndarray:
    return np.concatenate([run.snapshot.train_points, run.snapshot.test_points])[:, :2]


@pytest.fixture(scope="module")
def trained() -> Run:
    run = Run(Config(hidden_layers=HIDDEN, features=["x1", "x2", "x1_x2"], dataset="xor", seed=1))
    run.train(20)
    return run


def test_frame_shapes_follow_the_network(trained):
    snap = trained.snapshot
    n = trained.config.num_samples
    assert snap.output.shape == (DENSITY, DENSITY)
    assert [a.shape for a in snap.neurons] == [(w, THUMBNAIL, THUMBNAIL) for w in HIDDEN]
    assert [w.shape for w in snap.weights] == [(3, 6), (6, 2), (2, 1)]
    assert [b.shape for b in snap.biases] == [(6,), (2,), (1,)]
    for per_layer in (snap.gradient_norms, snap.update_ratios, snap.saturation):
        assert per_layer.shape == (len(HIDDEN) + 1,)
    assert [p.shape for p in snap.projections] == [(n, 2)] * len(HIDDEN)
    assert len(snap.train_points) + len(snap.test_points) == n
    assert len(snap.probe_accuracy) == len(HIDDEN)
    for accuracy in [*snap.probe_accuracy, snap.input_probe_accuracy, snap.train_accuracy, snap.test_accuracy]:
        assert 0.0 <= accuracy <= 1.0


def test_output_grid_is_the_network_over_the_plane_top_row_first(trained):
    grid = cell_centres(DENSITY)
    want = numpy_pass(trained, grid).output.reshape(DENSITY, DENSITY)
    np.testing.assert_allclose(trained.snapshot.output, want, **F32)
    np.testing.assert_allclose(trained.predict(grid).reshape(DENSITY, DENSITY), want, **F32)


def test_neuron_thumbnails_are_each_unit_over_the_plane(trained):
    hidden = numpy_pass(trained, thumbnail_points()).hidden
    for got, want in zip(trained.snapshot.neurons, hidden):
        np.testing.assert_allclose(got, want.T.reshape(-1, THUMBNAIL, THUMBNAIL), **F32)


@pytest.mark.parametrize("hidden", [[4, 3], [5, 8], [16, 1]])  # one network for each picture width
def test_pictures_of_every_width_are_the_network_over_the_plane(hidden):
    run = Run(Config(hidden_layers=hidden, features=list(FEATURES), activation="sin", seed=2))
    snap = run.train(3)
    want = numpy_pass(run, cell_centres(DENSITY)).output.reshape(DENSITY, DENSITY)
    np.testing.assert_allclose(snap.output, want, **F32)
    thumbs = numpy_pass(run, thumbnail_points()).hidden
    for got, layer in zip(snap.neurons, thumbs, strict=True):
        np.testing.assert_allclose(got, layer.T.reshape(-1, THUMBNAIL, THUMBNAIL), **F32)


def test_losses_and_accuracies_match_numpy(trained):
    snap, c = trained.snapshot, trained.config
    for points, loss, accuracy in [
        (snap.train_points, snap.train_loss, snap.train_accuracy),
        (snap.test_points, snap.test_loss, snap.test_accuracy),
    ]:
        run = numpy_pass(trained, points[:, :2])
        want = np.mean(reference.point_losses(run, points[:, 2], c.effective_loss))
        np.testing.assert_allclose(loss, want, rtol=1e-4)
        np.testing.assert_allclose(accuracy, np.mean(np.where(run.output >= 0, 1, -1) == points[:, 2]))


def test_gradient_norms_are_those_of_the_training_loss(trained):
    c, points = trained.config, trained.snapshot.train_points
    net = reference.Net(*trained.weights())
    inputs = reference.features_of(points[:, :2].astype(np.float64), c.features)
    labels, everywhere = points[:, 2], np.ones(len(points))
    grads = reference.gradients(net, inputs, labels, everywhere, c.activation, c.output_activation, c.effective_loss)
    np.testing.assert_allclose(trained.snapshot.gradient_norms, [np.linalg.norm(g) for g in grads.weights], rtol=1e-3)


def test_update_ratios_are_zero_before_training_and_small_after():
    run = Run(Config(hidden_layers=HIDDEN))
    assert not np.any(run.train(0).update_ratios)
    ratios = run.train(1).update_ratios
    assert np.all((ratios > 0) & (ratios < 0.5))


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_saturation_is_the_share_of_flat_units(activation):
    run = Run(Config(hidden_layers=[8, 3], activation=activation, init_scale=4.0, seed=2))
    snap = run.train(0)
    numpy_run = numpy_pass(run, snap.train_points[:, :2])
    want = [np.mean(flat(activation, z)) for z in numpy_run.pre] + [np.mean(flat("tanh", numpy_run.logit))]
    np.testing.assert_allclose(snap.saturation, want, atol=2e-3)
    if activation != "linear":
        assert 0 < np.max(want[:-1]) < 1  # neither all live nor all flat: the test can tell


def flat(activation: str, z: np.ndarray) -> np.ndarray:
    """Where the activation's slope is below SATURATED of its steepest, whatever the slope's sign."""
    derivative = reference.ACTIVATIONS[activation][1]
    steepest = np.max(np.abs(derivative(np.linspace(-4, 4, 81))))
    return np.abs(derivative(z)) / steepest < SATURATED


def test_saturation_rises_with_the_initial_scale():
    low = Run(Config(hidden_layers=[8, 8], init_scale=0.05)).train(0).saturation
    high = Run(Config(hidden_layers=[8, 8], init_scale=20.0)).train(0).saturation
    assert np.all(low[:-1] == 0) and np.all(high[:-1] > 0.5)


def test_probes_are_ridge_read_outs_of_each_layer(trained):
    snap = trained.snapshot
    points = snap.train_points
    numpy_run = numpy_pass(trained, points[:, :2])
    tolerance = 2 / len(points)  # a point or two on the boundary may fall either way in float32
    for got, acts in zip([snap.input_probe_accuracy, *snap.probe_accuracy], [numpy_run.inputs, *numpy_run.hidden]):
        assert abs(got - reference.ridge_probe_accuracy(acts, points[:, 2], PROBE_RIDGE)) <= tolerance
    # The xor problem is not linearly separable in x1, x2, but it is once x1·x2 is a feature.
    assert snap.input_probe_accuracy > 0.9


def test_projections_are_the_top_two_principal_components_or_the_raw_units(trained):
    """Axes fitted on the training points (as the probe is), every point projected on them."""
    snap = trained.snapshot
    hidden = numpy_pass(trained, real_points(trained)).hidden
    n_train = len(snap.train_points)
    for layer, (projection, acts) in enumerate(zip(snap.projections, hidden)):
        if acts.shape[1] <= 2:
            np.testing.assert_allclose(projection, acts, **F32)
            continue
        fitted = acts[:n_train]
        top = np.linalg.eigvalsh(np.cov(fitted.T, bias=True))[::-1][:2]
        variances = projection[:n_train].var(axis=0)
        np.testing.assert_allclose(variances, top, rtol=1e-2, atol=1e-5 * top[0])
        np.testing.assert_allclose(projection[:n_train].mean(axis=0), 0.0, atol=1e-4)
        axes = np.asarray(trained.axes)[layer, :, : acts.shape[1]]
        np.testing.assert_allclose(axes @ axes.T, np.eye(2), atol=1e-4)
        np.testing.assert_allclose(projection, (acts - fitted.mean(axis=0)) @ axes.T, **F32)


def test_projection_axes_keep_their_sign_from_frame_to_frame():
    run = Run(Config(hidden_layers=[8, 5], seed=3))
    run.train(0)
    for _ in range(6):
        before = np.asarray(run.axes)
        run.train(1)
        agreement = np.sum(np.asarray(run.axes) * before, axis=-1)[: run.depth]
        assert np.all(agreement > 0)


def test_a_linear_model_has_a_frame_without_layers():
    run = Run(Config(hidden_layers=[], features=["x1_squared", "x2_squared"]))
    snap = run.train(3)
    assert snap.neurons == [] and snap.projections == [] and snap.probe_accuracy == []
    assert snap.gradient_norms.shape == snap.update_ratios.shape == snap.saturation.shape == (1,)
    assert snap.output.shape == (DENSITY, DENSITY)
    want = numpy_pass(run, cell_centres(DENSITY)).output.reshape(DENSITY, DENSITY)
    np.testing.assert_allclose(snap.output, want, **F32)
