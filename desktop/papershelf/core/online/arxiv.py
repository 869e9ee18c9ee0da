"""The arXiv API: metadata of papers by arXiv id, as an Atom feed.

``GET {PAPERSHELF_ARXIV_API}?id_list=2509.01234,hep-th/9901001&max_results=2`` answers one
``<entry>`` per paper. arXiv asks API users for at most one request every 3 seconds and for
batches rather than one call per paper (https://info.arxiv.org/help/api/tou.html): :func:`fetch`
sends batches of :data:`BATCH` ids, and the spacing is the client's job, set up by whoever makes it::

    client = Client(min_interval=arxiv.min_interval(), ...)

The feed is untrusted XML: a document type declaration (where entity declarations live, and so the
"billion laughs") is refused before anything is expanded. Things arXiv's answer can hold besides papers:

- an entry with the id ``http://arxiv.org/api/errors#...``, the title ``Error`` and the message as
  summary, when a query is malformed (an id in a wrong format fails the whole request);
- for an id that is well formed but unknown, nothing (the current API), or an entry with no ``<id>``
  and an empty category (the API until 2025).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from .. import normalize
from .http import Client, NetworkError

DEFAULT_API = "https://export.arxiv.org/api/query"
#: Seconds between two requests to the arXiv API, as its terms of use ask.
MIN_INTERVAL = 3.0
#: Ids per request. arXiv serves up to 2000 results a request; 100 keeps each answer small (about 300 KB).
BATCH = 100

ATOM = "http://www.w3.org/2005/Atom"
ARXIV = "http://arxiv.org/schemas/atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
_A = f"{{{ATOM}}}"
_X = f"{{{ARXIV}}}"

#: ``http://arxiv.org/abs/2509.01234v2``, ``https://arxiv.org/abs/hep-th/9901001v1``: the id and its version.
_ABS_ID = re.compile(r"^https?://[^/\s]+/abs/(?P<id>\S+?)(?:v(?P<version>\d+))?$")
#: Old-style ids may carry a subject class that is not part of the id: ``math.GT/0309136`` is ``math/0309136``.
_SUBJECT_CLASS = re.compile(r"^([a-z]+(?:-[a-z]+)*)\.[a-z]{2}/")
#: The archives of old-style ids (``hep-th/9901001``), used until March 2007: a closed list.
OLD_ARCHIVES = frozenset(
    "acc-phys adap-org alg-geom ao-sci astro-ph atom-ph bayes-an chao-dyn chem-ph cmp-lg comp-gas cond-mat cs "
    "dg-ga funct-an gr-qc hep-ex hep-lat hep-ph hep-th math math-ph mtrl-th nlin nucl-ex nucl-th patt-sol "
    "physics plasm-ph q-alg q-bio quant-ph solv-int supr-con".split()
)
#: An arXiv category (``cs.LG``, ``hep-th``, ``cond-mat.str-el``). arXiv also lists MSC and ACM classes as
#: categories (``35``, ``28A80 (Primary) 39B62 (Secondary)``, ``I.2.7``): those are left out.
_CATEGORY = re.compile(r"^[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]+(?:-[a-z]+)*)?$")


@dataclass(frozen=True)
class ArxivEntry:
    """One paper as arXiv describes it."""

    arxiv_id: str  # base id without version: "2509.01234" or "hep-th/9901001"
    version: int | None  # latest version number, from <id> ...vN
    title: str  # whitespace collapsed (titles are line-broken)
    summary: str  # whitespace collapsed
    authors: tuple[str, ...]
    published: dt.date | None  # <published>: the first version
    updated: dt.date | None  # <updated>: the latest version
    primary_category: str | None
    categories: tuple[str, ...]  # the arXiv categories, the primary one included, in arXiv's order
    doi: str | None
    journal_ref: str | None  # whitespace collapsed
    comment: str | None


def api_url() -> str:
    """The query URL: ``$PAPERSHELF_ARXIV_API``, or https://export.arxiv.org/api/query.

    It is used as given (a mirror's ``http://host/some/path/query`` works); the query string is
    appended to it.
    """
    url = os.environ.get("PAPERSHELF_ARXIV_API", "").strip() or DEFAULT_API
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NetworkError(url, "PAPERSHELF_ARXIV_API is not an http(s) URL")
    return url


def min_interval() -> dict[str, float]:
    """The ``min_interval`` to give :class:`~.http.Client`: :data:`MIN_INTERVAL` for the API's host."""
    host = urlsplit(api_url()).hostname
    assert host is not None  # api_url() checked it
    return {host: MIN_INTERVAL}


def query_url(ids: Sequence[str]) -> str:
    """The URL that asks for ``ids`` (base ids, at most a batch), all of them in one answer."""
    base = api_url()
    query = urlencode({"id_list": ",".join(ids), "max_results": len(ids)}, safe=",/")
    return f"{base}{'&' if urlsplit(base).query else '?'}{query}"


def request_id(arxiv_id: str) -> str | None:
    """The form of an id to ask arXiv for and to find in its answer, or ``None`` if it is not an arXiv id.

    No version (the answer is the latest one), no ``arXiv:`` prefix or URL, and no subject class in an
    old-style id: ``arXiv:2509.01234v2`` -> ``2509.01234``, ``math.GT/0309136v1`` -> ``math/0309136``.
    An id that cannot exist is ``None`` too: a month outside 01-12, a 4-digit number after 1412 or a
    5-digit one before 1501, an old-style archive that never existed. arXiv answers a malformed id with
    an error for the whole request (HTTP 400 since 2025), so nothing doubtful is sent in a batch.
    """
    base = normalize.arxiv_id(arxiv_id)
    if base is None:
        return None
    base = _SUBJECT_CLASS.sub(r"\1/", base)
    archive, slash, number = base.rpartition("/")
    if slash:
        return base if archive in OLD_ARCHIVES and 1 <= int(number[2:4]) <= 12 else None
    yymm, _, number = base.partition(".")
    if not 1 <= int(yymm[2:]) <= 12:
        return None
    if len(number) == 4:
        return base if "0704" <= yymm <= "1412" else None
    return base if yymm >= "1501" else None


def parse_feed(body: bytes, url: str) -> tuple[list[ArxivEntry], list[str]]:
    """The papers of an arXiv Atom feed, and one line for each error entry or entry that was skipped.

    Raises :class:`~.http.NetworkError` naming ``url`` for anything that is not a well-formed Atom feed,
    and for XML with a document type declaration.
    """
    root = _parse_xml(body, url)
    if root.tag != f"{_A}feed":
        raise NetworkError(url, f"malformed Atom: the document is <{_local(root.tag)}>, not an Atom <feed>")
    entries: list[ArxivEntry] = []
    errors: list[str] = []
    for element in root.iterfind(f"{_A}entry"):
        raw_id = _text(element.find(f"{_A}id"))
        if not raw_id:
            continue  # the old API's placeholder for an unknown id; fetch() reports the id as missing
        if "/api/errors" in raw_id:
            message = _text(element.find(f"{_A}summary")) or raw_id.partition("#")[2].replace("_", " ")
            errors.append(f"arXiv: {message}")
            continue
        match = _ABS_ID.match(raw_id)
        arxiv_id = request_id(match.group("id")) if match else None
        if match is None or arxiv_id is None:
            errors.append(f"arXiv: skipped an entry with the unexpected id {raw_id!r}")
            continue
        version = match.group("version")
        primary = element.find(f"{_X}primary_category")
        categories = (c.get("term", "").strip() for c in element.iterfind(f"{_A}category"))
        entries.append(
            ArxivEntry(
                arxiv_id=arxiv_id,
                version=int(version) if version else None,
                title=_text(element.find(f"{_A}title")),
                summary=_text(element.find(f"{_A}summary")),
                authors=tuple(name for a in element.iterfind(f"{_A}author") if (name := _text(a.find(f"{_A}name")))),
                published=_date(element.find(f"{_A}published")),
                updated=_date(element.find(f"{_A}updated")),
                primary_category=(primary.get("term", "").strip() or None) if primary is not None else None,
                categories=tuple(dict.fromkeys(c for c in categories if _CATEGORY.match(c))),
                doi=_text(element.find(f"{_X}doi")) or None,
                journal_ref=_text(element.find(f"{_X}journal_ref")) or None,
                comment=_text(element.find(f"{_X}comment")) or None,
            )
        )
    return entries, errors


def fetch(
    client: Client, ids: Sequence[str], *, progress: Callable[[int, int], None] | None = None
) -> tuple[dict[str, ArxivEntry], list[str]]:
    """Ask arXiv about ``ids``, :data:`BATCH` at a time; the entries found, and one line per problem.

    The entries are keyed by ``normalize.arxiv_id`` of each id asked for (the form the library keeps),
    so ``2509.01234v2`` finds ``"2509.01234"``. Ids that are not arXiv ids are not sent (one of them
    would fail its whole batch); they, the ids arXiv does not know and arXiv's error entries each give
    a line. ``progress(done, total)`` is called before the first request and after each batch, with
    counts of the ids sent. A network failure raises :class:`~.http.NetworkError` and loses the batches
    already fetched: the caller writes nothing unless the whole answer came.
    """
    errors: list[str] = []
    wanted: dict[str, list[str]] = {}  # id to ask for -> the library's ids it answers
    for given in ids:
        key = normalize.arxiv_id(given)
        asked = request_id(given)
        if key is None or asked is None:
            errors.append(f"{given!r} is not an arXiv id")
            continue
        keys = wanted.setdefault(asked, [])
        if key not in keys:
            keys.append(key)
    asked_ids = list(wanted)
    found: dict[str, ArxivEntry] = {}
    total = len(asked_ids)
    if progress is not None:
        progress(0, total)
    for start in range(0, total, BATCH):
        batch = asked_ids[start : start + BATCH]
        url = query_url(batch)
        response = client.get(url, expect="xml")
        entries, batch_errors = parse_feed(response.body, response.url)
        errors.extend(batch_errors)
        by_id = {entry.arxiv_id: entry for entry in entries}
        for asked in batch:
            entry = by_id.get(asked)
            if entry is not None:
                for key in wanted[asked]:
                    found[key] = entry
            elif not batch_errors:
                errors.append(f"arXiv has no paper {asked}")
        if progress is not None:
            progress(min(start + BATCH, total), total)
    return found, errors


class _RefusingTreeBuilder(ET.TreeBuilder):
    """Stops the parser at a document type declaration, before any entity in it is declared or used."""

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise _DoctypeRefused(name)


class _DoctypeRefused(Exception):
    pass


def _parse_xml(body: bytes, url: str) -> ET.Element:
    parser = ET.XMLParser(target=_RefusingTreeBuilder())
    try:
        parser.feed(body)
        root: ET.Element = parser.close()
    except _DoctypeRefused as refused:
        if str(refused).lower() == "html":
            raise NetworkError(url, "malformed Atom: got an HTML page, not an Atom feed") from None
        raise NetworkError(url, "malformed Atom: refused a document type declaration (DOCTYPE/ENTITY)") from None
    except ET.ParseError as exc:
        raise NetworkError(url, f"malformed Atom: {' '.join(str(exc).split())}") from None
    return root


def _text(element: ET.Element | None) -> str:
    """The element's text with runs of whitespace (arXiv's line breaks) made one space; '' if absent."""
    return "" if element is None else " ".join("".join(element.itertext()).split())


def _date(element: ET.Element | None) -> dt.date | None:
    """The day of an Atom timestamp (``2025-09-10T17:59:59Z``), or None."""
    text = _text(element)
    try:
        return dt.date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]
