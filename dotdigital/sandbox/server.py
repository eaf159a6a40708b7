"""Serving the sandbox: a threaded wsgiref server, in the foreground or in a background thread."""

from __future__ import annotations

import logging
import socket
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from dotdigital.sandbox.app import SandboxApp

logger = logging.getLogger("dotdigital.sandbox")


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def get_request(self):
        connection, address = super().get_request()
        # wsgiref writes the headers and the body separately: without this, Nagle + delayed ACK can stall 40 ms.
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's signature
        logger.debug("%s - %s", self.address_string(), format % args)


class VerboseHandler(WSGIRequestHandler):
    pass


class RunningSandbox:
    """A sandbox served on host:port in a daemon thread; `stop()` shuts it down."""

    def __init__(self, app: SandboxApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.server = make_server(host, port, app, server_class=ThreadingWSGIServer, handler_class=QuietHandler)
        self.host = host
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"sandbox:{self.port}", daemon=True
        )
        self._stopped = False
        self.thread.start()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        """Stop serving; calling it again does nothing."""
        if self._stopped:
            return
        self._stopped = True
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_forever(app: SandboxApp, host: str, port: int, verbose: bool = False) -> None:
    handler = VerboseHandler if verbose else QuietHandler
    with make_server(host, port, app, server_class=ThreadingWSGIServer, handler_class=handler) as server:
        server.serve_forever()
