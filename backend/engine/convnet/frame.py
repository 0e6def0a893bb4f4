"""What one frame of the ConvNet lab shows, computed with its training in one call: the losses, the test
set's accuracy, confusion matrix and every test image's guess, one chosen image's way through every layer,
and the gradient flow of the frame's last mini-batch. The filters are the weights themselves."""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from .network import Params, Shape, forward
from .training import Hyper, Images


class Frame(NamedTuple):
    train_loss: jax.Array  # () mean loss of the mini-batches this frame trained (NaN when it trained none)
    test_loss: jax.Array  # ()
    test_accuracy: jax.Array  # ()
    confusion: jax.Array  # (classes, classes) int32: test images of each true class (row) by guess (column)
    guesses: jax.Array  # (n_test,) int32 the class guessed for every test image
    filters: tuple  # per convolutional layer: its weights (kernel, kernel, channels in, filters) at this frame
    maps: tuple  # per convolutional layer: the chosen image's feature maps before pooling (side, side, filters)
    pooled: tuple  # per convolutional layer: after pooling
    dense: tuple  # per dense hidden layer: the chosen image's activations (units,)
    probabilities: jax.Array  # (classes,) the chosen image's class probabilities
    gradient_norms: jax.Array  # (layers,) the weight gradient's norm per layer, of the last mini-batch trained
    update_ratios: jax.Array  # (layers,) the last step's change of each layer's weights relative to them


def _norms(params: Params) -> jax.Array:
    return jnp.stack([jnp.sqrt(jnp.sum(layer.w**2)) for layer in params])


def make_frame(params: Params, shape: Shape, hyper: Hyper, data: Images, image: jax.Array, train_loss: jax.Array,
               last_grads: Params, last_update: Params) -> Frame:
    """The frame at `params`; `image` (side, side) is the one whose way through the network it shows."""
    test = forward(params, shape, hyper.activation, data.test_images).logits
    guesses = jnp.argmax(test, axis=-1).astype(jnp.int32)
    confusion = jnp.zeros((shape.classes, shape.classes), jnp.int32).at[data.test_labels, guesses].add(1)
    chosen = forward(params, shape, hyper.activation, image[None])
    first = lambda arrays: tuple(a[0] for a in arrays)
    return Frame(
        train_loss=train_loss,
        test_loss=jnp.mean(optax.softmax_cross_entropy_with_integer_labels(test, data.test_labels)),
        test_accuracy=jnp.mean(guesses == data.test_labels),
        confusion=confusion,
        guesses=guesses,
        filters=tuple(layer.w for layer in params[: len(shape.conv)]),
        maps=first(chosen.maps),
        pooled=first(chosen.pooled),
        dense=first(chosen.dense),
        probabilities=jax.nn.softmax(chosen.logits[0]),
        gradient_norms=_norms(last_grads),
        update_ratios=_norms(last_update) / jnp.maximum(_norms(params), 1e-12),
    )
