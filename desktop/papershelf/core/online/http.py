"""The HTTP client of the online feature: GET a URL politely and safely, or fail with one line naming it.

:class:`Client` is the standard library's ``urllib.request`` with the operating system's trust store for TLS
(``truststore``, what pip uses) and the proxy settings urllib already reads: ``HTTPS_PROXY``, ``HTTP_PROXY``,
``NO_PROXY`` and, without them, the Windows registry or macOS's System Configuration. Nothing else is bundled,
which keeps the frozen installers as they are. On top of that it adds what the APIs' terms and a desktop app need:

- timeouts: ``connect_timeout`` to connect, ``read_timeout`` for each wait for data, ``total_timeout`` for the
  whole request (a server that hangs or trickles ends within it);
- bounds: a body, compressed or not, over ``max_bytes`` is refused; ``gzip`` is asked for and decoded;
- answers checked: HTML (or anything else not JSON) where JSON was expected, or non-XML where XML was, fails;
- politeness: a User-Agent naming Papershelf, at least ``min_interval[host]`` seconds between the starts of two
  requests to a host, and on 429/503 the wait the server asks for (``Retry-After``), at most ``max_retries``
  times and never longer than ``max_retry_wait`` in all;
- a cache (with ``cache_dir``): bodies that came with an ETag or Last-Modified are kept, one file per URL, and
  asked for again conditionally; a 304 returns the kept body.

Every failure is a :class:`NetworkError` whose message is one line: ``<url>: <reason>``. The clock and sleep are
injectable, so tests check the spacing and the waits without waiting. A client is for one thread at a time.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import hashlib
import http.client
import json
import logging
import os
import socket
import ssl
import tempfile
import time
import urllib.error
import urllib.request
import xml.parsers.expat
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import IO, Any, Literal
from urllib.parse import urlsplit

import truststore

from ..errors import PapershelfError

_log = logging.getLogger("papershelf.online")

Expect = Literal["json", "xml", "any"]
_ACCEPT = {"json": "application/json", "xml": "application/atom+xml, application/xml, text/xml", "any": "*/*"}
_RETRY_STATUSES = (429, 503)
_BACKOFF = 5.0  # seconds before the first retry of a 429/503 without Retry-After; doubled each time
_CHUNK = 64 * 1024


class NetworkError(PapershelfError):
    """A request that failed: ``str(exc)`` is one line, ``"<url>: <reason>"``."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = " ".join(reason.split())
        super().__init__(f"{' '.join(url.split())}: {self.reason}")


@dataclass(frozen=True)
class Response:
    """A successful answer (2xx), or the cached one a 304 confirmed (``from_cache``; status and headers as cached)."""

    url: str  # the URL asked for
    status: int
    headers: Mapping[str, str]  # names in lower case
    body: bytes  # decoded from gzip
    from_cache: bool


def default_user_agent() -> str:
    """``Papershelf/<version> (+<project page>)``: who is asking, as arXiv's terms want."""
    from ... import __version__

    return f"Papershelf/{__version__} (+https://github.com/papershelf/papershelf)"


class Client:
    """GETs URLs with the timeouts, bounds, rate limits, retries and cache described in the module docstring."""

    def __init__(
        self,
        *,
        user_agent: str | None = None,
        cache_dir: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        connect_timeout: float = 10,
        read_timeout: float = 20,
        total_timeout: float = 50,
        max_bytes: int = 64 * 1024 * 1024,
        max_retries: int = 3,
        max_retry_wait: float = 60,
        min_interval: Mapping[str, float] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> None:
        self.user_agent = user_agent or default_user_agent()
        self.cache_dir = cache_dir
        self.clock, self.sleep = clock, sleep
        self.connect_timeout, self.read_timeout, self.total_timeout = connect_timeout, read_timeout, total_timeout
        self.max_bytes, self.max_retries, self.max_retry_wait = max_bytes, max_retries, max_retry_wait
        self.min_interval = dict(min_interval or {})
        self.cancelled = cancelled
        self._started: dict[str, float] = {}  # host -> clock() at the start of its last request
        self._tls = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)

    def get(self, url: str, *, expect: Expect = "json") -> Response:
        """The answer to ``GET url``, checked to be JSON or XML as ``expect`` says; :class:`NetworkError` if not."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise NetworkError(url, "not an http(s) URL")
        cached = self._cache_read(url, expect)
        headers = {"User-Agent": self.user_agent, "Accept": _ACCEPT[expect], "Accept-Encoding": "gzip"}
        if cached and cached.headers.get("etag"):
            headers["If-None-Match"] = cached.headers["etag"]
        if cached and cached.headers.get("last-modified"):
            headers["If-Modified-Since"] = cached.headers["last-modified"]
        retries, waited = 0, 0.0
        while True:
            self._wait_turn(url, parts.hostname)
            status, reason, answer_headers, body = self._attempt(url, headers)
            if status == 304 and cached:
                return cached
            if status in _RETRY_STATUSES:
                if retries == self.max_retries:
                    raise NetworkError(url, f"HTTP {status} {reason} (still, after {retries} retries)")
                wait = _retry_after(answer_headers)
                if wait is None:
                    wait = _BACKOFF * 2**retries
                if waited + wait > self.max_retry_wait:  # all the waits of one request together
                    when = dt.datetime.now() + dt.timedelta(seconds=wait)
                    raise NetworkError(
                        url,
                        f"HTTP {status} {reason}: the server asks to wait {wait:.0f} s; try again after {when:%Y-%m-%d %H:%M}",
                    )
                retries += 1
                waited += wait
                self._wait(url, wait)
                continue
            if not 200 <= status < 300:
                raise NetworkError(url, f"HTTP {status} {reason}")
            problem = _check(body, answer_headers.get("content-type", ""), expect)
            if problem:
                raise NetworkError(url, problem)
            response = Response(url, status, answer_headers, body, from_cache=False)
            self._cache_write(response)
            return response

    # -- one request -------------------------------------------------------------------------------------------

    def _attempt(self, url: str, headers: Mapping[str, str]) -> tuple[int, str, dict[str, str], bytes]:
        """Status, reason, headers (lower-case names) and decoded body of one GET; errors become NetworkError."""
        budget = _Budget(self.read_timeout, time.monotonic() + self.total_timeout)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler(), _Redirects(), _Handler(self._tls, budget))
        request = urllib.request.Request(url, headers=dict(headers))
        try:
            try:
                answer = opener.open(request, timeout=min(self.connect_timeout, self.total_timeout))
            except urllib.error.HTTPError as error:  # a status urllib does not pass: 3xx left over, 4xx, 5xx
                with error:
                    _log.info("GET %s: HTTP %s", url, error.code)
                    return error.code, str(error.reason), _lower(error.headers), b""
            with answer:
                body = self._read(url, answer, budget)
                _log.info("GET %s: HTTP %s, %d bytes", url, answer.status, len(body))
                return answer.status, answer.reason, _lower(answer.headers), body
        except NetworkError:
            raise
        except (TimeoutError, urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
            raise NetworkError(url, self._reason(error, budget)) from None

    def _read(self, url: str, answer: http.client.HTTPResponse, budget: _Budget) -> bytes:
        """The body, at most max_bytes before and after decompression, read within the budget's deadline."""
        length = answer.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise NetworkError(url, f"the answer is {int(length)} bytes, more than the {self.max_bytes} allowed")
        chunks: list[bytes] = []
        size = 0
        while True:
            budget.before_read()
            chunk = answer.read1(_CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > self.max_bytes:
                raise NetworkError(url, f"the answer is more than the {self.max_bytes} bytes allowed")
            chunks.append(chunk)
        if answer.length:  # bytes Content-Length announced that never came
            raise NetworkError(url, f"the connection closed after {size} of {size + answer.length} bytes")
        body = b"".join(chunks)
        encoding = answer.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding == "gzip":
            return self._gunzip(url, body)
        if encoding not in ("identity", ""):
            raise NetworkError(url, f"unsupported Content-Encoding {encoding!r}")
        return body

    def _gunzip(self, url: str, body: bytes) -> bytes:
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            data = decoder.decompress(body, self.max_bytes + 1)
        except zlib.error as error:
            raise NetworkError(url, f"bad gzip body ({error})") from None
        if len(data) > self.max_bytes:
            raise NetworkError(url, f"the answer unpacks to more than the {self.max_bytes} bytes allowed")
        if not decoder.eof:
            raise NetworkError(url, "the gzip body is cut short")
        return data

    def _reason(self, error: BaseException, budget: _Budget) -> str:
        """Words for a failed request: what went wrong, not the exception's class."""
        if isinstance(error, urllib.error.URLError) and isinstance(error.reason, BaseException):
            error = error.reason
        elif isinstance(error, urllib.error.URLError):
            return str(error.reason)
        if isinstance(error, TimeoutError):
            if budget.expired():
                return f"timed out: no complete answer within {self.total_timeout:g} s"
            if budget.sock is None:
                return f"timed out connecting ({self.connect_timeout:g} s)"
            return f"timed out: no data for {self.read_timeout:g} s"
        if isinstance(error, socket.gaierror):
            return f"cannot resolve the host name ({error.strerror or error})"
        if isinstance(error, ConnectionRefusedError):
            return "connection refused"
        if isinstance(error, ssl.SSLCertVerificationError):
            return f"TLS certificate not trusted ({error.verify_message or error})"
        if isinstance(error, ssl.SSLError):
            return f"TLS failed ({error.reason or error})"
        if isinstance(error, http.client.IncompleteRead):
            return f"the connection closed after {len(error.partial)} bytes, before the end of the answer"
        if isinstance(error, http.client.RemoteDisconnected):
            return "the server closed the connection without answering"
        if isinstance(error, OSError) and error.strerror:
            return error.strerror
        return str(error) or type(error).__name__

    # -- politeness ----------------------------------------------------------------------------------------------

    def _wait_turn(self, url: str, host: str) -> None:
        """Wait until min_interval[host] has passed since the start of the previous request to host."""
        last = self._started.get(host)
        if last is not None:
            self._wait(url, last + self.min_interval.get(host, 0) - self.clock())
        self._check_cancelled(url)
        self._started[host] = self.clock()

    def _wait(self, url: str, seconds: float) -> None:
        """Sleep, in short steps if there is a cancelled() to check between them."""
        self._check_cancelled(url)
        while seconds > 0:
            step = min(seconds, 0.25) if self.cancelled else seconds
            self.sleep(step)
            seconds -= step
            self._check_cancelled(url)

    def _check_cancelled(self, url: str) -> None:
        if self.cancelled and self.cancelled():
            raise NetworkError(url, "cancelled")

    # -- cache ---------------------------------------------------------------------------------------------------

    def _cache_path(self, url: str) -> Path | None:
        return self.cache_dir / hashlib.sha256(url.encode()).hexdigest() if self.cache_dir else None

    def _cache_read(self, url: str, expect: Expect) -> Response | None:
        """The kept answer for url, or None if there is none or it is unreadable (a damaged entry is ignored)."""
        path = self._cache_path(url)
        if path is None or not path.is_file():
            return None
        try:
            head, _, body = path.read_bytes().partition(b"\n")
            meta = json.loads(head)
            if (
                meta["url"] != url
                or meta["length"] != len(body)
                or _check(body, meta["headers"].get("content-type", ""), expect)
            ):
                raise ValueError("does not match")
            headers = {str(k): str(v) for k, v in meta["headers"].items()}
            return Response(url, int(meta["status"]), headers, body, from_cache=True)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            _log.warning("ignoring the damaged cache entry %s for %s: %s", path, url, error)
            return None

    def _cache_write(self, response: Response) -> None:
        """Keep an answer that can be asked for conditionally, replacing the file atomically; failure is harmless."""
        path = self._cache_path(response.url)
        if path is None:
            return
        meta = {
            "url": response.url,
            "status": response.status,
            "headers": dict(response.headers),
            "length": len(response.body),
        }
        try:
            if not ("etag" in response.headers or "last-modified" in response.headers):
                path.unlink(missing_ok=True)  # an older answer kept for this URL is out of date now
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with open(fd, "wb") as file:
                    file.write(json.dumps(meta).encode() + b"\n" + response.body)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temporary, path)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError as error:
            _log.warning("could not cache %s in %s: %s", response.url, path, error)


# -- helpers ---------------------------------------------------------------------------------------------------


def _lower(headers: Message) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _check(body: bytes, content_type: str, expect: Expect) -> str | None:
    """Why body is not what was expected (JSON, well-formed XML without DOCTYPE), or None if it is."""
    if expect == "any":
        return None
    wanted = "JSON" if expect == "json" else "XML"
    start = body.lstrip()[:100].lower()
    if "html" in content_type.lower() or start.startswith((b"<!doctype html", b"<html")):
        return f"expected {wanted}, got an HTML page ({content_type or 'no Content-Type'})"
    if expect == "json":
        try:
            json.loads(body)
        except ValueError as error:
            return f"expected JSON, got something else ({content_type or 'no Content-Type'}: {error})"
        except RecursionError:
            return "the JSON is nested too deeply to be an API answer"
        return None
    parser = xml.parsers.expat.ParserCreate()

    def refuse(*args: object) -> None:
        raise ValueError("a DOCTYPE or ENTITY declaration, refused in a downloaded document")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(body, True)
    except (ValueError, xml.parsers.expat.ExpatError) as error:
        return f"expected XML, got malformed XML ({error})"
    return None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from a Retry-After header (seconds, or an HTTP date measured against the answer's Date)."""
    value = headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
        now = (
            email.utils.parsedate_to_datetime(headers["date"])
            if "date" in headers
            else dt.datetime.now(dt.timezone.utc)
        )
        if when.tzinfo is None or now.tzinfo is None:
            when, now = when.replace(tzinfo=dt.timezone.utc), now.replace(tzinfo=dt.timezone.utc)
        return max(0.0, (when - now).total_seconds())
    except (TypeError, ValueError, IndexError):
        return None


class _Budget:
    """One request's time: socket timeouts that never reach past its deadline (real time, not the client's clock)."""

    def __init__(self, read_timeout: float, deadline: float) -> None:
        self.read_timeout, self.deadline = read_timeout, deadline
        self.sock: socket.socket | None = None  # set once connected

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline

    def connected(self, sock: socket.socket) -> None:
        self.sock = sock
        self.before_read()

    def before_read(self) -> None:
        """The next read waits read_timeout at most, and not past the deadline."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("total timeout")
        if self.sock is not None:
            self.sock.settimeout(min(self.read_timeout, left))


class _Budgeted:
    """Connects within the connect timeout, then waits for data no longer than the budget allows."""

    budget: _Budget
    sock: Any

    def __init__(self, host: str, *, budget: _Budget, **kwargs: Any) -> None:
        super().__init__(host, **kwargs)  # type: ignore[call-arg]  # the http.client class after this one
        self.budget = budget

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.budget.connected(self.sock)


class _HTTPConnection(_Budgeted, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_Budgeted, http.client.HTTPSConnection):
    """The same for TLS (the handshake counts as connecting)."""


class _Handler(urllib.request.HTTPHandler, urllib.request.HTTPSHandler):
    """Opens http and https URLs with the connections above; https verified against the OS trust store."""

    def __init__(self, context: ssl.SSLContext, budget: _Budget) -> None:
        urllib.request.HTTPSHandler.__init__(self, context=context)
        self.context, self.budget = context, budget

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_HTTPConnection, budget=self.budget), req)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_HTTPSConnection, budget=self.budget), req, context=self.context)


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects to http(s) URLs only (urllib would also follow one to ftp)."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise urllib.error.URLError(f"redirected to {newurl}, which is not an http(s) URL")
        return super().redirect_request(req, fp, code, msg, headers, newurl)
