"""Bench helper: 1,000 PDFs read into the search, the search afterwards, and what they add to the library.

    python bench/pdf_index.py WORK [--papers 100000] [--pdfs 1000] [--pages 10] [--from LIBRARY]

Builds (or copies, with SQLite's backup API, from ``--from``) a library of
``--papers`` synthetic papers (bench/generate.py), copies it, and in the copy
attaches ``--pdfs`` generated text PDFs to as many papers, spread over the
library. Each PDF has ``--pages`` pages of about 3,000 characters of the
listing's own kind of English-like text (its topic words, Zipf-distributed
general words), so search words hit PDFs as they would hit real papers.

Measured, all in this process with the modules loaded:

* reading them (``indexing.index_pending``: each file through the sandboxed
  worker, then one transaction per file), against the sandboxed extraction
  alone of the same files in the same run (what the writing adds);
* search as you type (bench/gui_probe.py's queries, one key at a time; each
  keystroke is the first page of 200 ids the table asks for): p95 and
  median, on the library with the PDFs and on the same library without them;
* the library file's growth per PDF (after a checkpoint), against the size of
  the text read from each PDF; and the stored files' size per PDF.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "desktop"))
sys.path.insert(0, str(ROOT))

from bench.generate import sentence as make_sentence  # noqa: E402
from bench.generate import topics, write_json  # noqa: E402
from bench.gui_probe import QUERIES  # noqa: E402
from papershelf.core.pdf import minimal  # noqa: E402

PAGE = 200  # the ids the table asks for per keystroke (gui/models/paper_table.py)
LINES_PER_PAGE = 46
CHARS_PER_LINE = 68


text_pdf = minimal.text_pdf


def paper_pages(rng: random.Random, pages: int) -> list[list[str]]:
    """A paper's pages: sentences of its own topic words and general words, wrapped into lines."""
    subject = topics(rng)
    result = []
    for _ in range(pages):
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < LINES_PER_PAGE * CHARS_PER_LINE:
            words += (make_sentence(rng, rng.randint(12, 25), subject) + ".").split()
        lines, line = [], ""
        for word in words:
            if line and len(line) + 1 + len(word) > CHARS_PER_LINE:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        result.append((lines + [line])[:LINES_PER_PAGE])
    return result


def copy_library(source: Path, target: Path) -> None:
    """A copy made by SQLite itself (the backup API): nothing else opens a library file."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def checkpointed_size(path: Path) -> int:
    """The library file's size with its write-ahead log folded in."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return path.stat().st_size


def search_times(library, repeat: int = 3) -> list[float]:
    """Milliseconds per keystroke: the first page of ids for each prefix of each query (best of ``repeat``)."""
    times = []
    for query in QUERIES:
        for end in range(1, len(query) + 1):
            typed = query[:end]
            best = float("inf")
            for _ in range(repeat):
                start = time.perf_counter()
                try:
                    library.search_ids(typed, limit=PAGE)
                except Exception as exc:  # a half-typed "status:" is a query error, as in the app
                    if type(exc).__name__ != "QueryError":
                        raise
                best = min(best, time.perf_counter() - start)
            times.append(best * 1000)
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("work", type=Path)
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--pdfs", type=int, default=1000)
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--from", dest="source", type=Path, help="a library to copy instead of importing a listing")
    args = parser.parse_args()

    from papershelf import paths
    from papershelf.core import attachments, db
    from papershelf.core.library import Library
    from papershelf.core.pdf import indexing, sandbox

    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    plain, shelf = work / "pdf-plain.sqlite3", work / "pdf-shelf.sqlite3"
    if args.source is not None:
        copy_library(args.source, plain)
    else:
        listing = work / f"listing-{args.papers}.json"
        if not listing.exists():
            write_json(listing, args.papers, seed=1)
        for suffix in ("", "-wal", "-shm"):
            Path(str(plain) + suffix).unlink(missing_ok=True)
        with Library(plain) as library:
            library.import_file(listing)
    copy_library(plain, shelf)

    pdf_dir = work / "pdfs"
    pdf_dir.mkdir(exist_ok=True)
    rng = random.Random(15)
    sources = []
    for n in range(args.pdfs):
        path = pdf_dir / f"paper-{n:04d}.pdf"
        path.write_bytes(text_pdf(paper_pages(rng, args.pages)))
        sources.append(path)

    shutil.rmtree(paths.files_dir(shelf), ignore_errors=True)  # a stored file left by an earlier run
    before = checkpointed_size(shelf)
    extracting = []
    real_extract = sandbox.extract

    def timed_extract(path: Path, **kwargs):
        start = time.perf_counter()
        try:
            return real_extract(path, **kwargs)
        finally:
            extracting.append(time.perf_counter() - start)

    with Library(shelf) as library:
        ids = library.search_ids("")
        step = max(1, len(ids) // args.pdfs)
        start = time.perf_counter()
        for n, source in enumerate(sources):
            attachments.attach(library, ids[(n * step) % len(ids)], source)
        attach_s = time.perf_counter() - start

        sandbox.extract = timed_extract  # type: ignore[assignment]
        start = time.perf_counter()
        results = indexing.index_pending(library)
        index_s = time.perf_counter() - start
        sandbox.extract = real_extract  # type: ignore[assignment]
        failed = [r for r in results if r.state != "done"]
        assert not failed and len(results) == args.pdfs, failed[:3]
        with db.read(library.engine) as conn:
            text_chars = sum(len(db.pdf_fts_body(conn, r.attachment_id) or "") for r in results)
        with_pdfs = search_times(library)
        hits_ids = library.search_ids("diffusion", limit=PAGE)
        start = time.perf_counter()
        indexing.pdf_hits(library, "diffusion", hits_ids[:100])
        hits_ms = (time.perf_counter() - start) * 1000
        files_bytes = sum(p.stat().st_size for p in attachments.files_dir(library).rglob("*.pdf"))
    after = checkpointed_size(shelf)
    with Library(plain) as library:
        without = search_times(library)

    print(
        json.dumps(
            {
                "papers": len(ids),
                "pdfs": args.pdfs,
                "pages": args.pages,
                "attach_s": attach_s,
                "index_s": index_s,
                "extract_s": sum(extracting),
                "search_p95_ms": p95(with_pdfs),
                "search_median_ms": statistics.median(with_pdfs),
                "plain_search_p95_ms": p95(without),
                "plain_search_median_ms": statistics.median(without),
                "keystrokes": len(with_pdfs),
                "pdf_hits_100_ms": hits_ms,
                "growth_per_pdf_kb": (after - before) / args.pdfs / 1024,
                "text_per_pdf_kb": text_chars / args.pdfs / 1024,
                "stored_file_per_pdf_kb": files_bytes / args.pdfs / 1024,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
