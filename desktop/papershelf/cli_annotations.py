"""``papershelf annotations`` and ``papershelf index``: a paper's PDF highlights, and reading PDFs for the search.

Both check the files first (``attachments.verify``: a stat, a hash only when
size or time changed), so a PDF annotated again in a viewer is read again.
Reading is the core's (``core/pdf/indexing.py``): each file through the
sandbox, written in one change per file. A file that cannot be read is one
line ("could not read: …") and the next one is read. :func:`print_pdf_hits`
is what ``papershelf list`` adds under its table for papers whose PDFs hold
the words searched.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: `papershelf --help` loads no core module
    from .core.library import Library
    from .core.pdf.indexing import IndexResult, PdfAnnotation

OpenLibrary = Callable[[argparse.Namespace], "Library"]

#: ``papershelf list`` says where the words are for at most this many papers (each hit reads a PDF's text).
MAX_LISTED_HITS = 100

ANNOTATIONS_HELP = """\
Print the highlights, underlines and comments made in the paper's PDFs with
any viewer (Okular, Evince, Preview, Acrobat...), with their page numbers.
The paper's PDFs are checked first: one changed since it was read (saved
again from a viewer) is read again, and so is one not read yet; what the
check found goes to standard error. The same excerpts are kept in the
paper's notes as "Highlights from FILE", updated when the annotations change."""

INDEX_HELP = """\
Check every attached PDF first (its size and modification time against the
library's record; only a file where they differ is hashed), then read the
text and annotations of those changed since they were read (annotated again
in a viewer, say) or never read (attach and download read theirs at once;
this catches up after an interrupted command). What the check found is
listed first, as `papershelf files --verify` lists it. A file that cannot
be read is listed as "could not read" with the reason, and is not read again
until it changes or --again is given."""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's subcommands to ``sub``."""
    p = sub.add_parser(
        "annotations",
        help="print the highlights and comments in a paper's PDFs",
        description=ANNOTATIONS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("id", help="numeric id, citation key or arXiv id")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p = sub.add_parser(
        "index",
        help="read attached PDFs for the search",
        description=INDEX_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--again", action="store_true", help="read every attached PDF again, also those read before")


def commands(open_library: OpenLibrary, usage: type[Exception]) -> dict[str, Callable[[argparse.Namespace], int]]:
    """This module's subcommands by name, for cli.py's dispatch table."""
    return {
        "annotations": lambda args: cmd_annotations(args, open_library),
        "index": lambda args: cmd_index(args, open_library),
    }


def cmd_annotations(args: argparse.Namespace, open_library: OpenLibrary) -> int:
    from .core import attachments
    from .core.display import json_safe, visible
    from .core.pdf import indexing

    with open_library(args) as library:
        pid = library.resolve(args.id)
        for line in checked(library, [pid]):
            print(line, file=sys.stderr)  # standard output is the annotations (JSON with --json)
        files = attachments.attachments_of(library, [pid]).get(pid, [])
        pending = [a.id for a in files if a.text_state == "pending" and not a.missing]
        if pending:
            indexing.index_pending(library, pending, progress=_progress())
            files = attachments.attachments_of(library, [pid]).get(pid, [])
        found = indexing.annotations_of(library, pid)
    if args.json:
        rows = [
            {
                "file": a.file,
                "page": a.page,
                "kind": a.kind,
                "quote": a.quote,
                "comment": a.comment,
                "author": a.author,
                "modified": a.modified,
            }
            for a in found
        ]
        print(json_safe(json.dumps(rows, ensure_ascii=False, indent=2)))
        return 0
    if not files:
        print(f"paper {pid} has no PDF attached; attach one with `papershelf attach {pid} FILE`")
        return 0
    by_file: dict[int, list[PdfAnnotation]] = {}
    for annotation in found:
        by_file.setdefault(annotation.attachment_id, []).append(annotation)
    for number, attachment in enumerate(files):
        if number:
            print()
        name = visible(attachment.name)
        listed = by_file.get(attachment.id, [])
        if attachment.missing and not listed:
            print(f"{name}: the file is missing ({visible(str(attachment.path))})")
        elif attachment.text_state == "failed" and not listed:
            print(f"{name}: {visible(attachment.text_error or 'could not read')}")
        elif not listed:
            print(f"{name}: no highlights or comments")
        else:
            print(name)
            for annotation in listed:
                print(_annotation_lines(annotation))
    return 0


def _annotation_lines(annotation: PdfAnnotation) -> str:
    """``  p. 3 highlight: "quote"`` and the comment below it, indented; a note without a quote on one line."""
    from .core.display import visible

    quote = " ".join(annotation.quote.split())
    comment = [visible(line.rstrip()) for line in annotation.comment.splitlines() if line.strip()]
    head = f"  p. {annotation.page} {visible(annotation.kind)}:"
    if quote:
        head += f' "{visible(quote)}"'
    elif comment:
        head += f" {comment.pop(0)}"
    return "\n".join([head, *(f"      {line}" for line in comment)])


def cmd_index(args: argparse.Namespace, open_library: OpenLibrary) -> int:
    from .core import attachments
    from .core.pdf import indexing

    with open_library(args) as library:
        for line in checked(library):
            print(line)
        wanted = [a.id for a in attachments.all_attachments(library)] if args.again else None
        results = indexing.index_pending(library, wanted, progress=_progress())
    for result in results:
        print(_result_line(result))
    if not results:
        print("no PDF is waiting to be read")
    return 1 if any(r.state == "failed" for r in results) else 0


def checked(library: Library, paper_ids: Sequence[int] | None = None) -> list[str]:
    """Check the papers' files (all: None) as `files --verify` does; what it found or repaired, made visible.

    Cheap when nothing changed: a stat per file, a hash only when its size or
    time differs from the library's record. A changed file is marked to be read again.
    """
    from .core import attachments
    from .core.display import visible

    return [visible(line) for line in attachments.verify(library, paper_ids)]


def _result_line(result: IndexResult) -> str:
    from .core.display import visible

    where = f"paper {result.paper_id}: {visible(result.name)}"
    if result.state == "failed":
        return f"{where}: {visible(result.error or 'could not read')}"
    pages = result.cut or f"{result.pages} page{'s' if result.pages != 1 else ''} read"
    if not result.annotations:
        return f"{where}: {pages}"
    count = result.annotations
    marks = "1 highlight or comment" if count == 1 else f"{count} highlights and comments"
    return f"{where}: {pages}, {marks} in the paper's notes"


def _progress() -> Callable[[int, int, str], None] | None:
    """One redrawn line on a terminal (stderr), else nothing."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int, _name: str) -> None:
        end = "\n" if done == total else ""
        sys.stderr.write(f"\rreading PDFs: {done} of {total}…{end}")
        sys.stderr.flush()

    return show


def print_pdf_hits(library: Library, query: str, ids: Sequence[int]) -> None:
    """Under ``papershelf list``'s table: where the words are in the listed papers' PDFs."""
    from .core.display import visible
    from .core.pdf import indexing

    if not query.strip() or not ids:
        return
    shown = list(ids[:MAX_LISTED_HITS])
    hits = indexing.pdf_hits(library, query, shown)
    if not hits:
        return
    width = shutil.get_terminal_size((100, 20)).columns
    id_width = max(len(str(pid)) for pid in hits)
    print()
    for pid in shown:
        hit = hits.get(pid)
        if hit is None:
            continue
        line = f"{pid:>{id_width}}: in the PDF, page {hit.page}: {visible(hit.snippet)}"
        print(line if len(line) <= width else line[: max(width - 1, 20)] + "…")
