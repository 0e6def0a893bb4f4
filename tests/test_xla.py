"""The server's XLA settings reach XLA: every word of them is read (XLA silently ignores all after a stray word)."""
import os
import subprocess
import sys

from backend.xla import CPU_XLA_FLAGS


def test_every_default_flag_is_read_by_xla(tmp_path):
    # A flag placed after the defaults takes effect only if XLA read every word before it.
    dump = tmp_path / "dump"
    env = {**os.environ, "XLA_FLAGS": f"{CPU_XLA_FLAGS} --xla_dump_to={dump}"}
    subprocess.run([sys.executable, "-c", "import jax.numpy as jnp; jnp.ones(3).sum().block_until_ready()"],
                   env=env, check=True, timeout=120)
    assert dump.is_dir() and any(dump.iterdir())


def test_a_stray_word_would_hide_the_flags_after_it(tmp_path):
    # The check above can fail: this is how the old default lost its second flag.
    dump = tmp_path / "dump"
    env = {**os.environ, "XLA_FLAGS": f"{CPU_XLA_FLAGS} stray_word=1 --xla_dump_to={dump}"}
    subprocess.run([sys.executable, "-c", "import jax.numpy as jnp; jnp.ones(3).sum().block_until_ready()"],
                   env=env, check=True, timeout=120)
    assert not dump.exists()


def test_the_cpu_flags_stay_off_a_gpu_server_and_on_a_cpu_one():
    check = "import os; from backend.xla import use_server_defaults; use_server_defaults(); print(os.environ.get('XLA_FLAGS'))"
    for platforms, expected in (("cuda", "None"), ("cpu", CPU_XLA_FLAGS)):
        env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"} | {"JAX_PLATFORMS": platforms}
        result = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True, text=True, timeout=120)
        assert result.stdout.strip() == expected, result.stderr
