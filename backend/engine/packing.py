"""Pytrees as one flat float32 vector, so a compiled call moves a few buffers, not dozens.

A jitted call pays for every array it takes and returns (about 8 µs each on a CPU),
which for a training state of 32 leaves costs more than the frame itself. A Layout
records where each leaf of a template lies in one vector; leaves of other dtypes are
bit-cast, not converted, so integers and PRNG keys travel exactly.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np


class Layout:
    """Where each leaf of a pytree with the template's structure lies in one float32 vector."""

    def __init__(self, template) -> None:
        leaves, self.treedef = jax.tree.flatten(template)
        self.shapes = [tuple(leaf.shape) for leaf in leaves]
        self.dtypes = [np.dtype(leaf.dtype) for leaf in leaves]
        sizes = [math.prod(shape) for shape in self.shapes]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
        self.size = self.offsets[-1]
        for dtype in self.dtypes:
            if dtype.itemsize != 4:
                raise TypeError(f"only 4-byte leaves pack, not {dtype}")

    def pack(self, tree) -> jax.Array:
        """The vector (traceable)."""
        leaves = jax.tree.leaves(tree)
        as_float = [
            jnp.ravel(leaf) if leaf.dtype == jnp.float32 else jax.lax.bitcast_convert_type(jnp.ravel(leaf), jnp.float32)
            for leaf in leaves
        ]
        return jnp.concatenate(as_float) if as_float else jnp.zeros((0,), jnp.float32)

    def unpack(self, vector: jax.Array):
        """The pytree (traceable)."""
        leaves = []
        for (start, end), shape, dtype in zip(zip(self.offsets, self.offsets[1:]), self.shapes, self.dtypes):
            part = vector[start:end]
            if dtype != np.float32:
                part = jax.lax.bitcast_convert_type(part, dtype)
            leaves.append(part.reshape(shape))
        return jax.tree.unflatten(self.treedef, leaves)

    def unpack_host(self, vector: np.ndarray):
        """The pytree as numpy views of a host copy of the vector: no device work at all."""
        vector = np.asarray(vector, np.float32)
        leaves = [
            vector[start:end].view(dtype).reshape(shape)
            for (start, end), shape, dtype in zip(zip(self.offsets, self.offsets[1:]), self.shapes, self.dtypes)
        ]
        return jax.tree.unflatten(self.treedef, leaves)

    def indices(self, start: int = 0):
        """The pytree of each leaf's element positions in the vector (plus `start`), as int arrays of the leaf's shape.

        Indexing a host copy of the vector with them gathers a leaf, or any slice of one, in one step.
        """
        positions = np.arange(start, start + self.size)
        leaves = [positions[a:b].reshape(shape) for (a, b), shape in zip(zip(self.offsets, self.offsets[1:]), self.shapes)]
        return jax.tree.unflatten(self.treedef, leaves)

    def pack_host(self, tree) -> np.ndarray:
        """The vector from host arrays (numpy), without device work."""
        leaves = jax.tree.leaves(tree)
        return np.concatenate(
            [np.ascontiguousarray(np.asarray(leaf, dtype)).ravel().view(np.float32) for leaf, dtype in zip(leaves, self.dtypes)]
        ) if leaves else np.zeros(0, np.float32)
