"""Serve the app with uvicorn on a socket bound here first, so a busy port is a clear error and port 0 works."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import uvicorn

from ..errors import OptionError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: any free port); OptionError when that is impossible."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as err:
        raise OptionError(f"cannot listen on {host}:{port} ({err.strerror or err}); choose another --port "
                          "(0 picks a free one) or --host") from None


def url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def config(app) -> uvicorn.Config:
    return uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=3)


class Server(uvicorn.Server):
    """uvicorn's server, which on Ctrl-C also ends the app's event streams and stops its running job.

    uvicorn waits for open responses before it shuts the app down, and an event stream stays open while its
    job runs, so the app is told first. ``after`` is called once the app has shut down: before uvicorn raises a
    SIGTERM it caught again, which ends the process (code after run() never ran).
    """

    def __init__(self, config: uvicorn.Config, after: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self.after = after

    def handle_exit(self, sig, frame) -> None:
        shutting_down(self.config.app)
        super().handle_exit(sig, frame)

    async def shutdown(self, sockets=None) -> None:
        await super().shutdown(sockets=sockets)
        if self.after is not None:
            self.after()


def shutting_down(app) -> None:
    service = getattr(getattr(app, "state", None), "service", None)
    if service is not None:
        service.begin_shutdown()


@contextlib.contextmanager
def running(app, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run ``app`` on a background thread for the duration of the block; yields its URL."""
    sock = bind(host, port)
    server = Server(config(app))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="stylegram-web-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the web server did not start; see the log above")
        time.sleep(0.01)
    try:
        yield url(sock)
    finally:
        shutting_down(app)
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
