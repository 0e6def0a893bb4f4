"""The numerical core: pure JAX and numpy, no web code."""
