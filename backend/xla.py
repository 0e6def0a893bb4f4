"""XLA's settings for the server's CPU work: applied before JAX starts its backend.

The server runs several sessions' programs at once on its worker threads; on a CPU each
program is better off on one thread than fighting the others for the same cores.
Measured with bench/load.py on 2 cores: it took 8 sessions from 21 to 27 frames/s each.
XLA stops reading XLA_FLAGS at the first word that is not a --flag, silently: keep every word a flag.
"""
from __future__ import annotations

import os

CPU_XLA_FLAGS = "--xla_cpu_multi_thread_eigen=false --xla_cpu_use_fusion_emitters=false"


def use_server_defaults() -> None:
    """Set XLA_FLAGS to the server's unless the environment already sets it (python -m backend, bench/)."""
    os.environ.setdefault("XLA_FLAGS", CPU_XLA_FLAGS)
