"""What ``papershelf fetch`` and ``enrich`` do: import daily listings from the API, and complete papers.

A fetched day goes through the same import as a file (dedup, fill in and
never overwrite, sightings, one transaction), recording which fields the API
filled in. Completing papers takes two steps: papers with no arXiv id (from a
pasted page) are matched against their own day's listing, one request per
day, adding nothing else; then every paper with an arXiv id is completed from
the arXiv API in batches (:class:`~papershelf.core.operations.CompletePapers`,
one undoable operation).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ... import paths
from .. import normalize
from .. import operations as ops
from ..importers import Source
from ..library import Library
from ..records import ImportResult, Paper
from . import arxiv, daily
from .http import Client, NetworkError, default_user_agent
from .spacing import SPACING_FILE, SharedSpacing

DAILY_SOURCE = "Hugging Face daily papers API"
ARXIV_SOURCE = "arXiv API"

#: Called with (what is being done, done so far, total).
Progress = Callable[[str, int, int], None]


def client(
    cancelled: Callable[[], bool] | None = None,
    cache_dir: Path | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Client:
    """The client every online step uses: Papershelf's User-Agent, the cache, arXiv's rate limit."""
    return Client(
        user_agent=default_user_agent(),
        cache_dir=cache_dir if cache_dir is not None else paths.cache_dir() / "http",
        min_interval=arxiv.min_interval(),
        cancelled=cancelled,
        clock=clock,
        sleep=sleep,
        # arXiv's spacing counted over every Papershelf process (the app and a command at once), as for PDFs;
        # a test's own clock keeps its spacing to itself.
        shared_spacing=SharedSpacing(paths.cache_dir() / SPACING_FILE) if clock is time.monotonic else None,
    )


@dataclass
class DayResult:
    day: dt.date
    #: The import's result, or None when nothing was listed that day (a weekend).
    result: ImportResult | None


@dataclass
class Completed:
    """What completing papers did."""

    #: Papers matched to their day's listing (they had no arXiv id).
    matched: int = 0
    #: Papers that gained something from the arXiv API.
    completed: int = 0
    #: Papers asked about.
    asked: int = 0
    #: One line per id arXiv did not know.
    problems: list[str] = field(default_factory=list)
    #: One line per request that failed (a day's listing, arXiv): what it would have added is not there.
    failed: list[str] = field(default_factory=list)
    #: The operation that takes the whole completion back out, matches included (None: it changed nothing).
    undo: ops.Operation | None = None


def download_days(
    web: Client,
    days: Sequence[dt.date],
    *,
    progress: Progress | None = None,
) -> list[tuple[dt.date, Source | None]]:
    """Each day's listing from the API, oldest first (None: nothing listed that day, a weekend).

    A failed request raises :class:`NetworkError`: nothing is imported then.
    """
    found: list[tuple[dt.date, Source | None]] = []
    for n, day in enumerate(days):
        if progress is not None:
            progress(f"Fetching the listing of {day.isoformat()}", n, len(days))
        response = daily.fetch_day(web, day)
        found.append((day, None if _empty_listing(response.body) else Source(name=response.url, data=response.body)))
    return found


def import_day(library: Library, day: dt.date, source: Source | None, *, dry_run: bool = False) -> DayResult:
    """Import one downloaded day (one transaction), recording it as fetched; ``dry_run`` is the preview."""
    if source is None:
        if not dry_run:
            library.record_fetched_day(day, 0)
        return DayResult(day, None)
    result = library.import_file(
        source, fmt="hf-json", listing_date=day, origin=DAILY_SOURCE, fetched=day, dry_run=dry_run
    )
    return DayResult(day, result)


def fetch_days(
    library: Library,
    web: Client,
    days: Sequence[dt.date],
    *,
    progress: Progress | None = None,
) -> list[DayResult]:
    """Download every day's listing, then import each (one transaction per day).

    All days are downloaded first, so a network failure imports nothing.
    """
    return [import_day(library, day, source) for day, source in download_days(web, days, progress=progress)]


def complete(
    library: Library,
    web: Client,
    ids: Iterable[int],
    *,
    progress: Progress | None = None,
) -> Completed:
    """Complete these papers: match the ones without an arXiv id to their day's listing, then ask arXiv."""
    done = Completed()
    undos: list[ops.Operation] = []  # what takes each step back out, in the order the steps were made
    wanted = list(dict.fromkeys(ids))
    papers = list(library.iter_papers(wanted))
    days = sorted({s.listing_date for p in papers if not p.arxiv_id for s in p.sightings if s.source == "hf-daily"})
    for n, day in enumerate(days):
        if progress is not None:
            progress(f"Matching papers listed on {day.isoformat()}", n, len(days))
        try:
            response = daily.fetch_day(web, day)
        except NetworkError as exc:
            if exc.reason == "cancelled":
                raise
            done.failed.append(str(exc))
            continue
        if _empty_listing(response.body):
            continue
        result = library.import_file(
            Source(name=response.url, data=response.body),
            fmt="hf-json",
            listing_date=day,
            origin=DAILY_SOURCE,
            only_existing=True,
        )
        done.matched += result.existing
        if result.undo is not None and result.existing:
            undos.append(result.undo)
    papers = [p for p in library.iter_papers(wanted) if p.arxiv_id]
    done.asked = len(papers)
    if not papers:
        done.undo = _one_step(undos)
        return done

    def batch_progress(finished: int, total: int) -> None:
        if progress is not None:
            progress("Asking arXiv", finished, total)

    try:
        found, problems = arxiv.fetch(web, [p.arxiv_id for p in papers if p.arxiv_id], progress=batch_progress)
    except NetworkError as exc:
        if exc.reason == "cancelled":
            raise
        done.failed.append(str(exc))  # nothing from arXiv is written; the matches above are kept
        done.undo = _one_step(undos)
        return done
    done.problems += problems
    completions = tuple(
        c for p in papers if (c := completion(p, found.get(normalize.arxiv_id(p.arxiv_id or "") or "")))
    )
    if completions:
        label = f"Complete {len(completions)} paper{'s' if len(completions) != 1 else ''} from arXiv"
        outcome = library.run(ops.CompletePapers(completions, label))
        done.completed = int(outcome.result or 0)
        if done.completed:
            undos.append(outcome.inverse)
    done.undo = _one_step(undos)
    return done


def _one_step(undos: list[ops.Operation]) -> ops.Operation | None:
    """The undos of the steps of one completion as one operation: the last step taken back first."""
    if not undos:
        return None
    if len(undos) == 1:
        return undos[0]
    return ops.Batch(tuple(reversed(undos)), "Undo completing papers")


def completion(paper: Paper, entry: arxiv.ArxivEntry | None) -> ops.Completion | None:
    """What arXiv's entry adds to the paper (None without an entry)."""
    if entry is None:
        return None
    metadata = {
        "categories": list(entry.categories),
        "journal_ref": entry.journal_ref,
        "comment": entry.comment,
        "version": entry.version,
    }
    return ops.Completion(
        paper_id=paper.id,
        source=ARXIV_SOURCE,
        authors=tuple(entry.authors),
        published=entry.published,
        primary_class=entry.primary_category,
        doi=entry.doi,
        abstract=entry.summary or None,
        metadata=metadata,
    )


def _empty_listing(body: bytes) -> bool:
    """Whether the API answered an empty list (no papers that day); anything else goes to the importer."""
    try:
        listing = json.loads(body)
    except (ValueError, RecursionError):
        return False
    return isinstance(listing, list) and not listing
