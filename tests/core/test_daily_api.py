"""The daily papers API module: the URLs it builds from HF_ENDPOINT, the days of ``--since``, and a day fetched from
a local server serving a real recorded listing (tests/fixtures/online/, sources in SOURCES.md there)."""

from __future__ import annotations

import datetime as dt

import pytest

from papershelf.core.importers import Source, read_records
from papershelf.core.online import daily
from papershelf.core.online.http import Client, NetworkError
from tests.conftest import FIXTURES, SAMPLE_JSON
from tests.online_server import OnlineServer, Reply, online_server_fixture  # noqa: F401

RECORDED_DAY = dt.date(2026, 6, 12)
RECORDED = FIXTURES / "online" / "hf-daily-2026-06-12.json"


@pytest.fixture
def recorded_day() -> bytes:
    if not RECORDED.is_file():
        pytest.skip(
            f"the recorded response {RECORDED.name} is not in tests/fixtures/online/ yet (see SOURCES.md there)"
        )
    return RECORDED.read_bytes()


# -- URLs -------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "base"),
    [
        (None, "https://huggingface.co"),
        ("", "https://huggingface.co"),
        ("  ", "https://huggingface.co"),
        ("https://hf-mirror.com", "https://hf-mirror.com"),
        ("https://hf-mirror.com/", "https://hf-mirror.com"),
        (" http://127.0.0.1:8080/mirror/ ", "http://127.0.0.1:8080/mirror"),
        ("http://127.0.0.1:8080/a/b//", "http://127.0.0.1:8080/a/b"),
    ],
)
def test_endpoint(monkeypatch, value, base):
    if value is None:
        monkeypatch.delenv("HF_ENDPOINT", raising=False)
    else:
        monkeypatch.setenv("HF_ENDPOINT", value)
    assert daily.endpoint() == base
    assert daily.day_url(dt.date(2025, 9, 11)) == f"{base}/api/daily_papers?date=2025-09-11&limit=100"


@pytest.mark.parametrize(
    "value", ["huggingface.co", "ftp://huggingface.co", "https://", "https://hf.co/?token=1", "https://hf.co/#x"]
)
def test_endpoint_that_is_not_an_http_base_url(monkeypatch, value):
    monkeypatch.setenv("HF_ENDPOINT", value)
    with pytest.raises(NetworkError) as caught:
        daily.day_url(dt.date(2025, 9, 11))
    assert str(caught.value) == f"{value}: HF_ENDPOINT is not an http(s) base URL"


def test_days_between():
    d = dt.date
    assert daily.days_between(d(2025, 9, 11), d(2025, 9, 11)) == [d(2025, 9, 11)]
    assert daily.days_between(d(2024, 2, 27), d(2024, 3, 2)) == [
        d(2024, 2, 27),
        d(2024, 2, 28),
        d(2024, 2, 29),
        d(2024, 3, 1),
        d(2024, 3, 2),
    ]
    assert daily.days_between(d(2025, 12, 30), d(2026, 1, 2))[1:3] == [d(2025, 12, 31), d(2026, 1, 1)]
    assert daily.days_between(d(2025, 9, 12), d(2025, 9, 11)) == []
    assert len(daily.days_between(d(2025, 1, 1), d(2025, 12, 31))) == 365


# -- a day from the local server --------------------------------------------------------------------------------------


@pytest.fixture
def mirror(online_server, monkeypatch):
    """The daily papers API under http://127.0.0.1:PORT/mirror/ (a base URL with a path and a trailing slash)."""
    monkeypatch.setenv("HF_ENDPOINT", f"{online_server.url}/mirror/")
    return online_server


def test_a_recorded_day_through_a_base_url_with_a_path(mirror, recorded_day):
    mirror.add("/mirror/api/daily_papers?date=2026-06-12&limit=100", Reply.file("online/hf-daily-2026-06-12.json"))
    response = daily.fetch_day(Client(), RECORDED_DAY)
    assert mirror.paths() == ["/mirror/api/daily_papers?date=2026-06-12&limit=100"]
    sent = mirror.requests[0].headers
    assert sent["User-Agent"].startswith("Papershelf/") and sent["Accept"] == "application/json"
    assert response.url == f"{mirror.url}/mirror/api/daily_papers?date=2026-06-12&limit=100"
    assert response.status == 200 and not response.from_cache
    assert response.body == recorded_day
    # The body is what the importer reads (the lead's fetch does exactly this).
    reading = read_records(Source(name=response.url, data=response.body), listing_date=RECORDED_DAY)
    records = list(reading.records)
    assert reading.format == "hf-json" and len(records) == 30
    first = records[0]
    assert first.arxiv_id == "2606.00467"
    assert first.title == (
        "On the Limits of LLM Adaptability: Impact of Model-Internalized Priors on Annotation Task Performance"
    )
    assert first.authors == ["Etienne Casanova", "Rafal Kocielnik", "R. Michael Alvarez"]
    assert first.published == dt.date(2026, 5, 30)
    assert first.listing_date == RECORDED_DAY
    assert all(r.arxiv_id and r.authors for r in records)


def test_a_day_with_the_format_sample(mirror):
    mirror.add("/mirror/api/daily_papers?date=2025-09-11&limit=100", Reply.file(SAMPLE_JSON.name))
    response = daily.fetch_day(Client(), dt.date(2025, 9, 11))
    assert response.body == SAMPLE_JSON.read_bytes()
    assert mirror.requests[0].params == {"date": ["2025-09-11"], "limit": ["100"]}


def test_a_day_with_nothing_listed_is_an_empty_array(mirror):
    mirror.add("/mirror/api/daily_papers", Reply.json([]))
    assert daily.fetch_day(Client(), dt.date(2025, 9, 13)).body == b"[]"


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply.html(), "expected JSON, got an HTML page"),
        (
            Reply(b"<html><body>Rate limited</body></html>", content_type="text/plain"),
            "expected JSON, got an HTML page",
        ),
        (Reply(b'[{"paper": ', content_type="application/json"), "expected JSON, got something else"),
        (Reply.status_only(404), "HTTP 404 Not Found"),
        (Reply.status_only(500), "HTTP 500 Internal Server Error"),
    ],
)
def test_a_bad_answer_is_one_line_naming_the_days_url(mirror, reply, reason):
    mirror.add("/mirror/api/daily_papers", reply)
    with pytest.raises(NetworkError) as caught:
        daily.fetch_day(Client(), dt.date(2025, 9, 11))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{mirror.url}/mirror/api/daily_papers?date=2025-09-11&limit=100: ")
    assert reason in message


def test_a_second_fetch_of_the_same_day_comes_from_the_cache(mirror, recorded_day, tmp_path):
    mirror.add(
        "/mirror/api/daily_papers?date=2026-06-12&limit=100",
        Reply.file("online/hf-daily-2026-06-12.json", etag='W/"day-2026-06-12"'),
    )
    client = Client(cache_dir=tmp_path / "cache")
    assert not daily.fetch_day(client, RECORDED_DAY).from_cache
    again = daily.fetch_day(client, RECORDED_DAY)
    assert again.from_cache and again.body == recorded_day
    assert mirror.requests[1].headers["If-None-Match"] == 'W/"day-2026-06-12"'
