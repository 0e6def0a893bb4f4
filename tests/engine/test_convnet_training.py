"""The ConvNet lab's training and frames, through its compiled program: known results on the real digits,
a run that continues the same whatever the steps per call, and frames that agree with the network."""
import jax
import numpy as np
import pytest

from backend.engine.convnet import program
from backend.engine.convnet.config import ConvConfig
from backend.engine.convnet.network import forward
from backend.engine.convnet.run import ConvRun
from backend.engine.convnet.training import Hyper, objective, steps_per_epoch
from backend.engine.network import ACTIVATION_INDEX

EPOCHS = 20
SEEDS = (0, 1, 2)


def trained_accuracy(config: ConvConfig) -> float:
    run = ConvRun(config)
    run.train(EPOCHS * steps_per_epoch(run.images.n_train, config.batch_size))
    return float(run.snapshot.frame.test_accuracy)


def test_logistic_regression_on_the_pixels_reaches_93_percent():
    """No hidden layer at all: a softmax over the 64 pixels, the classic baseline."""
    accuracies = [trained_accuracy(ConvConfig(conv_layers=[], dense_layers=[], seed=seed)) for seed in SEEDS]
    assert min(accuracies) >= 0.93, accuracies


def test_the_default_convnet_reaches_97_percent():
    accuracies = [trained_accuracy(ConvConfig(seed=seed)) for seed in SEEDS]
    assert np.mean(accuracies) >= 0.97, accuracies


def test_a_run_continues_the_same_whatever_the_steps_per_call():
    """Each epoch's order comes from the key and the epoch's number, not from the calls: 10 + 30 mini-batches
    (across an epoch's end) give the weights 40 in one call give."""
    split, whole = ConvRun(ConvConfig()), ConvRun(ConvConfig())
    split.train(10)
    split.train(30)
    whole.train(40)
    np.testing.assert_array_equal(np.asarray(split.packed), np.asarray(whole.packed))
    assert split.step == whole.step == 40
    assert whole.epoch == pytest.approx(40 / steps_per_epoch(whole.images.n_train, 64))


def test_a_frame_shows_the_network_as_it_is():
    run = ConvRun(ConvConfig())
    run.train(30)
    image = run.images.test[0][5]
    run.show(image)
    frame = run.train(0).frame
    params = program.state_layout(run.shape).unpack_host(np.asarray(run.packed)).params
    activation = np.int32(ACTIVATION_INDEX[run.config.activation])
    chosen = forward(params, run.shape, activation, image[None])
    for got, want in zip(frame.maps + frame.pooled + frame.dense, chosen.maps + chosen.pooled + chosen.dense):
        np.testing.assert_allclose(got, np.asarray(want)[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(frame.probabilities, jax.nn.softmax(chosen.logits[0]), rtol=1e-5, atol=1e-6)

    test_images, test_labels = run.images.test
    guesses = np.argmax(np.asarray(forward(params, run.shape, activation, test_images).logits), axis=1)
    np.testing.assert_array_equal(frame.guesses, guesses)
    expected = np.zeros((10, 10), int)
    np.add.at(expected, (test_labels, guesses), 1)
    np.testing.assert_array_equal(frame.confusion, expected)
    assert frame.test_accuracy == pytest.approx(np.mean(guesses == test_labels))
    assert np.isnan(frame.train_loss)  # no mini-batch trained in this frame
    assert np.all(frame.gradient_norms == 0)


def test_the_l2_penalty_pulls_on_weights_never_on_biases():
    run = ConvRun(ConvConfig())
    params = program.state_layout(run.shape).unpack_host(np.asarray(run.packed)).params
    images, labels = run.images.train[0][:8], run.images.train[1][:8]

    def grads(l2):
        hyper = Hyper(np.float32(0.01), np.int32(0), np.int32(ACTIVATION_INDEX["relu"]), np.float32(l2))
        return jax.grad(lambda p: objective(p, run.shape, hyper, images, labels, np.ones(8, np.float32))[0])(params)

    plain, penalised = grads(0.0), grads(0.5)
    for before, after, layer in zip(plain, penalised, params):
        np.testing.assert_allclose(after.w - before.w, 0.5 * layer.w, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(after.b, before.b, rtol=1e-6, atol=1e-7)


def test_settings_that_keep_the_network_change_nothing_but_what_they_say():
    run = ConvRun(ConvConfig())
    run.train(5)
    before = np.asarray(run.packed).copy()
    traces = dict(program.TRACES)
    assert not run.reconfigure(run.config.model_copy(update={"learning_rate": 0.1, "optimizer": "sgd", "l2": 0.0}))
    np.testing.assert_array_equal(np.asarray(run.packed), before)
    assert run.train(9).step == 14
    assert dict(program.TRACES) == traces  # nothing traced again: every one of those settings is traced
    assert run.reconfigure(run.config.model_copy(update={"dataset": "shapes"}))
    assert run.step == 0 and run.image.shape == (16, 16)


def test_an_image_of_the_wrong_size_is_refused():
    run = ConvRun(ConvConfig())
    with pytest.raises(ValueError, match="8 × 8"):
        run.show(np.zeros((16, 16)))
