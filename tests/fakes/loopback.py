"""A small Starlette app served by uvicorn on a free loopback port in a thread, for fake providers.

class FakeThing(LoopbackServer):
    def routes(self): return [Route("/x", self._x)]

with FakeThing() as fake:
    ...  # point the app at fake.base_url
"""

import socket
import threading
import time

import uvicorn
from starlette.applications import Starlette


class LoopbackServer:
    name = "fake"
    base_url = ""
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    def routes(self) -> list:
        raise NotImplementedError

    def __enter__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        config = uvicorn.Config(
            Starlette(routes=self.routes()),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=self.name, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the {self.name} server did not start")
            time.sleep(0.02)
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc) -> None:
        if self._server:
            self._server.should_exit = True
        if self._thread:
            self._thread.join(timeout=10)
