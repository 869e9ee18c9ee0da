"""The online feature's HTTP client against a local server: every failure is one line naming the URL."""

from __future__ import annotations

import email.utils
import gzip
import time

import pytest

from papershelf.core.online.http import Client, NetworkError, Response, default_user_agent
from tests.online_server import FakeTime, OnlineServer, Reply, closed_port, online_server_fixture  # noqa: F401

ATOM = b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>q</title></feed>'


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


def client(fake: FakeTime | None = None, **options: object) -> Client:
    if fake is not None:
        options.update(clock=fake.clock, sleep=fake.sleep)
    return Client(**options)  # type: ignore[arg-type]


def failure(url: str, **options: object) -> str:
    """The message of the NetworkError that GET url raises; checks it is one line starting with the URL."""
    expect = options.pop("expect", "json")
    with pytest.raises(NetworkError) as caught:
        client(**options).get(url, expect=expect)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{url}: "), message
    assert caught.value.url == url
    return message


# -- what is sent and what comes back ----------------------------------------------------------------------------


def test_user_agent_names_papershelf_and_its_version(online_server):
    online_server.add("/a", Reply.json([]))
    Client().get(online_server.url + "/a")
    sent = online_server.requests[0].headers
    assert sent["User-Agent"] == default_user_agent() == "Papershelf/0.1.0 (+https://github.com/papershelf/papershelf)"
    assert sent["Accept"] == "application/json"
    assert sent["Accept-Encoding"] == "gzip"


def test_json_answer(online_server):
    online_server.add("/api/daily_papers?date=2025-09-11", Reply.json([{"paper": {"id": "2509.01234"}}]))
    url = online_server.url + "/api/daily_papers?date=2025-09-11"
    response = Client().get(url)
    assert response == Response(url, 200, response.headers, b'[{"paper": {"id": "2509.01234"}}]', from_cache=False)
    assert response.headers["content-type"] == "application/json"


def test_xml_answer(online_server):
    online_server.add("/api/query", Reply.atom(ATOM))
    assert Client().get(online_server.url + "/api/query?id_list=1", expect="xml").body == ATOM


def test_any_answer_is_not_checked(online_server):
    online_server.add("/a", Reply(b"\x00 whatever", content_type="application/octet-stream"))
    assert Client().get(online_server.url + "/a", expect="any").body == b"\x00 whatever"


def test_gzip_body_is_decoded(online_server):
    online_server.add("/a", Reply.json({"x": "y" * 10_000}, gzip=True))
    response = Client().get(online_server.url + "/a")
    assert response.body == b'{"x": "' + b"y" * 10_000 + b'"}'


def test_redirect_is_followed(online_server):
    online_server.add("/old", Reply(status=301, headers={"Location": "/new"}))
    online_server.add("/new", Reply.json([1]))
    assert Client().get(online_server.url + "/old").body == b"[1]"
    assert online_server.paths() == ["/old", "/new"]
    assert online_server.requests[1].headers["User-Agent"] == default_user_agent()


# -- failures: one line naming the URL and the reason ------------------------------------------------------------


def test_html_where_json_was_expected(online_server):
    online_server.add("/api/daily_papers", Reply.html())
    message = failure(online_server.url + "/api/daily_papers?date=2025-09-11")
    assert message.endswith("expected JSON, got an HTML page (text/html; charset=utf-8)")


def test_html_without_content_type_where_json_was_expected(online_server):
    online_server.add("/a", Reply(b"\n  <!DOCTYPE html>\n<html><body>Sign in</body></html>", content_type=""))
    assert "expected JSON, got an HTML page" in failure(online_server.url + "/a")


def test_not_json_where_json_was_expected(online_server):
    online_server.add("/a", Reply(b'{"cut": ', content_type="application/json"))
    assert "expected JSON, got something else (application/json: Expecting value" in failure(online_server.url + "/a")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'{"a": 1}', "expected XML, got malformed XML (not well-formed (invalid token): line 1, column 0)"),
        (ATOM[:-10], "expected XML, got malformed XML (unclosed token"),
        (b"<feed><entry></feed>", "expected XML, got malformed XML (mismatched tag"),
        (b"<!DOCTYPE html><html><body>Rate exceeded.</body></html>", "expected XML, got an HTML page"),
        (
            b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY a "aaaa">]><feed>&a;</feed>',
            "expected XML, got malformed XML (a DOCTYPE or ENTITY declaration, refused",
        ),
    ],
    ids=["json", "truncated", "mismatched", "html", "doctype"],
)
def test_not_xml_where_xml_was_expected(online_server, body, problem):
    online_server.add("/api/query", Reply.atom(body))
    assert problem in failure(online_server.url + "/api/query?id_list=1", expect="xml")


@pytest.mark.parametrize(("status", "reason"), [(404, "Not Found"), (500, "Internal Server Error"), (403, "Forbidden")])
def test_http_error_status(online_server, status, reason):
    online_server.add("/a", Reply.status_only(status))
    assert failure(online_server.url + "/a") == f"{online_server.url}/a: HTTP {status} {reason}"


def test_connection_refused():
    url = f"http://127.0.0.1:{closed_port()}/api/daily_papers?date=2025-09-11"
    assert failure(url) == f"{url}: connection refused"


def test_unknown_host():
    """.invalid never resolves (RFC 2606), so this fails locally, without the internet."""
    start = time.monotonic()
    message = failure("http://papershelf-test.invalid/api/daily_papers", connect_timeout=2, total_timeout=5)
    assert "cannot resolve the host name" in message
    assert time.monotonic() - start < 30


def test_hanging_server_ends_within_the_total_timeout(online_server):
    online_server.add("/a", Reply.json([], hang=30))
    start = time.monotonic()
    message = failure(online_server.url + "/a", read_timeout=10, total_timeout=0.5)
    assert time.monotonic() - start < 2
    assert message.endswith("timed out: no complete answer within 0.5 s")


def test_trickling_server_ends_within_the_total_timeout(online_server):
    online_server.add("/a", Reply.json(list(range(100)), trickle=0.05))
    start = time.monotonic()
    message = failure(online_server.url + "/a", read_timeout=10, total_timeout=0.5)
    assert time.monotonic() - start < 2
    assert message.endswith("timed out: no complete answer within 0.5 s")


def test_silent_server_hits_the_read_timeout(online_server):
    online_server.add("/a", Reply.json([], hang=30))
    start = time.monotonic()
    assert failure(online_server.url + "/a", read_timeout=0.3, total_timeout=10).endswith(
        "timed out: no data for 0.3 s"
    )
    assert time.monotonic() - start < 2


def test_body_over_max_bytes(online_server):
    online_server.add("/a", Reply.json(list(range(1000))))
    assert failure(online_server.url + "/a", max_bytes=100).endswith(
        "the answer is 4890 bytes, more than the 100 allowed"
    )


def test_body_over_max_bytes_without_content_length(online_server):
    online_server.add("/a", Reply.json(list(range(100_000)), content_length=False))
    assert failure(online_server.url + "/a", max_bytes=100_000).endswith(
        "the answer is more than the 100000 bytes allowed"
    )


def test_gzip_body_unpacking_over_max_bytes(online_server):
    bomb = gzip.compress(b"[" + b" " * 1_000_000 + b"]")
    online_server.add("/a", Reply(bomb, headers={"Content-Encoding": "gzip"}))
    assert len(bomb) < 10_000
    assert "unpacks to more than the 10000 bytes allowed" in failure(online_server.url + "/a", max_bytes=10_000)


def test_truncated_body(online_server):
    online_server.add("/a", Reply(b'[{"title": "cut short"}]', truncate=10))
    assert failure(online_server.url + "/a").endswith("the connection closed after 10 of 24 bytes")


def test_truncated_gzip_body(online_server):
    online_server.add("/a", Reply(gzip.compress(b"[1, 2, 3]" * 100)[:-12], headers={"Content-Encoding": "gzip"}))
    assert failure(online_server.url + "/a").endswith("the gzip body is cut short")


def test_redirect_to_a_non_http_url_is_refused(online_server):
    online_server.add("/a", Reply(status=302, headers={"Location": "ftp://files.example/listing.json"}))
    assert "redirected to ftp://files.example/listing.json, which is not an http(s) URL" in failure(
        online_server.url + "/a"
    )
    online_server.add("/b", Reply(status=302, headers={"Location": "file:///etc/passwd"}))
    assert failure(online_server.url + "/b").startswith(f"{online_server.url}/b: HTTP 302")


def test_not_an_http_url():
    assert failure("file:///etc/passwd") == "file:///etc/passwd: not an http(s) URL"


def test_cancelled_before_the_request(online_server):
    online_server.add("/a", Reply.json([]))
    assert failure(online_server.url + "/a", cancelled=lambda: True).endswith(": cancelled")
    assert online_server.requests == []


# -- Retry-After and rate limits (an injected clock: nothing sleeps) ---------------------------------------------


def test_429_with_retry_after_seconds_then_200(online_server, fake):
    online_server.add("/api/query", [Reply.status_only(429, headers={"Retry-After": "7"}), Reply.atom(ATOM)])
    response = client(fake).get(online_server.url + "/api/query?id_list=1", expect="xml")
    assert response.body == ATOM
    assert fake.sleeps == [7.0]
    assert len(online_server.requests) == 2


def test_503_with_retry_after_as_an_http_date(online_server, fake):
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    online_server.add("/a", [Reply.status_only(503, headers={"Retry-After": later}), Reply.json([])])
    client(fake).get(online_server.url + "/a")
    [wait] = fake.sleeps
    assert 28 <= wait <= 31  # measured against the answer's Date header, to the second


def test_503_without_retry_after_backs_off(online_server, fake):
    online_server.add("/a", [Reply.status_only(503), Reply.status_only(503), Reply.json([])])
    client(fake).get(online_server.url + "/a")
    assert fake.sleeps == [5.0, 10.0]


def test_retry_after_longer_than_max_retry_wait_fails_saying_when(online_server, fake):
    online_server.add("/a", Reply.status_only(429, headers={"Retry-After": "3600"}))
    message = failure(online_server.url + "/a", clock=fake.clock, sleep=fake.sleep, max_retry_wait=60)
    assert "HTTP 429 Too Many Requests: the server asks to wait 3600 s; try again after 20" in message
    assert fake.sleeps == []
    assert len(online_server.requests) == 1


def test_the_waits_of_one_request_together_stay_under_max_retry_wait(online_server, fake):
    """Found by review: three waits of 60 s each made one command take three minutes."""
    online_server.add("/a", Reply.status_only(429, headers={"Retry-After": "40"}))
    message = failure(online_server.url + "/a", clock=fake.clock, sleep=fake.sleep, max_retry_wait=60)
    assert "the server asks to wait 40 s" in message
    assert fake.sleeps == [40.0]  # a second wait of 40 s would pass the 60 s in all


def test_json_nested_too_deeply_is_one_line(online_server):
    online_server.add("/a", Reply(b"[" * 100_000 + b"]" * 100_000))
    message = failure(online_server.url + "/a")
    assert message == f"{online_server.url}/a: the JSON is nested too deeply to be an API answer"


def test_gives_up_after_max_retries(online_server, fake):
    online_server.add("/a", Reply.status_only(503, headers={"Retry-After": "1"}))
    message = failure(online_server.url + "/a", clock=fake.clock, sleep=fake.sleep, max_retries=2)
    assert message.endswith("HTTP 503 Service Unavailable (still, after 2 retries)")
    assert fake.sleeps == [1.0, 1.0]
    assert len(online_server.requests) == 3


def test_cancel_during_a_retry_wait(online_server, fake):
    online_server.add("/a", Reply.status_only(429, headers={"Retry-After": "10"}))
    cancel_at = fake.now + 2
    message = failure(
        online_server.url + "/a", clock=fake.clock, sleep=fake.sleep, cancelled=lambda: fake.now >= cancel_at
    )
    assert message.endswith(": cancelled")
    assert sum(fake.sleeps) == pytest.approx(2) and max(fake.sleeps) <= 0.25


def test_rate_limit_spaces_requests_to_a_host(online_server, fake):
    online_server.add("/api/query", Reply.atom(ATOM))
    web = client(fake, min_interval={"127.0.0.1": 3.0})
    for batch in range(3):
        web.get(f"{online_server.url}/api/query?id_list={batch}", expect="xml")
    assert fake.sleeps == [3.0, 3.0]
    fake.now += 1.0  # the caller worked for a second: only the rest of the interval is waited
    web.get(f"{online_server.url}/api/query?id_list=3", expect="xml")
    assert fake.sleeps == [3.0, 3.0, 2.0]
    assert len(online_server.requests) == 4


def test_rate_limit_is_per_host(online_server, fake):
    online_server.add("/a", Reply.json([]))
    web = client(fake, min_interval={"localhost": 3.0})
    for _ in range(3):
        web.get(online_server.url + "/a")
    assert fake.sleeps == []


# -- cache ---------------------------------------------------------------------------------------------------------


def test_etag_cache(online_server, tmp_path):
    online_server.add("/a", Reply.json([1, 2], etag='"v1"'))
    url = online_server.url + "/a"
    first = Client(cache_dir=tmp_path).get(url)
    second = Client(cache_dir=tmp_path).get(url)
    assert online_server.requests[0].headers["If-None-Match"] is None
    assert online_server.requests[1].headers["If-None-Match"] == '"v1"'
    assert (first.from_cache, second.from_cache) == (False, True)
    assert second.body == first.body == b"[1, 2]" and second.status == 200
    assert second.headers["etag"] == '"v1"'


def test_changed_answer_replaces_the_cached_one(online_server, tmp_path):
    url = online_server.url + "/a"
    online_server.add("/a", Reply.json([1], etag='"v1"'))
    Client(cache_dir=tmp_path).get(url)
    online_server.add("/a", Reply.json([1, 2], etag='"v2"'))
    changed = Client(cache_dir=tmp_path).get(url)
    assert (changed.body, changed.from_cache) == (b"[1, 2]", False)
    again = Client(cache_dir=tmp_path).get(url)
    assert (again.body, again.from_cache) == (b"[1, 2]", True)
    assert online_server.requests[2].headers["If-None-Match"] == '"v2"'


def test_last_modified_cache(online_server, tmp_path):
    stamp = "Thu, 11 Sep 2025 08:00:00 GMT"
    online_server.add("/api/query", Reply.atom(ATOM, last_modified=stamp))
    url = online_server.url + "/api/query?id_list=1"
    Client(cache_dir=tmp_path).get(url, expect="xml")
    second = Client(cache_dir=tmp_path).get(url, expect="xml")
    assert online_server.requests[1].headers["If-Modified-Since"] == stamp
    assert (second.body, second.from_cache) == (ATOM, True)


def test_answer_without_validators_is_not_cached(online_server, tmp_path):
    online_server.add("/a", Reply.json([1], etag='"v1"'))
    Client(cache_dir=tmp_path).get(online_server.url + "/a")
    assert len(list(tmp_path.iterdir())) == 1
    online_server.add("/a", Reply.json([2]))
    assert Client(cache_dir=tmp_path).get(online_server.url + "/a").body == b"[2]"
    assert list(tmp_path.iterdir()) == []  # the old answer is gone, not served again on a later 304


@pytest.mark.parametrize("damage", [b"", b"garbage", b'{"url": 1}\n[]', b"truncate", b"not json now"])
def test_damaged_cache_entry_is_ignored(online_server, tmp_path, damage):
    online_server.add("/a", Reply.json([1, 2], etag='"v1"'))
    url = online_server.url + "/a"
    Client(cache_dir=tmp_path).get(url)
    [entry] = tmp_path.iterdir()
    content = entry.read_bytes()
    if damage == b"truncate":
        entry.write_bytes(content[:-2])
    elif damage == b"not json now":
        entry.write_bytes(content.replace(b"[1, 2]", b"<html>"))
    else:
        entry.write_bytes(damage)
    again = Client(cache_dir=tmp_path).get(url)
    assert (again.body, again.from_cache) == (b"[1, 2]", False)
    assert online_server.requests[1].headers["If-None-Match"] is None
    assert Client(cache_dir=tmp_path).get(url).from_cache  # and the entry is whole again


def test_cache_folder_that_cannot_be_written_is_harmless(online_server, tmp_path):
    online_server.add("/a", Reply.json([], etag='"v1"'))
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert Client(cache_dir=blocker / "cache").get(online_server.url + "/a").body == b"[]"


# -- proxies ---------------------------------------------------------------------------------------------------------


def test_http_proxy_is_used(online_server, monkeypatch):
    online_server.add("/api/daily_papers", Reply.json([]))
    monkeypatch.setenv("HTTP_PROXY", online_server.url)
    url = "http://hf.example.invalid/api/daily_papers?date=2025-09-11"
    assert Client().get(url).body == b"[]"
    [request] = online_server.requests
    assert request.target == url  # a proxy gets the absolute URL in the request line
    assert request.headers["Host"] == "hf.example.invalid"


def test_https_proxy_is_used(online_server, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", online_server.url)
    message = failure("https://export.example.invalid/api/query?id_list=1", expect="xml")
    assert "Tunnel connection failed: 403" in message
    [request] = online_server.requests
    assert (request.method, request.target) == ("CONNECT", "export.example.invalid:443")


def test_no_proxy_is_respected(online_server, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", online_server.url)
    monkeypatch.setenv("NO_PROXY", "example.invalid")
    assert "cannot resolve the host name" in failure("http://hf.example.invalid/api/daily_papers")
    assert online_server.requests == []
