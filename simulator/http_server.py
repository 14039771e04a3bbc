"""A real HTTP server on 127.0.0.1 (ephemeral port) for the smoke checks: routes answer with a chosen
status and body, may fail a number of times first, and every request is recorded."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    status: int = 200
    body: str = "ok"
    fail_first: int = 0  # answer 503 this many times before the real answer (a service warming up)
    delay_seconds: float = 0.0
    trickle_seconds: float = 0.0  # pause before each byte of the body (a body that never quite stops coming)
    headers: dict[str, str] = field(default_factory=dict)
    on_request: Callable[[], None] | None = None  # something that happens in the world meanwhile


@dataclass
class LocalHttpServer:
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path)
    port: int = 0

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def hits(self, path: str) -> int:
        return sum(1 for _, p in self.requests if p == path)


@dataclass(frozen=True)
class _Answer:
    """What the server sends back for one request."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0
    trickle_seconds: float = 0.0


_NOT_FOUND = _Answer(404, "not found")
_WARMING_UP = _Answer(503, "warming up")


@contextmanager
def local_http_server(routes: dict[str, Route] | None = None) -> Iterator[LocalHttpServer]:
    state = LocalHttpServer(routes=dict(routes or {}))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            _send(self, _record_and_route(state, lock, self.command, self.path))

        do_GET = do_POST = do_HEAD = do_PUT = do_OPTIONS = _answer

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _record_and_route(state: LocalHttpServer, lock: threading.Lock, method: str, path: str) -> _Answer:
    """Record the request and choose its answer. Under the lock: requests arrive on several threads, and a
    route's remaining failures are counted down once per request."""
    with lock:
        state.requests.append((method, path))
        route = state.routes.get(path)
        failing = route is not None and route.fail_first > 0
        if failing and route is not None:
            route.fail_first -= 1
        if route is not None and route.on_request is not None:
            route.on_request()
    if route is None:
        return _NOT_FOUND
    if failing:
        return _WARMING_UP
    return _Answer(route.status, route.body, route.headers, route.delay_seconds, route.trickle_seconds)


def _send(handler: BaseHTTPRequestHandler, answer: _Answer) -> None:
    if answer.delay_seconds:
        threading.Event().wait(answer.delay_seconds)
    payload = answer.body.encode()
    try:
        handler.send_response(answer.status)
        for name, value in answer.headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if handler.command != "HEAD":
            _write_body(handler, payload, answer.trickle_seconds)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client gave up (a timeout test)


def _write_body(handler: BaseHTTPRequestHandler, payload: bytes, trickle_seconds: float) -> None:
    if not trickle_seconds:
        handler.wfile.write(payload)
        return
    for byte in payload:
        threading.Event().wait(trickle_seconds)
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
