"""The review app under a real uvicorn server on 127.0.0.1, in a thread, for tests."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import uvicorn

from monitor.config import load
from monitor.web import create_app


class LiveServer:
    def __init__(self, config_path: Path) -> None:
        app = create_app(load(config_path))
        settings = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
        self.server = uvicorn.Server(settings)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = ""

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the review server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
