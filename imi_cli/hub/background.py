"""Serve a hub from a background thread (the demo, tests, training): uvicorn on loopback."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BackgroundHub:
    def __init__(self, hub: Any, port: int | None = None, limits: Any = None) -> None:
        """``limits``: the API's limits (protocol/limits.py Limits), the defaults if not given."""
        import uvicorn

        from imi_cli.hub.app import create_app

        self.hub = hub
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app(hub, limits)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> BackgroundHub:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the hub did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.hub.stop()  # release long polls at once
        self.server.should_exit = True
        self.thread.join(timeout=10)
