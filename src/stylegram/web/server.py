"""Serve the app with uvicorn on a socket bound here first, so a busy port is a clear error and port 0 works."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

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
    # Open event streams would hold a graceful shutdown forever; give them a second.
    return uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1)


@contextlib.contextmanager
def running(app, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run ``app`` on a background thread for the duration of the block; yields its URL."""
    sock = bind(host, port)
    server = uvicorn.Server(config(app))
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
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
