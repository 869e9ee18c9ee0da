"""A local HTTP server on 127.0.0.1 for the online tests: canned replies per path, and a record of every request.

    from tests.online_server import OnlineServer, Reply, online_server_fixture  # noqa: F401 (gives `online_server`)

    def test_fetch(online_server, monkeypatch):
        online_server.add("/api/daily_papers?date=2025-09-11", Reply.file("online/hf-2025-09-11.json"))
        monkeypatch.setenv("HF_ENDPOINT", online_server.url)
        ...
        assert online_server.requests[0].headers["User-Agent"].startswith("Papershelf/")

A route is a path, with or without its query: ``/api/query?id_list=1,2&max_results=2`` matches only that query
(in any order and encoding: ``max_results=2&id_list=1%2C2``), ``/api/query`` any query (the exact one wins). A
route holds one reply, or a list played in turn (the last one repeats: ``[429, 200]``), or a function of the
request. Unknown paths get a 404. A reply with ``ranges=True`` answers ``Range: bytes=N-`` as a file server
does: 206 with the rest and a Content-Range (416 past the end), or the whole body when an ``If-Range`` does
not match its ETag / Last-Modified. A reply can carry an ETag or Last-Modified, and then the server answers a
matching ``If-None-Match`` / ``If-Modified-Since`` with a 304 as a real server would. It can also be gzipped,
truncated (the connection closes before Content-Length bytes), trickle (a byte at a time) or hang (the server
sleeps before answering; closing the server wakes it). The server also answers proxy requests (``GET http://host/path``): it routes them
by their path and records the absolute URL as ``target``; an HTTPS tunnel (``CONNECT host:443``) is recorded
with the method CONNECT and refused with a 403. ``closed_port()`` gives a port that refuses connections.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass(frozen=True)
class Request:
    """One request as the server received it."""

    method: str
    target: str  # the request line's target as sent: "/path?query", or "http://host/path?query" through a proxy
    path: str
    query: str  # raw query string, "" if none
    headers: Message  # case-insensitive: headers["user-agent"] == headers["User-Agent"]
    time: float  # time.monotonic() when the request arrived

    @property
    def params(self) -> dict[str, list[str]]:
        return parse_qs(self.query, keep_blank_values=True)


@dataclass(frozen=True)
class Reply:
    """What the server answers."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)  # extra headers, e.g. {"Retry-After": "5"}
    etag: str | None = None  # sent as ETag; a request with a matching If-None-Match gets a 304
    last_modified: str | None = None  # an HTTP date; a request with an equal If-Modified-Since gets a 304
    gzip: bool = False  # compress the body and send Content-Encoding: gzip
    truncate: int | None = None  # send only this many bytes of the body, then close (Content-Length says more)
    hang: float = 0  # seconds to wait before answering anything
    trickle: float = 0  # send the body a byte at a time, this many seconds apart (a slow server)
    content_length: bool = True  # False: no Content-Length, the body ends when the connection closes
    ranges: bool = False  # answer "Range: bytes=N-" with a 206 (see the module docstring)

    @classmethod
    def json(cls, value: object, **kwargs: Any) -> Reply:
        return cls(json.dumps(value).encode(), **kwargs)

    @classmethod
    def html(cls, text: str = "<!DOCTYPE html><html><body>Service unavailable</body></html>", **kwargs: Any) -> Reply:
        return cls(text.encode(), content_type="text/html; charset=utf-8", **kwargs)

    @classmethod
    def atom(cls, xml: str | bytes, **kwargs: Any) -> Reply:
        body = xml.encode() if isinstance(xml, str) else xml
        return cls(body, content_type="application/atom+xml; charset=utf-8", **kwargs)

    @classmethod
    def file(cls, name: str | Path, **kwargs: Any) -> Reply:
        """A recorded response from tests/fixtures/ (name relative to it); the content type follows the suffix."""
        path = FIXTURES / name
        content_type = "application/atom+xml; charset=utf-8" if path.suffix in (".xml", ".atom") else "application/json"
        return cls(path.read_bytes(), **{"content_type": content_type, **kwargs})

    @classmethod
    def status_only(cls, status: int, **kwargs: Any) -> Reply:
        return cls.html(f"<html><body><h1>{status}</h1></body></html>", status=status, **kwargs)


Route = Reply | list[Reply] | Callable[[Request], Reply]


class OnlineServer:
    """The server, started on a free port of 127.0.0.1 in a daemon thread; ``url`` is its base URL."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._routes: dict[_Key, Route] = {}
        self._played: dict[_Key, int] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self.port: int = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="online-server", daemon=True
        )
        self._thread.start()

    def add(self, route: str, reply: Route) -> None:
        """Answer requests for ``route`` (a path, optionally with ``?query``) with ``reply``."""
        with self._lock:
            path, _, query = route.partition("?")
            key = _key(path, query if "?" in route else None)
            self._routes[key] = reply
            self._played.pop(key, None)

    def paths(self) -> list[str]:
        """The path and query of every request so far, in order."""
        return [f"{r.path}?{r.query}" if r.query else r.path for r in self.requests]

    def close(self) -> None:
        self._closing.set()  # wakes hanging replies
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def __enter__(self) -> OnlineServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _reply_for(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            key = _key(request.path, request.query)
            if key not in self._routes:
                key = _key(request.path, None)
            route = self._routes.get(key)
            if route is None:
                return Reply.status_only(404)
            if isinstance(route, list):
                played = self._played.get(key, 0)
                self._played[key] = played + 1
                return route[min(played, len(route) - 1)]
            if isinstance(route, Reply):
                return route
        return route(request)  # outside the lock: a function may be slow on purpose


_Key = tuple[str, tuple[tuple[str, str], ...] | None]


def _key(path: str, query: str | None) -> _Key:
    """A route's key: the path and the decoded, sorted query parameters (so ``a=1&b=2,3`` matches ``b=2%2C3&a=1``)."""
    return path, None if query is None else tuple(sorted(parse_qsl(query, keep_blank_values=True)))


def _not_modified(reply: Reply, request: Request) -> bool:
    if reply.etag is not None and request.headers.get("If-None-Match") == reply.etag:
        return True
    return reply.last_modified is not None and request.headers.get("If-Modified-Since") == reply.last_modified


def _ranged(reply: Reply, request: Request) -> Reply:
    """The part of reply that ``Range: bytes=N-`` asks for (a 206), or reply itself if the range does not apply."""
    wanted = request.headers.get("Range", "")
    if_range = request.headers.get("If-Range")
    if not wanted.startswith("bytes=") or not wanted.endswith("-") or not wanted[6:-1].isdigit():
        return reply
    if if_range is not None and if_range not in (reply.etag, reply.last_modified):
        return reply  # the file changed since the first part was sent: all of it again
    start, size = int(wanted[6:-1]), len(reply.body)
    if start >= size:
        return replace(reply, status=416, body=b"", headers={**reply.headers, "Content-Range": f"bytes */{size}"})
    content_range = f"bytes {start}-{size - 1}/{size}"
    return replace(
        reply, status=206, body=reply.body[start:], headers={**reply.headers, "Content-Range": content_range}
    )


def _handler_for(server: OnlineServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            request = Request("GET", self.path, parts.path or "/", parts.query, self.headers, time.monotonic())
            reply = server._reply_for(request)
            if reply.hang and server._closing.wait(reply.hang):
                return
            if reply.status == 200 and _not_modified(reply, request):
                reply = replace(reply, status=304, body=b"", gzip=False, truncate=None)
            if reply.status == 200 and reply.ranges:
                reply = _ranged(reply, request)
            body = gzip.compress(reply.body) if reply.gzip else reply.body
            self.send_response(reply.status)
            if reply.status != 304:
                self.send_header("Content-Type", reply.content_type)
            if reply.content_length:
                self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            if reply.gzip:
                self.send_header("Content-Encoding", "gzip")
            if reply.etag is not None:
                self.send_header("ETag", reply.etag)
            if reply.last_modified is not None:
                self.send_header("Last-Modified", reply.last_modified)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            try:
                body = body if reply.truncate is None else body[: reply.truncate]
                pieces = [body[i : i + 1] for i in range(len(body))] if reply.trickle else [body]
                for piece in pieces:
                    if reply.trickle and server._closing.wait(reply.trickle):
                        return
                    self.wfile.write(piece)
                    self.wfile.flush()
            except OSError:
                pass  # the client gave up (a timeout test)
            self.close_connection = True

        def do_CONNECT(self) -> None:  # an HTTPS proxy's tunnel: recorded, then refused
            server._reply_for(Request("CONNECT", self.path, "", "", self.headers, time.monotonic()))
            self.send_error(403, "This test proxy opens no tunnels")
            self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PROXY_VARIABLES = [f"{name}_proxy" for name in ("http", "https", "all", "no")]


@pytest.fixture(name="online_server")
def online_server_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[OnlineServer]:
    """A fresh server per test, closed after it (hanging replies included).

    The proxy variables of the developer's shell are cleared, so requests to 127.0.0.1 reach the server directly.
    """
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    with OnlineServer() as server:
        yield server


class FakeTime:
    """The client's clock and sleep: time moves only when the client sleeps (or a test moves it)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
