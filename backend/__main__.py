"""`python -m backend [--host H] [--port P]` serves the playground and its API."""
from __future__ import annotations

import argparse
import dataclasses

import uvicorn

from .settings import get_settings
from .xla import use_server_defaults


def main() -> None:
    use_server_defaults()  # before JAX starts its backend
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m backend", description="Serve the Layerlab playground.")
    parser.add_argument("--host", default=settings.host, help=f"address to bind (default {settings.host})")
    parser.add_argument("--port", type=int, default=settings.port, help=f"port (default {settings.port})")
    args = parser.parse_args()
    settings = dataclasses.replace(settings, host=args.host, port=args.port)

    from .api.app import create_app

    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        ws_max_size=settings.max_message_bytes,
        # Frames are mostly uint8 grids that deflate shrinks by about a third; compressing them cost the
        # event loop more CPU than anything else at 32 sessions (bench/load.py), so frames go as they are.
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=int(settings.shutdown_seconds),
        log_level="info",
    )


if __name__ == "__main__":
    main()
