"""Set-up shared by every test: JAX's persistent compilation cache.

Each network depth is its own compiled program (backend.engine.program), and a
compile takes seconds; the cache makes the second run of the suite pay only once.
"""
from pathlib import Path

import jax

REPO = Path(__file__).resolve().parent.parent

jax.config.update("jax_compilation_cache_dir", str(REPO / ".jax_cache"))
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
