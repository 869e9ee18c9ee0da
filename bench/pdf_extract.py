"""Bench: the text of a 30-page paper, Papershelf's sandboxed extract against pypdfium2's own CLI on the same file.

    python bench/pdf_extract.py [--repeat 7] [--work bench/data/work] [--json]

The file: the SymPy paper (tests/fixtures/pdfs/sympy-paper.pdf, 29 pages of
real LaTeX output, SOURCES.md there) with its first page again at the end, 30
pages, written with pypdfium2 into the work folder. Both sides start a fresh
process for every run, as the app does for every PDF, and the two alternate so
the shared machine's load falls on both; medians of ``repeat`` runs.

* Papershelf: ``sandbox.extract(FILE)`` timed in this process: the worker
  started (``python -m papershelf.core.pdf.worker``), PDFium loaded, limits set,
  every page's text, metadata, ids and annotations read, sent back as JSON and
  checked.
* Baseline: ``python -m pypdfium2_cli extract-text FILE`` (pypdfium2's CLI;
  ``python -m pypdfium2`` is its deprecated name), its stdout read to the end.

Prints a line per side and the ratio, or with ``--json`` one JSON object for
bench/run.py.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "desktop"))

from papershelf.core.pdf import sandbox  # noqa: E402

PAPER = ROOT / "tests" / "fixtures" / "pdfs" / "sympy-paper.pdf"
PAGES = 30
WHAT = f"the SymPy paper (29 pages, pdfTeX) with its page 1 again: {PAGES} pages"


def thirty_pages(out: Path) -> Path:
    """``PAPER`` with its first page appended: a real paper of 30 pages (bench's own file, not untrusted)."""
    import pypdfium2 as pdfium  # type: ignore[import-untyped]

    source = pdfium.PdfDocument(PAPER)
    document = pdfium.PdfDocument.new()
    try:
        document.import_pages(source)
        document.import_pages(source, [0])
        assert len(document) == PAGES
        out.parent.mkdir(parents=True, exist_ok=True)
        document.save(out)
    finally:
        document.close()
        source.close()
    return out


def ours(path: Path) -> tuple[float, int]:
    start = time.perf_counter()
    content = sandbox.extract(path)
    seconds = time.perf_counter() - start
    assert content.page_count == PAGES and len(content.pages) == PAGES, content.page_count
    return seconds, sum(len(page) for page in content.pages)


BASELINE = [sys.executable, "-m", "pypdfium2_cli", "extract-text"]


def theirs(path: Path) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run([*BASELINE, str(path)], capture_output=True, check=True)
    seconds = time.perf_counter() - start
    return seconds, len(done.stdout.decode("utf-8", errors="replace"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--work", type=Path, default=HERE / "data" / "work")
    parser.add_argument("--json", action="store_true", help="one JSON object (for bench/run.py)")
    args = parser.parse_args()
    path = thirty_pages(args.work / "pdf-30-pages.pdf")
    ours(path)  # warm the file cache for both
    papershelf_s, pdfium_s = [], []
    for _ in range(args.repeat):
        seconds, our_chars = ours(path)
        papershelf_s.append(seconds)
        seconds, their_chars = theirs(path)
        pdfium_s.append(seconds)
    result = {
        "file": WHAT,
        "pages": PAGES,
        "papershelf_s": statistics.median(papershelf_s),
        "pypdfium2_cli_s": statistics.median(pdfium_s),
        "papershelf_chars": our_chars,
        "pypdfium2_cli_chars": their_chars,  # with CR LF line ends and page breaks
        "repeat": args.repeat,
    }
    if args.json:
        print(json.dumps(result))
        return 0
    baseline = " ".join(["python", *BASELINE[1:], "FILE"])
    print(f"file: {path} ({WHAT})")
    print(f"{'Papershelf sandbox.extract(FILE)':<42} {result['papershelf_s'] * 1000:7.1f} ms  {our_chars:,} characters")
    print(f"{baseline:<42} {result['pypdfium2_cli_s'] * 1000:7.1f} ms  {their_chars:,} characters (CR LF)")
    ratio = result["papershelf_s"] / result["pypdfium2_cli_s"]
    print(f"ratio: {ratio:.2f}x (medians of {args.repeat} runs, each a fresh process, alternating)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
