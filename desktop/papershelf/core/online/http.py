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
  requests to a host (by every process of the user, with ``shared_spacing``: see :mod:`.spacing`), and on
  429/503 the wait the server asks for (``Retry-After``), at most ``max_retries`` times and never longer than
  ``max_retry_wait`` in all;
- a cache (with ``cache_dir``): bodies that came with an ETag or Last-Modified are kept, one file per URL, and
  asked for again conditionally; a 304 returns the kept body.

:meth:`Client.download` streams a large answer (a PDF) into a file instead, with the same timeouts and politeness,
its own size bound and time limit, and resume: what arrived stays in the file, and the next call asks for the rest
(HTTP Range). A download that stalls (fewer than ``stall_bytes`` in ``stall_window`` seconds) gives up early.

Every failure is a :class:`NetworkError` whose message is one line: ``<url>: <reason>``. The clock and sleep are
injectable, so tests check the spacing and the waits without waiting. A client is for one thread at a time.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import errno
import functools
import hashlib
import http.client
import json
import logging
import os
import socket
import ssl
import stat
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
from .spacing import SharedSpacing

_log = logging.getLogger("papershelf.online")

Expect = Literal["json", "xml", "any"]
_ACCEPT = {"json": "application/json", "xml": "application/atom+xml, application/xml, text/xml", "any": "*/*"}
_RETRY_STATUSES = (429, 503)
_BACKOFF = 5.0  # seconds before the first retry of a 429/503 without Retry-After; doubled each time
_CHUNK = 64 * 1024


#: The longest reason a NetworkError carries.
_MAX_REASON = 500


class NetworkError(PapershelfError):
    """A request that failed: ``str(exc)`` is one line, ``"<url>: <reason>"``; a reason the server wrote (a
    status line's phrase) is cut at :data:`_MAX_REASON` characters."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        reason = " ".join(reason.split())
        self.reason = reason if len(reason) <= _MAX_REASON else reason[: _MAX_REASON - 1] + "…"
        super().__init__(f"{' '.join(url.split())}: {self.reason}")


@dataclass(frozen=True)
class Response:
    """A successful answer (2xx), or the cached one a 304 confirmed (``from_cache``; status and headers as cached)."""

    url: str  # the URL asked for
    status: int
    headers: Mapping[str, str]  # names in lower case
    body: bytes  # decoded from gzip
    from_cache: bool


#: Called with (bytes in the file so far, the size of the whole file if the server said it).
ByteProgress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class Download:
    """A file that arrived whole at ``path``."""

    url: str
    path: Path
    size: int  # bytes in the file
    resumed_from: int  # bytes kept from an earlier, interrupted try (0: all of it came in this call)
    headers: Mapping[str, str]  # of the last answer, names in lower case


class DownloadFileError(PapershelfError):
    """The local file of a download could not be written or read: ``"<path>: <reason>"``."""


class _Restart(Exception):
    """The partial file cannot be continued (the server sent another range): start from the beginning."""


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
        shared_spacing: SharedSpacing | None = None,
        stall_bytes: int = 1024,
        stall_window: float = 60,
    ) -> None:
        self.user_agent = user_agent or default_user_agent()
        self.cache_dir = cache_dir
        self.clock, self.sleep = clock, sleep
        self.connect_timeout, self.read_timeout, self.total_timeout = connect_timeout, read_timeout, total_timeout
        self.max_bytes, self.max_retries, self.max_retry_wait = max_bytes, max_retries, max_retry_wait
        self.min_interval = dict(min_interval or {})
        self.cancelled = cancelled
        self.shared_spacing = shared_spacing
        self.stall_bytes, self.stall_window = stall_bytes, stall_window
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
                waited += self._retry_wait(url, status, reason, answer_headers, retries, waited)
                retries += 1
                continue
            if not 200 <= status < 300:
                raise NetworkError(url, f"HTTP {status} {reason}")
            problem = _check(body, answer_headers.get("content-type", ""), expect)
            if problem:
                raise NetworkError(url, problem)
            response = Response(url, status, answer_headers, body, from_cache=False)
            self._cache_write(response)
            return response

    def _retry_wait(
        self, url: str, status: int, reason: str, headers: Mapping[str, str], retries: int, waited: float
    ) -> float:
        """Wait as a 429/503 asks (Retry-After, else a doubling backoff) and return the wait; NetworkError if
        the retries are used up or the waits of this request together would pass max_retry_wait."""
        if retries == self.max_retries:
            raise NetworkError(url, f"HTTP {status} {reason} (still, after {retries} retries)")
        wait = _retry_after(headers)
        if wait is None:
            wait = _BACKOFF * 2**retries
        if waited + wait > self.max_retry_wait:  # all the waits of one request together
            when = dt.datetime.now() + dt.timedelta(seconds=wait)
            raise NetworkError(
                url,
                f"HTTP {status} {reason}: the server asks to wait {wait:.0f} s; try again after {when:%Y-%m-%d %H:%M}",
            )
        self._wait(url, wait)
        return wait

    def download(
        self,
        url: str,
        path: Path,
        *,
        max_bytes: int | None = None,
        total_timeout: float | None = None,
        progress: ByteProgress | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> Download:
        """GET ``url`` into the file ``path``, continuing what an earlier call left there.

        What arrives is written to ``path`` as it comes, so a transfer that stops (the connection drops, a
        timeout, cancel) leaves it there and the next call asks only for the rest: ``Range: bytes=N-`` with
        ``If-Range`` and the validator (a strong ETag, else Last-Modified) of the answer it came from, kept in
        ``<path>.json``. A file that changed on the server since, or a server that ignores ranges, sends the
        whole file (200), which replaces the partial one; so does one that answers another range. Without a
        validator there is nothing to check the rest against, and the download starts again.

        The whole file is at most ``max_bytes`` (default: the client's ``max_bytes``); a larger one is refused
        and its partial file removed. ``total_timeout`` bounds this call's transfer (default: the client's),
        ``read_timeout`` each wait for data, and fewer than ``stall_bytes`` arriving in ``stall_window``
        seconds ends it too (a connection that stalled). The body is stored as sent (``Accept-Encoding:
        identity``).
        Politeness and 429/503 retries are :meth:`get`'s. ``progress(done, total)`` after each piece;
        ``cancelled()`` is asked between pieces (and while waiting), and a cancel raises NetworkError
        ``"cancelled"`` with the partial file kept. A file that cannot be written raises DownloadFileError.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise NetworkError(url, "not an http(s) URL")
        limit = max_bytes if max_bytes is not None else self.max_bytes
        own = self.cancelled
        if cancelled is not None:
            self.cancelled = lambda: cancelled() or bool(own and own())
        try:
            retries, waited, restarted = 0, 0.0, False
            while True:
                offset, validator = _partial_file(path, url)
                headers = {"User-Agent": self.user_agent, "Accept": "*/*", "Accept-Encoding": "identity"}
                if offset and validator:
                    headers["Range"] = f"bytes={offset}-"
                    headers["If-Range"] = validator
                else:
                    offset = 0
                self._wait_turn(url, parts.hostname)
                try:
                    outcome = self._download_attempt(url, path, headers, offset, limit, total_timeout, progress)
                except _Restart:
                    if restarted:
                        raise NetworkError(url, "the server sent another part of the file than asked for") from None
                    restarted = True
                    _discard(path)
                    continue
                if isinstance(outcome, Download):
                    return outcome
                status, reason, answer_headers = outcome
                if status in _RETRY_STATUSES:
                    waited += self._retry_wait(url, status, reason, answer_headers, retries, waited)
                    retries += 1
                    continue
                if status == 416 and offset:  # the range starts at or after the end: maybe all of it is here
                    if _content_range(answer_headers.get("content-range", ""))[2] == offset:
                        return Download(url, path, offset, offset, answer_headers)
                    if not restarted:
                        restarted = True
                        _discard(path)
                        continue
                raise NetworkError(url, f"HTTP {status} {reason}")
        finally:
            self.cancelled = own

    def _download_attempt(
        self,
        url: str,
        path: Path,
        headers: Mapping[str, str],
        offset: int,
        limit: int,
        total_timeout: float | None,
        progress: ByteProgress | None,
    ) -> Download | tuple[int, str, dict[str, str]]:
        """One GET streamed into path: the Download, or the status, reason and headers of an answer that is not one."""
        budget = _Budget(self.read_timeout, total_timeout or self.total_timeout)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler(), _Redirects(), _Handler(self._tls, budget))
        request = urllib.request.Request(url, headers=dict(headers))
        try:
            try:
                answer = opener.open(request, timeout=min(self.connect_timeout, self.total_timeout))
            except urllib.error.HTTPError as error:
                with error:
                    _log.info("GET %s: HTTP %s", url, error.code)
                    return error.code, str(error.reason), _lower(error.headers)
            with answer:
                answer_headers = _lower(answer.headers)
                if not 200 <= answer.status < 300:
                    return answer.status, answer.reason, answer_headers
                encoding = answer_headers.get("content-encoding", "identity").strip().lower()
                if encoding not in ("identity", ""):
                    raise NetworkError(url, f"unsupported Content-Encoding {encoding!r}")
                length = answer_headers.get("content-length", "")
                total: int | None = None
                if answer.status == 206:
                    start, _end, total = _content_range(answer_headers.get("content-range", ""))
                    if start != offset:
                        raise _Restart
                else:
                    offset = 0  # the whole file: it replaces what was there
                    total = int(length) if length.isdigit() else None
                if total is not None and total > limit or length.isdigit() and offset + int(length) > limit:
                    _discard(path)
                    size = total if total is not None else offset + int(length)
                    raise NetworkError(url, f"the file is {size} bytes, more than the {limit} allowed")
                _write_meta(path, url, _validator(answer_headers))
                done = self._stream(url, answer, path, offset, limit, total, budget, progress)
                _log.info("GET %s: HTTP %s, %d bytes from byte %d", url, answer.status, done - offset, offset)
                return Download(url, path, done, offset, answer_headers)
        except (NetworkError, DownloadFileError, _Restart):
            raise
        except (TimeoutError, urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
            raise NetworkError(url, self._reason(error, budget)) from None

    def _stream(
        self,
        url: str,
        answer: http.client.HTTPResponse,
        path: Path,
        offset: int,
        limit: int,
        total: int | None,
        budget: _Budget,
        progress: ByteProgress | None,
    ) -> int:
        """Append the body to path (after its first ``offset`` bytes) as it arrives; the file's size at the end."""
        try:
            fd = _open_own(path)
        except OSError as error:
            raise DownloadFileError(f"{path}: {error.strerror or error}") from None
        with open(fd, "r+b") as file:
            done = offset
            try:
                file.truncate(offset)
                file.seek(offset)
            except OSError as error:
                raise DownloadFileError(f"{path}: {error.strerror or error}") from None
            if progress is not None:
                progress(done, total)
            window_end, window_done = time.monotonic() + self.stall_window, done  # the stall check's window
            while True:
                self._check_cancelled(url)
                # The wait is cut at the window's end only if the window falls short already: a socket that
                # timed out cannot be read again.
                short = done - window_done < self.stall_bytes
                by_window = budget.before_read(until=window_end if short else None)
                try:
                    chunk: bytes | None = answer.read1(_CHUNK)
                except TimeoutError:
                    if not by_window:
                        raise
                    chunk = None  # nothing more came before the window's end
                if chunk == b"":
                    break
                if chunk:
                    if done + len(chunk) > limit:
                        file.close()
                        _discard(path)
                        raise NetworkError(url, f"the file is more than the {limit} bytes allowed")
                    try:
                        file.write(chunk)
                        file.flush()  # what arrived is kept if the process ends now
                    except OSError as error:
                        raise DownloadFileError(f"{path}: {error.strerror or error}") from None
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
                if chunk is None or time.monotonic() >= window_end:  # what arrived is kept for the next try
                    if done - window_done < self.stall_bytes:
                        raise NetworkError(
                            url,
                            f"the server sent almost nothing for {self.stall_window:g} s ({done - window_done} bytes)",
                        )
                    window_end, window_done = time.monotonic() + self.stall_window, done
            try:
                os.fsync(file.fileno())
            except OSError as error:
                raise DownloadFileError(f"{path}: {error.strerror or error}") from None
        if answer.length:  # bytes Content-Length announced that never came; those that came are kept
            raise NetworkError(url, f"the connection closed after {done} of {done + answer.length} bytes")
        return done

    # -- one request -------------------------------------------------------------------------------------------

    def _attempt(self, url: str, headers: Mapping[str, str]) -> tuple[int, str, dict[str, str], bytes]:
        """Status, reason, headers (lower-case names) and decoded body of one GET; errors become NetworkError."""
        budget = _Budget(self.read_timeout, self.total_timeout)
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
                return f"timed out: no complete answer within {budget.total:g} s"
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
        """Wait until min_interval[host] has passed since the start of the previous request to host (this
        client's, and with shared_spacing any process's)."""
        interval = self.min_interval.get(host, 0)
        last = self._started.get(host)
        if last is not None:
            self._wait(url, last + interval - self.clock())
        if self.shared_spacing is not None and interval > 0:
            self.shared_spacing.take_turn(host, interval, self.clock, lambda seconds: self._wait(url, seconds))
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


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _partial_file(path: Path, url: str) -> tuple[int, str | None]:
    """The size of what an earlier download of url left in path, and the validator to continue it with."""
    try:
        st = path.lstat()
        meta = json.loads(_meta_path(path).read_text(encoding="utf-8"))
        if not stat.S_ISREG(st.st_mode) or meta.get("url") != url or not isinstance(meta.get("validator"), str):
            return 0, None
        return st.st_size, meta["validator"]
    except (OSError, ValueError, AttributeError):
        return 0, None


def _write_meta(path: Path, url: str, validator: str | None) -> None:
    """Keep beside path what a later call needs to continue it (or nothing, without a validator)."""
    meta = _meta_path(path)
    try:
        if validator is None:
            meta.unlink(missing_ok=True)
            return
        _write_own(meta, json.dumps({"url": url, "validator": validator}).encode("utf-8"))
    except OSError as error:
        raise DownloadFileError(f"{meta}: {error.strerror or error}") from None


def _open_own(path: Path) -> int:
    """Open the app's own file for writing (created 0600): never through a symlink, never a FIFO or device."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0), 0o600)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    return fd


def _write_own(path: Path, data: bytes) -> None:
    """Replace the content of the app's own small file (see :func:`_open_own`)."""
    with open(_open_own(path), "r+b") as file:
        file.truncate(0)
        file.write(data)


def _discard(path: Path) -> None:
    """Remove a partial download and its validator (only regular files: .partial is the app's own folder)."""
    for file in (path, _meta_path(path)):
        try:
            if stat.S_ISREG(file.lstat().st_mode):
                file.unlink()
        except FileNotFoundError:
            pass
        except OSError as error:
            raise DownloadFileError(f"{file}: {error.strerror or error}") from None


def _validator(headers: Mapping[str, str]) -> str | None:
    """What If-Range can name: a strong ETag (If-Range refuses weak ones), else Last-Modified."""
    etag = headers.get("etag", "").strip()
    if etag and not etag.startswith("W/"):
        return etag
    return headers.get("last-modified", "").strip() or None


def _content_range(value: str) -> tuple[int | None, int | None, int | None]:
    """(first byte, last byte, whole size) of ``bytes 100-199/1000`` or ``bytes */1000``; None where not said."""
    unit, _, spec = value.strip().partition(" ")
    if unit.lower() != "bytes":
        return None, None, None
    span, _, size = spec.partition("/")
    first, _, last = span.partition("-")
    number = [int(x) if x.strip().isdigit() else None for x in (first, last, size)]
    return number[0], number[1], number[2]


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

    def __init__(self, read_timeout: float, total: float) -> None:
        self.read_timeout, self.total = read_timeout, total
        self.deadline = time.monotonic() + total
        self.sock: socket.socket | None = None  # set once connected

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline

    def connected(self, sock: socket.socket) -> None:
        self.sock = sock
        self.before_read()

    def before_read(self, until: float | None = None) -> bool:
        """The next read waits read_timeout at most, and not past the deadline (nor past ``until``, a
        time.monotonic()); whether ``until`` is what bounds it."""
        now = time.monotonic()
        left = self.deadline - now
        if left <= 0:
            raise TimeoutError("total timeout")
        wait = min(self.read_timeout, left)
        by_until = until is not None and until - now < wait
        if until is not None and by_until:
            wait = max(until - now, 0.001)
        if self.sock is not None:
            self.sock.settimeout(wait)
        return by_until


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
