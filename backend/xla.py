"""XLA's settings for the server's CPU work: applied before JAX starts its backend.

The server runs several sessions' programs at once on its worker threads; on a CPU each program is better off
on its caller's one thread than handed between threads. XLA's CPU runtime splits a program with many independent
operations over its thread pool, and for programs this small the hand-overs (cross-core wake-ups on a virtual
machine) cost more than the work: pinned to one core, frames took half the time. So:
- `--xla_cpu_multi_thread_eigen=false`: no operation splits itself over threads (more frames for every one
  of 8 sessions on 2 cores);
- `--xla_cpu_experimental_ynn_fusion_type=` (empty): no YNNPACK fusions, which the runtime hands to the pool;
- `xla_cpu_small_while_loop_byte_threshold` raised: a while loop compiles into one kernel, run by one thread.
  program.py makes each frame program one such loop, and `while-loop-invariant-code-motion` is off so that
  XLA does not move the loop's work back out of it;
- `--xla_cpu_use_fusion_emitters=false`: XLA's older fusion code compiles the programs in half the time and
  memory, with frames as fast; `--xla_backend_optimization_level=1` takes a third off compiling the
  one-kernel programs, frames as fast;
- jax's synchronous CPU dispatch: a program then runs on its caller's thread (the caller waits for its
  result at once anyway).
bench/engine.py and bench/load.py give the figures (README, Performance).
XLA stops reading XLA_FLAGS at the first word that is not a --flag, silently: keep every word a flag.
"""
from __future__ import annotations

import os

CPU_XLA_FLAGS = (
    "--xla_cpu_multi_thread_eigen=false --xla_cpu_use_fusion_emitters=false --xla_cpu_experimental_ynn_fusion_type="
    " --xla_backend_extra_options=xla_cpu_small_while_loop_byte_threshold=1000000000"
    " --xla_disable_hlo_passes=while-loop-invariant-code-motion --xla_backend_optimization_level=1"
)


def use_server_defaults() -> None:
    """Set XLA_FLAGS to the server's unless the environment already sets it or asks for a GPU
    (JAX_PLATFORMS=cuda, as the GPU image does: these are measures for XLA's CPU runtime), and dispatch
    synchronously (python -m backend, bench/); before JAX starts its backend."""
    if "cuda" not in os.environ.get("JAX_PLATFORMS", ""):
        os.environ.setdefault("XLA_FLAGS", CPU_XLA_FLAGS)
    import jax  # after XLA_FLAGS: jax reads them when its backend starts

    jax.config.update("jax_cpu_enable_async_dispatch", False)
