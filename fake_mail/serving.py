"""Servers that run on a thread of their own, on a socket bound beforehand.

Binding first is how port 0 works: the OS picks a free port, we read it off
the socket, and only then hand the socket to the server.  (aiosmtpd's own
``Controller`` would try to connect to port 0 to check it is up; see
aio-libs/aiosmtpd#276.)
"""

from __future__ import annotations

import asyncio
import socket
import threading
import weakref
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from starlette.types import ASGIApp

__all__ = ["HttpServer", "SmtpServer", "bind"]

_READY_TIMEOUT = 10.0


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``; port 0 lets the OS choose one."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[
        0
    ]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(socket.SOMAXCONN)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


class SmtpServer(Controller):
    """aiosmtpd's threaded controller, serving on a socket we bound.

    ``stop`` closes the sessions still open before the loop ends, so no
    transport is left for the garbage collector to warn about.
    """

    def __init__(self, handler: Any, sock: socket.socket, **smtp_options: Any) -> None:
        host, port = sock.getsockname()[:2]
        super().__init__(handler, hostname=host, port=port, **smtp_options)
        self._sock: socket.socket | None = sock
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()

    def factory(self) -> SMTP:
        session: SMTP = super().factory()  # type: ignore[no-untyped-call]
        self._sessions.add(session)
        return session

    def _create_server(self) -> Any:
        assert self._sock is not None, "a stopped SmtpServer cannot start again"
        return self.loop.create_server(self._factory_invoker, sock=self._sock, ssl=self.ssl_context)

    def start(self) -> None:
        try:
            super().start()
        except BaseException:
            self._close_unserved_socket()
            raise
        # The asyncio server owns the socket now and closes it on stop.
        self._sock = None

    def stop(self, no_assert: bool = False) -> None:
        if self._thread is None:
            self._close_unserved_socket()
            return
        if self.loop.is_running():
            asyncio.run_coroutine_threadsafe(self._close_sessions(), self.loop).result(_READY_TIMEOUT)
        super().stop(no_assert=True)

    async def _close_sessions(self) -> None:
        if self.server is not None:
            self.server.close()
        for session in list(self._sessions):
            if session.transport is not None:
                session.transport.close()
        # Closing a transport cancels its session task; let those finish
        # here rather than be destroyed pending when the loop closes.
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        if others:
            await asyncio.wait(others, timeout=_READY_TIMEOUT)

    def _close_unserved_socket(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


class _Server(uvicorn.Server):
    """uvicorn's server, telling another thread when it has started."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


class HttpServer:
    """An ASGI app served by uvicorn on a thread of its own."""

    def __init__(self, app: ASGIApp, sock: socket.socket) -> None:
        self.sock = sock
        self.port: int = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            lifespan="on",
            # Leave the host process's logging alone; a test run has its own.
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        self._server = _Server(config)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="fake_mail-http", daemon=True)
        self._thread.start()
        self._server.ready.wait(_READY_TIMEOUT)
        if not self._server.started:
            self.stop()
            raise RuntimeError(f"the HTTP server did not start on port {self.port}")

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.sock.close()  # uvicorn closes it on shutdown; this covers a failed start

    def _serve(self) -> None:
        try:
            self._server.run(sockets=[self.sock])
        finally:
            self._server.ready.set()
