"""``papershelf download``: fetch the arXiv PDFs of papers for offline reading, and set the auto-download rule.

Queue, resume, checks and arXiv's rate rules are the core's (``core/online/pdfs.py``), the same the app's
downloads use. Here: which papers, one line per paper, progress on a terminal, and Ctrl+C that stops
cleanly (what arrived is kept, and the next ``papershelf download`` continues from there).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: `papershelf --help` loads no core module
    from .core.library import Library
    from .core.online.pdfs import DownloadProgress, DownloadResult
    from .core.operations.downloads import AutoRule

OpenLibrary = Callable[[argparse.Namespace], "Library"]

DESCRIPTION = """\
Download the arXiv PDFs of papers and attach them, for reading offline. Give
paper ids (numeric id, citation key or arXiv id), --list NAME or --tag TAG.
Each paper is queued first, so a download that does not finish (no network,
Ctrl+C) stays queued, and what arrived is kept: `papershelf download` with
nothing else (or --queued) continues the queue from there. One line per paper:
downloaded, already has a PDF (one whose file went missing does not count: it
is downloaded again), no arXiv id, or failed with the reason and whether it
stays queued. A failure that will not pass (HTTP 404 or 410, not an arXiv id,
too large) leaves the queue at once, any other after 5 failed tries;
`papershelf download ID` asks for such a paper again. A transfer that brings
almost nothing (under 1 KB) for 60 seconds, or is not done in 10 minutes,
fails and stays queued, what arrived kept. A web page instead of the PDF (a
captcha) is refused. The PDFs come from $PAPERSHELF_ARXIV_PDF/ID (default
https://arxiv.org/pdf/ID), one request every 3 seconds as arXiv asks, counted
over every Papershelf window and command running at the time.

--auto tag:NAME or --auto list:NAME queues the PDF of each paper that gets
that tag or joins that list from then on (with `papershelf tag` or `lists
add`, or in the app); the list must exist. --auto off turns it off (the
default); --auto alone shows the rule."""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``download`` to ``sub``."""
    p = sub.add_parser(
        "download",
        help="download the arXiv PDFs of papers (and continue the download queue)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("ids", nargs="*", metavar="ID", help="the papers (numeric id, citation key or arXiv id)")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--list", metavar="NAME", help="the papers of a reading list")
    scope.add_argument("--tag", metavar="TAG", help="the papers with a tag")
    scope.add_argument("--queued", action="store_true", help="the queued papers (the same as no papers given)")
    scope.add_argument(
        "--auto",
        nargs="?",
        const="",
        metavar="RULE",
        help="tag:NAME, list:NAME or off: which papers get their PDF queued automatically; alone: show it",
    )


def commands(open_library: OpenLibrary, usage: type[Exception]) -> dict[str, Callable[[argparse.Namespace], int]]:
    """This module's subcommands by name, for cli.py's dispatch table."""
    return {"download": lambda args: cmd_download(args, open_library, usage)}


def cmd_download(args: argparse.Namespace, open_library: OpenLibrary, usage: type[Exception]) -> int:
    if args.auto is not None:
        if args.ids:
            raise usage("download --auto: give no papers with it")
        return _auto(args, open_library, usage)
    if args.ids and (args.list is not None or args.tag is not None or args.queued):
        raise usage("download: give papers, --list, --tag or --queued, not two of them")
    stop, done = threading.Event(), threading.Event()
    with _stop_on_ctrl_c(stop, done):
        return _download(args, open_library, stop, done)


def _download(args: argparse.Namespace, open_library: OpenLibrary, stop: threading.Event, done: threading.Event) -> int:
    from .core.display import visible
    from .core.online import pdfs

    with open_library(args) as library:
        ids = _papers(library, args)
        if ids is not None and not ids:
            print(visible(f"{'list' if args.list is not None else 'tag'} {_named(args)}: no papers"))
            return 0
        if ids is None and not pdfs.queued(library):
            print("no PDFs queued for download")
            return 0
        progress = _Progress() if sys.stderr.isatty() else None
        try:
            results = pdfs.download(library, ids, progress=progress, cancelled=stop.is_set)
        except KeyboardInterrupt:
            if progress is not None:
                progress.clear()
            kept = visible(str(pdfs.partial_dir(library)))
            print(f"papershelf: interrupted; what arrived is kept in {kept}", file=sys.stderr)
            print("papershelf: `papershelf download` continues from there", file=sys.stderr)
            return 130
        finally:
            done.set()
        if progress is not None:
            progress.clear()
        code = _report(results, visible)
        # Read the new PDFs' text now, as attach does, so the search finds words inside them at once.
        _read_text(library, [r.attachment.id for r in results if r.state == "downloaded" and r.attachment is not None])
    return code


def _read_text(library: Library, attachment_ids: list[int]) -> None:
    """Quietly, as the output is one line per paper; a file that cannot be read stays attached, with a warning."""
    from .core.display import visible
    from .core.pdf.indexing import index_pending

    for result in index_pending(library, attachment_ids) if attachment_ids else []:
        if result.state == "failed":
            print(visible(f"papershelf: warning: {result.name}: {result.error}; it stays attached"), file=sys.stderr)


def _papers(library: Library, args: argparse.Namespace) -> list[int] | None:
    """The papers asked for (None: the queue)."""
    if args.list is not None:
        return library.list_paper_ids(args.list)
    if args.tag is not None:
        from .core.errors import PapershelfError

        wanted = " ".join(args.tag.split()).casefold()
        if not any(name.casefold() == wanted for name, _ in library.tags()):
            raise PapershelfError(f"no tag named {args.tag!r}")
        if '"' not in args.tag:
            return library.search_ids(f'tag:"{args.tag}"')
        every = library.search_ids("")  # a quote cannot be searched for: match the names themselves
        tagged: dict[int, list[str]] = {}
        for start in range(0, len(every), 10_000):
            tagged.update(library.tag_sets(every[start : start + 10_000]))
        return [pid for pid in every if any(t.casefold() == wanted for t in tagged.get(pid, []))]
    if args.ids:
        return library.resolve_many(args.ids)
    return None


def _named(args: argparse.Namespace) -> str:
    return repr(args.list if args.list is not None else args.tag)


def _report(results: Sequence[DownloadResult], visible: Callable[[str], str]) -> int:
    """One line per paper on stdout; what failed or stopped, in one line on stderr. The exit status."""
    for result in results:
        if result.state == "failed":
            print(visible(f"{result.line().removesuffix(result.message)}failed: {result.message}"))
        else:
            print(visible(result.line()))
    failed = [r for r in results if r.state == "failed"]
    cancelled = sum(r.state == "cancelled" for r in results)
    if cancelled:
        print(
            f"papershelf: stopped; {cancelled} still queued and what arrived is kept: "
            "`papershelf download` continues from there",
            file=sys.stderr,
        )
        return 130
    if failed:
        again = sum(r.queued for r in failed)
        text = f"papershelf: error: {len(failed)} of {len(results)} downloads failed"
        if again:
            text += f"; {again} still queued: `papershelf download` tries again"
        if again < len(failed):
            text += f"; {len(failed) - again} no longer queued: `papershelf download ID` tries again"
        print(text, file=sys.stderr)
        return 1
    return 0


@contextmanager
def _stop_on_ctrl_c(stop: threading.Event, done: threading.Event) -> Iterator[None]:
    """The first Ctrl+C sets ``stop`` (the download ends after the piece that is arriving); a second one
    interrupts at once; both keep what arrived. Once ``done`` is set, Ctrl+C no longer interrupts the report."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupted(_signum: int, _frame: object) -> None:
        if done.is_set():
            return
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        print("\npapershelf: stopping (Ctrl+C again to stop at once)…", file=sys.stderr, flush=True)

    before = signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


class _Progress:
    """``[1/3] 2301.00001: 120 KB of 743 KB`` on one line of a terminal's stderr, at most ten times a second."""

    def __init__(self) -> None:
        self.shown = 0.0
        self.width = 0

    def __call__(self, step: DownloadProgress) -> None:
        now = time.monotonic()
        if now - self.shown < 0.1 and step.done != step.total:
            return
        self.shown = now
        total = f" of {_kb(step.total)}" if step.total else ""
        text = f"[{step.index}/{step.count}] {step.arxiv_id}: {_kb(step.done)}{total}"
        sys.stderr.write("\r" + text.ljust(self.width))
        sys.stderr.flush()
        self.width = len(text)

    def clear(self) -> None:
        if self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()
            self.width = 0


def _kb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{max(1, round(n / 1024)) if n else 0} KB"


# --- The auto-download rule -----------------------------------------------------------------------------------


def _auto(args: argparse.Namespace, open_library: OpenLibrary, usage: type[Exception]) -> int:
    from .core.display import visible
    from .core.errors import NotFoundError, PapershelfError
    from .core.online import pdfs

    value = args.auto.strip()
    rule: AutoRule | None = None
    if value and value != "off":
        kind, sep, name = value.partition(":")
        if not sep or kind not in ("tag", "list") or not name.strip():
            raise usage(f"download --auto: {value!r} is not tag:NAME, list:NAME or off")
        rule = ("tag" if kind == "tag" else "list", name)
    with open_library(args) as library:
        if value:
            try:
                rule = pdfs.set_auto_download(library, rule).result
            except NotFoundError as exc:  # a list that does not exist: a typo would silently turn it off
                raise PapershelfError(f"{exc}; `papershelf lists` shows them") from None
        else:
            rule = pdfs.auto_download(library)
        unused = rule is not None and rule[0] == "tag" and not _tagged(library, rule[1])
    print(describe_rule(rule))
    if unused and rule is not None:
        print(visible(f"papershelf: auto-download: no paper has the tag {rule[1]!r} yet"), file=sys.stderr)
    return 0


def _tagged(library: Library, tag: str) -> bool:
    """Whether some paper has the tag (names match without case, as tags do)."""
    wanted = tag.casefold()
    return any(name.casefold() == wanted and count for name, count in library.tags())


def describe_rule(rule: AutoRule | None) -> str:
    """The rule in one line, its name made visible."""
    from .core.display import visible

    if rule is None:
        return "auto-download: off"
    kind, name = rule
    joins = "gets the tag" if kind == "tag" else "joins the list"
    return visible(
        f"auto-download: {kind}:{name}: the PDF of each paper that {joins} {name!r} is queued; "
        "`papershelf download` fetches the queue"
    )


def queue_automatic(library: Library, ids: Sequence[int]) -> None:
    """After papers got a tag or joined a list: queue the PDFs the auto-download rule asks for, and say so on
    stderr (the command's own output stays as it was)."""
    from .core.online import pdfs

    queued = pdfs.queue_automatic(library, ids)
    if queued:
        what = "1 PDF" if queued == 1 else f"{queued} PDFs"
        print(f"papershelf: auto-download: {what} queued; `papershelf download` fetches them", file=sys.stderr)
