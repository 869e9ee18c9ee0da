"""The daily papers API: ``GET {HF_ENDPOINT}/api/daily_papers?date=YYYY-MM-DD&limit=100``.

It answers the day's listing as the JSON array that :mod:`papershelf.core.importers.hf_json` reads.
``HF_ENDPOINT`` is the variable the Hugging Face client libraries honour: a base URL, default
https://huggingface.co, to which the path is appended, so a mirror under a path works
(``http://mirror.example/hf/`` asks ``http://mirror.example/hf/api/daily_papers?date=...``).
"""

from __future__ import annotations

import datetime as dt
import os
from urllib.parse import urlsplit

from .http import Client, NetworkError, Response

DEFAULT_ENDPOINT = "https://huggingface.co"
#: Papers asked for per day: the API's maximum (a day has had up to about 60).
LIMIT = 100


def endpoint() -> str:
    """The base URL: ``$HF_ENDPOINT`` without its trailing slashes, or https://huggingface.co."""
    value = os.environ.get("HF_ENDPOINT", "").strip() or DEFAULT_ENDPOINT
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise NetworkError(value, "HF_ENDPOINT is not an http(s) base URL")
    return value.rstrip("/")


def day_url(day: dt.date) -> str:
    """The URL of one day's listing."""
    # limit=100: the API's most; its default (50) would cut a busy day short without a word.
    return f"{endpoint()}/api/daily_papers?date={day.isoformat()}&limit={LIMIT}"


def fetch_day(client: Client, day: dt.date) -> Response:
    """One day's listing; its body is the JSON array (anything else raises :class:`~.http.NetworkError`)."""
    return client.get(day_url(day), expect="json")


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every day from ``first`` to ``last``, both included, oldest first (``fetch --since``); [] if first > last."""
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
