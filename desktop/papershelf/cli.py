"""The command line: a thin face over the core, for scripts and terminal users.

Exit status: 0 success, 1 a user error (bad input, unknown id), 2 a usage
error. No traceback ever reaches the user: unexpected errors are written to a
log file and reported in one line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import (
    __version__,
    cli_annotations,
    cli_attach,
    cli_autoexport,
    cli_download,
    cli_duplicates,
    cli_edit,
    cli_shared,
    paths,
)

if TYPE_CHECKING:  # imported where used: a command loads only what it needs
    from .core.importers import Source
    from .core.library import Library

EXIT_OK, EXIT_USER, EXIT_USAGE = 0, 1, 2

BIBTEX_IMPORT_HELP = (
    "BibTeX files import every entry that parses; a broken entry is skipped and reported by key and "
    "line in the summary, never dropped silently. An entry joins a paper already in the library only "
    "with the same key, arXiv id or DOI; each merge, and each possible duplicate (same title and year), "
    "is listed."
)


class UsageError(Exception):
    """A command line that makes no sense; exit status 2."""


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date in the form YYYY-MM-DD") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="papershelf",
        description="Papershelf: keep, tag, annotate and cite the research papers you read. "
        "Run with no command to open the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"papershelf {__version__}")
    parser.add_argument(
        "--library",
        metavar="PATH|URL",
        help="the library file, or a shared library's postgresql://USER@HOST/DATABASE URL "
        "(default: $PAPERSHELF_LIBRARY, else library.sqlite3 in the user data folder)",
    )
    parser.add_argument("--smoke-test", action="store_true", help="run the built-in self test of the app and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "import",
        help="import daily listings or BibTeX files",
        description="Import daily papers listings (the saved text of the Hugging Face Daily Papers page, or its JSON "
        "API) or BibTeX files. Papers already in the library are not added again; a new sighting is recorded and "
        "missing fields are filled in. Each file is one transaction: on an error nothing from it is written. "
        + BIBTEX_IMPORT_HELP,
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--date", type=_date, metavar="YYYY-MM-DD", help="the listing date (text listings have no year)")
    p.add_argument("--format", default="auto", choices=["auto", "hf-text", "hf-json", "bibtex"])

    p = sub.add_parser(
        "fetch",
        help="fetch daily listings from the Hugging Face daily papers API",
        description="Import a day's listing (default: today's), or every day since a date, from the daily papers API "
        "(GET $HF_ENDPOINT/api/daily_papers?date=…&limit=100, HF_ENDPOINT defaults to https://huggingface.co), through the "
        "same import as a file. Then complete the papers it added or matched from the arXiv API "
        "($PAPERSHELF_ARXIV_API), unless --no-enrich. Each day is one transaction.",
    )
    when = p.add_mutually_exclusive_group()
    when.add_argument("--date", type=_date, metavar="YYYY-MM-DD", help="the day to fetch (default: today)")
    when.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="every day from this one to today")
    p.add_argument("--no-enrich", action="store_true", help="do not complete the papers from the arXiv API")

    p = sub.add_parser(
        "enrich",
        help="complete papers from their daily listing and the arXiv API",
        description="Complete papers already in the library: papers without an arXiv id are matched to their own "
        "day's listing (one request per day), then every paper with an arXiv id is completed from the arXiv API "
        "(authors, publication date, categories, DOI, journal reference, comment, latest version). Nothing you "
        "edited is overwritten; `show` says which source filled which field.",
    )
    scope = p.add_mutually_exclusive_group(required=True)
    scope.add_argument("ids", nargs="*", default=[], metavar="ID", help="papers to complete")
    scope.add_argument("--all", action="store_true", help="every paper")
    scope.add_argument("--query", metavar="Q", help="the papers matching a search")

    p = sub.add_parser("list", help="list papers matching a search", description="List papers. " + SEARCH_HELP)
    p.add_argument("query", nargs="*", help="search terms (see above)")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.add_argument("--limit", type=int, metavar="N")
    p.add_argument(
        "--sort", default="id", choices=["id", "title", "first_author", "status", "priority", "listed_on", "added_at"]
    )

    p = sub.add_parser("show", help="show one paper")
    p.add_argument("id", help="numeric id, citation key or arXiv id")
    p.add_argument("--json", action="store_true")

    for name, verb in (("tag", "add tags to"), ("untag", "remove tags from")):
        p = sub.add_parser(name, help=f"{verb} a paper")
        p.add_argument("id")
        p.add_argument("tags", nargs="+", metavar="TAG")

    # argparse writes nargs="+" as "X [X ...]", which read as if ids and a status could repeat in turn.
    p = sub.add_parser("status", help="set the read status of papers", usage="%(prog)s [-h] ID [ID ...] STATUS")
    p.add_argument("args", nargs="+", metavar="ID... STATUS", help="paper ids, then unread, reading or read")

    p = sub.add_parser(
        "priority", help="set the priority of papers (0 none … 3 highest)", usage="%(prog)s [-h] ID [ID ...] PRIORITY"
    )
    p.add_argument("args", nargs="+", metavar="ID... PRIORITY")

    p = sub.add_parser(
        "delete",
        help="delete papers (with their notes and tags)",
        description="Delete papers from the library, with their notes, tags, list places and sightings. "
        "Their stored PDFs move to the .trash/ folder inside the library's files folder (unless another paper "
        "uses them); linked PDFs are never touched. The command line has no undo: a deleted paper comes back "
        "only from a backup taken before (`papershelf backup` takes one; the app takes one on its first start "
        "each day) with `papershelf restore`, which puts back the whole library as it was then and takes its stored PDFs "
        "back out of .trash/.",
    )
    p.add_argument("ids", nargs="+", metavar="ID")

    p = sub.add_parser("note", help="add a note to a paper")
    p.add_argument("id")
    p.add_argument("text", help="the note (Markdown); - reads it from standard input")

    p = sub.add_parser("key", help="show or set a paper's citation key")
    p.add_argument("id")
    p.add_argument("new_key", nargs="?")

    p = sub.add_parser("lists", help="show and edit reading lists", description="With no action, show every list.")
    lists_sub = p.add_subparsers(dest="action", metavar="ACTION")
    q = lists_sub.add_parser("create", help="create a list")
    q.add_argument("name")
    q = lists_sub.add_parser("add", help="add papers to a list")
    q.add_argument("name")
    q.add_argument("ids", nargs="+", metavar="ID")
    q = lists_sub.add_parser("remove", help="remove papers from a list")
    q.add_argument("name")
    q.add_argument("ids", nargs="+", metavar="ID")
    q = lists_sub.add_parser("rename", help="rename a list")
    q.add_argument("name")
    q.add_argument("new_name")
    q = lists_sub.add_parser("delete", help="delete a list (its papers stay in the library)")
    q.add_argument("name")
    q = lists_sub.add_parser("show", help="show the papers of a list in order")
    q.add_argument("name")

    p = sub.add_parser(
        "export",
        help="export papers to BibTeX and other formats",
        description="Export a reading list, a tag, a search, some papers or the whole library. "
        "Pick --format bibtex (the default: ASCII with LaTeX escapes, for bibtex and natbib) or "
        "--format biblatex (UTF-8, for biber). The file is replaced only when the export succeeds.",
    )
    scope = p.add_mutually_exclusive_group(required=True)
    scope.add_argument("--list", metavar="NAME")
    scope.add_argument("--tag", metavar="TAG")
    scope.add_argument("--search", metavar="NAME", help="a saved search")
    scope.add_argument("--query", metavar="Q")
    scope.add_argument("--ids", nargs="+", metavar="ID")
    scope.add_argument("--all", action="store_true")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help="the file to write (a leading ~ is your home folder); - for standard output",
    )
    p.add_argument(
        "--keep-updated",
        action="store_true",
        help="a live file: rewrite it after every change to the list, tag or saved search (see autoexport)",
    )
    p.add_argument("--format", default="bibtex", choices=["bibtex", "biblatex", "csl-json", "ris", "markdown"])
    p.add_argument("--no-abstract", action="store_true", help="leave abstracts out")
    p.add_argument("--notes", action="store_true", help="include your notes (private by default)")
    p.add_argument("--all-fields", action="store_true", help="keep tool-only fields (JabRef groups, file, timestamp…)")

    p = sub.add_parser("backup", help="write a backup of the library and print its path")
    p.add_argument("file", nargs="?", help="where to write it (default: the backups folder)")
    p.add_argument("--with-files", action="store_true", help="put the attached PDFs into the same archive")
    p = sub.add_parser(
        "restore",
        help="restore the library from a backup (the current one is backed up first)",
        description="Show what the backup holds next to the library, then replace the library's content with it. "
        "The library as it is is backed up first. If the restore would drop papers, notes or lists, it asks "
        "(or, without a terminal, refuses unless --yes is given). A backup with files also puts its PDFs back; "
        "a file already there is never overwritten.",
    )
    p.add_argument("file", nargs="?", help="the backup to restore (default: the newest in the backups folder)")
    p.add_argument("--yes", action="store_true", help="restore even if papers, notes or lists would be dropped")
    p = sub.add_parser("backups", help="list the backups of the library (and which carry PDFs)")
    cli_autoexport.add_parser(sub)
    cli_edit.add_parser(sub)
    cli_duplicates.add_parser(sub)
    cli_attach.add_parser(sub)
    cli_download.add_parser(sub)
    cli_annotations.add_parser(sub)
    cli_shared.add_parsers(sub)

    return parser


#: Options whose value is a search or a name, which may start with "-" (``export --query -status:read``).
QUERY_OPTIONS = ("--query", "--tag", "--list", "--search")


def _option(parser: argparse.ArgumentParser, word: str) -> argparse.Action | None:
    """The option of ``parser`` that ``word`` names (``--lim`` and ``--limit=5`` name ``--limit``), else None."""
    options = parser._option_string_actions  # argparse has no public way to look options up
    name = word.split("=", 1)[0] if word.startswith("--") else word
    if name in options:
        return options[name]
    if not name.startswith("--") or len(name) < 3:
        return None
    matches = {action for option, action in options.items() if option.startswith(name)}
    return matches.pop() if len(matches) == 1 else None


def _takes_value(action: argparse.Action, word: str) -> bool:
    return action.nargs != 0 and "=" not in word


def _command_parsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def protect_query_terms(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """Let search terms start with "-" without `--`: ``list -status:read``, ``export --query -tag:x``.

    argparse takes any word that starts with "-" for an option (and ``-has:code``
    for ``-h``). In ``list``, a word that is none of its options is a search
    term: the terms go after a `--`. An option whose value is a search or a name
    gets a value that starts with "-" glued on with "=". Real options
    (``--json``, ``--limit N``, ``-h``) still work anywhere, and unknown
    ``--words`` are still reported by argparse.
    """
    i = 0
    while i < len(argv) and argv[i] not in COMMANDS:
        action = _option(parser, argv[i])
        if argv[i] == "--" or not argv[i].startswith("-"):
            return argv  # no command, or a word argparse will report
        i += 2 if action is not None and _takes_value(action, argv[i]) else 1
    if i >= len(argv):
        return argv
    command = _command_parsers(parser).get(argv[i])
    if command is None:
        return argv
    searching = argv[i] == "list"  # its positional arguments are search terms
    head, rest = argv[: i + 1], argv[i + 1 :]
    options: list[str] = []
    terms: list[str] = []
    j = 0
    while j < len(rest):
        word = rest[j]
        if word == "--":
            if searching:
                terms += rest[j + 1 :]
            else:
                options += rest[j:]
            break
        action = _option(command, word)
        if action is None and not word.startswith("--") and (searching or not word.startswith("-")):
            # A positional argument: in `list`, a search term even when it starts with "-".
            (terms if searching else options).append(word)
            j += 1
            continue
        options.append(word)
        j += 1
        if action is not None and _takes_value(action, word) and j < len(rest):
            value = rest[j]
            glue = value.startswith("-") and value != "-" and _option(command, value) is None
            if glue and any(option in QUERY_OPTIONS for option in action.option_strings):
                options[-1] = f"{word}={value}"
                j += 1
            elif not value.startswith("-") and action.nargs in (None, 1):
                options.append(value)
                j += 1
    if not searching:
        return head + options
    if not any(term.startswith("-") for term in terms):
        return argv
    return head + options + ["--"] + terms


SEARCH_HELP = (
    'Search syntax: words match as prefixes; "quoted phrases" match exactly; filters tag:NAME, list:NAME '
    "(quote names with spaces), status:unread|reading|read, date:YYYY-MM-DD (listing date), has:notes, has:code, "
    "has:pdf (a PDF attached; -has:pdf: none); words also match inside attached PDFs; "
    "-term negates; all terms must match."
)


def _locate(args: argparse.Namespace) -> tuple[Path, Path]:
    """The library file this command works on, and its backups folder.

    Only commands about the file itself ask (backups, restore): for a shared
    library they are refused in one line that says what to do instead.
    """
    location = paths.library_path(args.library)
    if isinstance(location, str):
        raise cli_shared.NotForShared(cli_shared.file_only_message(args.command, location))
    return location, paths.backups_dir(location)


def _open(args: argparse.Namespace) -> Library:
    """The library for a command: a file (SQLite's full quick check runs once a day: it reads every page)
    or a shared library's URL.

    When the command changed the library, its live files are brought up to date as it closes.
    """
    location = paths.library_path(args.library)
    if isinstance(location, str):
        return cli_autoexport.open_library(location, None, check="daily")
    return cli_autoexport.open_library(location, paths.backups_dir(location), check="daily")


def _progress_printer(name: str) -> Callable[[int], None] | None:
    """A progress callback that redraws one line on a terminal, else None."""
    if not sys.stderr.isatty():
        return None

    def show(done: int) -> None:
        sys.stderr.write(f"\r{name}: {done:,} papers read…")
        sys.stderr.flush()

    return show


def cmd_import(args: argparse.Namespace) -> int:
    from .core.display import visible
    from .core.importers import Source

    with _open(args) as library:
        cli_shared.refuse_read_only(library)  # papers it holds already: nothing refuses, and "merged" misleads
        status = EXIT_OK
        for name in args.files:
            source = _stdin_source() if name == "-" else Source.from_path(name)
            # File names are any bytes: an ESC in one is shown as a mark, never sent to the terminal.
            progress = _progress_printer(visible(source.name))
            try:
                result = library.import_file(source, fmt=args.format, listing_date=args.date, progress=progress)
            finally:
                if progress:
                    sys.stderr.write("\r\x1b[K")
            print(f"{visible(source.name)}: {result.added} added, {result.existing} already in library")
            # What happened to entries goes with the summary; what went wrong, to stderr.
            # Titles and keys in them come from the file: control characters are shown as marks.
            for note in result.notes():
                diagnostic = note.startswith(("warning: ", "skipped: "))
                print(f"  {visible(note)}", file=sys.stderr if diagnostic else sys.stdout)
            if result.problems:
                status = EXIT_USER  # an entry was not imported
        return status


def cmd_fetch(args: argparse.Namespace) -> int:
    from .core.display import visible
    from .core.online import daily, fetching

    today = dt.date.today()
    days = daily.days_between(args.since, today) if args.since else [args.date or today]
    if not days:
        print(f"papershelf: --since {args.since} is after today", file=sys.stderr)
        return EXIT_USAGE
    web = fetching.client()
    with _open(args) as library:
        ids: list[int] = []
        for day in fetching.fetch_days(library, web, days, progress=_step_printer()):
            if day.result is None:
                print(f"{day.day}: no papers listed")
                continue
            result = day.result
            print(f"{day.day}: {result.added} added, {result.existing} already in library")
            for note in result.notes():
                print(
                    f"  {visible(note)}", file=sys.stderr if note.startswith(("warning: ", "skipped: ")) else sys.stdout
                )
            ids += result.paper_ids
        if not args.no_enrich and ids:
            done = fetching.complete(library, web, ids, progress=_step_printer())
            if not _print_completed(done, kept="the fetched listings are kept"):
                return EXIT_USER
    return EXIT_OK


def cmd_enrich(args: argparse.Namespace) -> int:
    from .core.online import fetching

    with _open(args) as library:
        if args.all:
            ids = library.search_ids("")
        elif args.query is not None:
            ids = library.search_ids(args.query)
        else:
            ids = library.resolve_many(args.ids)
        done = fetching.complete(library, fetching.client(), ids, progress=_step_printer())
        kept = "the papers matched to their listing are kept" if done.matched else None
        if not _print_completed(done, kept):
            return EXIT_USER
    return EXIT_OK


def _print_completed(done, kept: str | None) -> bool:
    """Say what completing did; False (after one error line per failed request) if a request failed.

    ``kept`` says what earlier steps wrote that stays in the library (None: nothing).
    """
    from .core.display import visible

    if done.completed or done.matched or not done.failed:
        print(
            f"completed {done.completed} of {done.asked} papers with an arXiv id from the arXiv API"
            + (f"; {done.matched} matched to their daily listing" if done.matched else "")
        )
    for problem in done.problems:
        print(f"  warning: {visible(problem)}", file=sys.stderr)
    for line in done.failed:
        print(f"papershelf: error: {visible(line)}" + (f"; {kept}" if kept else ""), file=sys.stderr)
    return not done.failed


def _step_printer():
    """Progress of the online steps on a terminal (nothing when stderr is not one)."""
    if not sys.stderr.isatty():
        return None

    def show(what: str, done: int, total: int) -> None:
        sys.stderr.write(f"\r\x1b[K{what}… {done}/{total}")
        sys.stderr.flush()

    return show


def _stdin_source() -> Source:
    """``import -``: standard input, read once (a pipe cannot be read twice)."""
    from .core.errors import ListingError
    from .core.importers import Source

    stream = sys.stdin
    if stream is None:
        raise ListingError("standard input: closed; nothing to import")
    if stream.isatty():
        print("papershelf: reading standard input (end with Ctrl-D)…", file=sys.stderr)
    binary = getattr(stream, "buffer", None)
    if binary is None:  # replaced by a text stream (an embedding program, a test)
        binary = io.BytesIO(stream.read().encode("utf-8", "surrogateescape"))
    return Source.from_stream(binary, "standard input")


def _paper_json(paper) -> dict:
    return {
        "id": paper.id,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": paper.authors,
        "arxiv_id": paper.arxiv_id,
        "url": paper.link,
        "code_urls": paper.code_urls,
        "project_url": paper.project_url,
        "published": paper.published.isoformat() if paper.published else None,
        "added_at": paper.added_at.isoformat(),
        "status": paper.status,
        "read_at": paper.read_at.isoformat() if paper.read_at else None,
        "priority": paper.priority,
        "tags": paper.tags,
        "lists": paper.lists,
        "notes": [
            {"id": n.id, "text": n.text, "created": n.created.isoformat(), "updated": n.updated.isoformat()}
            for n in paper.notes
        ],
        "citation_key": paper.citation_key,
        "listing_dates": [d.isoformat() for d in paper.listing_dates],
    }


#: The longest a command waits for any answer from a shared library's server (core/deadline.py).
SERVER_WAIT_S = 120.0

STATUS_MARK = {"unread": " ", "reading": "~", "read": "x"}
#: A mark :func:`~papershelf.core.display.visible` puts for a hidden character, like ``<U+202E>``.
_MARK = re.compile(r"<U\+[0-9A-F]{4,6}>")


def _print_table(library, ids: Sequence[int]) -> None:
    """One line per paper, fitted to the terminal: id, [status], priority, title, author, tags.

    Listing text is shown through :func:`visible`: an ESC, NUL or bidi override
    in a title is printed as a mark, never acted on by the terminal.
    """
    from .core.display import visible

    width = shutil.get_terminal_size((100, 20)).columns
    rows = library.rows(ids)
    shown = {i: (visible(rows[i].title), visible(rows[i].first_author), visible(rows[i].tags)) for i in ids}
    id_width = max(len(str(i)) for i in ids)
    author_width = min(18, max(len(shown[i][1]) for i in ids))
    tags_width = min(24, max(len(shown[i][2]) for i in ids))
    fixed = (
        id_width + len(" [x] !!! ") + (author_width + 2 if author_width else 0) + (tags_width + 2 if tags_width else 0)
    )
    title_width = max(20, width - fixed - 1)

    def fit(text: str, size: int) -> str:
        if len(text) <= size:
            return text
        cut = size - 1
        # Never half a mark ("<U+20…"): a mark the cut would split goes whole.
        for found in _MARK.finditer(text, max(0, cut - 9), cut + 9):
            if found.start() < cut < found.end():
                cut = found.start()
        return text[:cut] + "…"

    for pid in ids:
        row = rows[pid]
        title, author, tags = shown[pid]
        line = f"{pid:>{id_width}} [{STATUS_MARK[row.status]}] {'!' * row.priority:<3} {fit(title, title_width):<{title_width}}"
        if author_width:
            line += f"  {fit(author, author_width):<{author_width}}"
        if tags_width:
            line += f"  {fit(tags, tags_width)}"
        print(line.rstrip())


def cmd_list(args: argparse.Namespace) -> int:
    query = " ".join(args.query)
    with _open(args) as library:
        ids = library.search_ids(query, sort=args.sort, limit=args.limit)
        if args.json:
            from .core.display import json_safe

            # Streamed; bidi and C1 characters, which json leaves raw, are escaped for the terminal.
            encoder = json.JSONEncoder(ensure_ascii=False, indent=2)
            pdfs = cli_attach.pdf_json_by_paper(library)  # each paper as show --json gives it, PDFs included
            papers = [_paper_json(p) | {"pdfs": pdfs.get(p.id, [])} for p in library.iter_papers(ids)]
            for chunk in encoder.iterencode(papers):
                sys.stdout.write(json_safe(chunk))
            print()
        elif ids:
            _print_table(library, ids)
            cli_annotations.print_pdf_hits(library, query, ids)  # "in the PDF, page N" for words in a PDF
        else:
            print(
                "no papers match" if query else "the library is empty; import a listing with `papershelf import FILE`"
            )
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from .core.display import json_safe, visible

    with _open(args) as library:
        paper = library.get(library.resolve(args.id))
        pdfs = cli_attach.pdf_lines(library, paper.id)
        pdf_json = cli_attach.pdf_json(library, paper.id) if args.json else []
    if args.json:
        data = _paper_json(paper) | {"pdfs": pdf_json}
        print(json_safe(json.dumps(data, ensure_ascii=False, indent=2)))
        return EXIT_OK
    # Every field is listing or user text: control and bidi characters are printed as marks.
    print(visible(paper.title))
    if paper.authors:
        print(visible(", ".join(paper.authors)))
    print()
    facts = [
        ("id", paper.id),
        ("citation key", paper.citation_key),
        ("arXiv", paper.arxiv_id),
        ("link", paper.link),
        ("code", ", ".join(paper.code_urls)),
        ("project", paper.project_url),
        ("published", paper.published),
        ("listings", ", ".join(d.isoformat() for d in paper.listing_dates)),
        ("status", paper.status + (f" ({paper.read_at:%Y-%m-%d})" if paper.read_at else "")),
        ("priority", paper.priority or None),
        ("tags", ", ".join(paper.tags)),
        ("lists", ", ".join(paper.lists)),
        ("DOI", paper.extra_fields.get("doi")),
        ("journal", paper.metadata.get("journal_ref")),
        ("categories", ", ".join(paper.metadata.get("categories") or [])),
        ("comment", paper.metadata.get("comment")),
        ("version", f"v{paper.metadata['version']}" if paper.metadata.get("version") else None),
        ("cite as", "the preprint" if paper.cite_as == "preprint" else None),
    ]
    for label, value in facts:
        if value:
            print(f"{label:>13}: {visible(str(value))}")
    if pdfs:
        print("\nPDFs:", *pdfs, sep="\n")
    if paper.filled_by:
        print()
        print("filled in online:")
        for name, (source, at) in sorted(paper.filled_by.items()):
            print(f"{name:>13}: {source}, {at:%Y-%m-%d %H:%M}")
    if paper.abstract:
        print()
        print(visible(paper.abstract, multiline=True))
    for note in paper.notes:
        print()
        print(f"--- note {note.id} ({note.updated:%Y-%m-%d %H:%M})")
        print(visible(note.text, multiline=True))
    return EXIT_OK


def cmd_tag(args: argparse.Namespace) -> int:
    from .core.display import visible
    from .core.errors import PapershelfError

    missing: list[str] = []
    with _open(args) as library:
        pid = library.resolve(args.id)
        before = library.get(pid).tags
        if args.command == "tag":
            library.add_tags([pid], args.tags)
            cli_download.queue_automatic(library, [pid])
        else:
            missing = library.remove_tags([pid], args.tags)
        tags = library.get(pid).tags
    if missing:
        # `untag 1 typo` must not look like it worked.
        names = ", ".join(f'"{name}"' for name in missing)
        what = f"{args.id}: no tag{'s' if len(missing) > 1 else ''} {names} on this paper"
        if tags == before:
            raise PapershelfError(f"{what}; nothing changed")
        print(f"papershelf: warning: {visible(what)}; the rest were removed", file=sys.stderr)
    print(visible(f"{args.id}: tags: {', '.join(tags) or '(none)'}"))
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from .core.records import STATUSES

    if len(args.args) < 2 or args.args[-1] not in STATUSES:
        raise UsageError("status: give one or more paper ids, then unread, reading or read")
    with _open(args) as library:
        ids = library.resolve_many(args.args[:-1])
        library.set_status(ids, args.args[-1])
    print(f"{len(ids)} paper{'s' if len(ids) != 1 else ''} marked {args.args[-1]}")
    return EXIT_OK


def cmd_priority(args: argparse.Namespace) -> int:
    if len(args.args) < 2 or args.args[-1] not in {"0", "1", "2", "3"}:
        raise UsageError("priority: give one or more paper ids, then 0, 1, 2 or 3")
    with _open(args) as library:
        ids = library.resolve_many(args.args[:-1])
        library.set_priority(ids, int(args.args[-1]))
    print(f"{len(ids)} paper{'s' if len(ids) != 1 else ''} set to priority {args.args[-1]}")
    return EXIT_OK


def cmd_note(args: argparse.Namespace) -> int:
    from .core.errors import PapershelfError

    from_stdin = args.text == "-"
    with _open(args) as library:
        # The paper first: a wrong id fails before anything is typed.
        paper_id = library.resolve(args.id)
        text = _read_note_from_stdin() if from_stdin else args.text
        if not text.strip():
            raise PapershelfError("the note is empty; nothing was added")
        try:
            note_id = library.add_note(paper_id, text)
        except PapershelfError as exc:
            kept = _keep_unsaved_note(text) if from_stdin else None
            if kept is None:
                raise
            raise PapershelfError(f"{exc}; your note was kept in {kept}") from exc
    print(f"note {note_id} added to {args.id}")
    return EXIT_OK


def _utf8_problem(data: bytes) -> str | None:
    """``not UTF-8 text (byte 0xff at offset 3)``, or None for valid UTF-8."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
    return None


def _read_note_from_stdin() -> str:
    """The note piped or typed on standard input, which must be UTF-8."""
    from .core.errors import PapershelfError

    stream = sys.stdin
    if stream is None:
        return ""
    binary = getattr(stream, "buffer", None)
    data = binary.read() if binary is not None else stream.read().encode("utf-8", "surrogateescape")
    problem = _utf8_problem(data)
    if problem:
        raise PapershelfError(f"note from standard input: {problem}; nothing was written")
    return data.decode("utf-8")


def _keep_unsaved_note(text: str) -> Path | None:
    """Save a typed note that could not be added, so it is not lost; its path, or None."""
    from .core.fsutil import make_private_dirs

    try:
        folder = make_private_dirs(paths.data_dir() / "unsaved-notes")
        target = folder / f"note-{dt.datetime.now():%Y%m%d-%H%M%S-%f}.md"
        # Private, like the library: notes are the user's own words.
        with open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as fh:
            fh.write(text)
        return target
    except OSError:
        return None


def cmd_delete(args: argparse.Namespace) -> int:
    with _open(args) as library:
        ids = library.resolve_many(args.ids)
        titles = [row.title for row in library.rows(ids).values()]
        library.delete_papers(ids)
    from .core.display import visible

    for title in titles:
        print(f"deleted: {visible(title)}")
    return EXIT_OK


def cmd_key(args: argparse.Namespace) -> int:
    from .core.display import visible

    with _open(args) as library:
        pid = library.resolve(args.id)
        if args.new_key:
            library.set_citation_key(pid, args.new_key)
        # A key imported by an older version may hold an ESC or a bidi override.
        print(visible(library.get(pid).citation_key))
    return EXIT_OK


def cmd_lists(args: argparse.Namespace) -> int:
    from .core.display import visible

    # List names are typed or imported text: control and bidi characters are shown as marks.
    with _open(args) as library:
        if args.action is None:
            lists = library.lists()
            for name, count in lists:
                print(f"{visible(name)} ({count})")
            if not lists:
                print("no reading lists yet; create one with `papershelf lists create NAME`")
        elif args.action == "create":
            library.create_list(args.name)
            print(f"created list {visible(args.name)!r}")
        elif args.action == "add":
            ids = library.resolve_many(args.ids)
            added = library.add_to_list(args.name, ids)
            print(f"{visible(args.name)}: {added} added")
            cli_download.queue_automatic(library, ids)
        elif args.action == "remove":
            removed = library.remove_from_list(args.name, library.resolve_many(args.ids))
            print(f"{visible(args.name)}: {removed} removed")
        elif args.action == "rename":
            library.rename_list(args.name, args.new_name)
            print(f"renamed {visible(args.name)!r} to {visible(args.new_name)!r}")
        elif args.action == "delete":
            bound = cli_autoexport.bound_files(library, "list", args.name)
            library.delete_list(args.name)
            print(f"deleted list {visible(args.name)!r}")
            for path in bound:  # its live files went with it
                print(f"{visible(path)}: no longer kept updated (the file stays as it is)")
        elif args.action == "show":
            ids = library.list_paper_ids(args.name)
            if ids:
                _print_table(library, ids)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from .core import exporters
    from .core.display import visible
    from .core.fsutil import Protected
    from .core.operations.base import papers as papers_text

    if args.output != "-":  # a quoted '~/refs.bib' too, as --keep-updated stores it
        args.output = os.path.expanduser(args.output)
    with _open(args) as library:
        binding = cli_autoexport.prepare_binding(library, args) if args.keep_updated else None
        ids = export_scope_ids(library, args)
        if args.format in ("bibtex", "biblatex"):
            ids = library.bibtex_order(ids)  # crossref parents too, after their children
        report = exporters.ExportReport()  # what was written in another form: one warning line each
        options: exporters.RenderOptions = {
            "abstract": not args.no_abstract,
            "notes": args.notes,
            "all_fields": args.all_fields,
            "report": report,
        }
        papers = exporters.LibraryPapers(library, ids)  # encoded entries come from the entry cache
        # Never onto the library, its -wal/-shm or a backup: checked before writing, by os.stat only.
        protect = Protected.library(library.path, paths.backups_dir())  # every library's backups
        if args.output == "-":
            exporters.export_to_file(papers, args.format, "-", protect=protect, **options)
            cli_shared.pin_keys(library, ids)  # exported keys are in someone's document now
            _print_warnings(report)
            return EXIT_OK
        count = exporters.export_to_file(papers, args.format, Path(args.output), protect=protect, **options)
        cli_shared.pin_keys(library, ids)
        if binding is not None:
            cli_autoexport.bind(library, binding)
    print(f"{visible(args.output)}: {papers_text(count)} written ({args.format})", file=sys.stderr)
    if binding is not None:
        print(f"{visible(args.output)}: kept updated from now on (papershelf autoexport list)", file=sys.stderr)
    _print_warnings(report)
    return EXIT_OK


def _print_warnings(report) -> None:
    for line in report.warnings():
        print(f"papershelf: warning: {line}", file=sys.stderr)


def export_scope_ids(library, args) -> list[int]:
    if args.list:
        return library.list_paper_ids(args.list)
    if args.tag:
        return library.search_ids('tag:"' + args.tag.replace('"', "") + '"')
    if getattr(args, "search", None):
        from .core import autoexport

        return autoexport.scope_ids(library, "search", args.search)
    if args.query is not None:
        return library.search_ids(args.query)
    if args.ids:
        return library.resolve_many(args.ids)
    return library.search_ids("")


def cmd_backup(args: argparse.Namespace) -> int:
    from .core import backup

    library, folder = _locate(args)
    dest = Path(args.file) if args.file else None
    # Written to standard output, the archive is the output: what was written goes to stderr.
    say = sys.stderr if args.file == "-" else sys.stdout
    if not args.with_files:
        target = backup.backup(library, dest, folder=folder, backups_root=paths.backups_dir())
        print(target, file=say)
        return EXIT_OK
    from .core.display import visible

    target, written = backup.backup_with_files(
        library, dest, folder=folder, files_dir=paths.files_dir(library), backups_root=paths.backups_dir()
    )
    print(target, file=say)
    print(f"with {written.describe()}", file=say)
    for problem in written.problems:
        print(f"papershelf: warning: {visible(problem)}", file=sys.stderr)
    return EXIT_USER if written.problems else EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore, after comparing what the unpacked backup holds with the library (not the manifest's counts)."""
    from .core import backup
    from .core.errors import PapershelfError

    library, folder = _locate(args)
    source = Path(args.file) if args.file else backup.newest_good(folder)
    if source is None:
        raise PapershelfError(f"no usable backup in {folder}; nothing was restored")
    if not source.is_file():
        raise PapershelfError(f"{source}: no such backup file; nothing was restored")
    files_dir = paths.files_dir(library)  # where a backup with files puts its PDFs back
    try:
        done = backup.restore(library, source, folder=folder, force=args.yes, files_dir=files_dir)
    except backup.WouldDropError as refused:
        _print_sides(source, refused.after, library, refused.before)
        if not sys.stdin.isatty():
            raise PapershelfError(f"{refused} (add --yes to restore anyway)") from None
        answer = input(f"Restoring would drop {' and '.join(refused.lost)}. Restore anyway? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing was restored")
            return EXIT_USER
        done = backup.restore(library, source, folder=folder, force=True, files_dir=files_dir)
    _print_sides(source, done.after, library, done.before)
    print(f"restored {library} from {source}")
    if done.kept:
        print(f"the library as it was is kept in {done.kept}")
    if done.files is not None:
        from .core.display import visible

        for line in done.files.lines():  # paths named by the archive: shown, never acted on
            print(visible(line))
        if done.after.files:
            print("their text for search is read again by the app, or now with: papershelf index")
    elif done.untrashed:
        from .core.display import visible

        print(f"PDFs: {done.untrashed} brought back from the trash ({visible(str(files_dir))})")
    _warn_missing_pdfs(library, folder)
    return EXIT_OK


def _warn_missing_pdfs(library_path: Path, folder: Path) -> None:
    """After a restore: PDFs the library names that are not there (a lost files folder), and where they may be."""
    from .core import attachments, backup
    from .core.display import visible
    from .core.errors import PapershelfError
    from .core.library import Library

    with Library(library_path) as library:
        missing = sum(a.missing for a in attachments.all_attachments(library))
    if not missing:
        return
    where = visible(str(paths.files_dir(library_path)))
    many = f"{missing} attached PDFs are" if missing != 1 else "1 attached PDF is"
    print(f"papershelf: warning: {many} not in {where}", file=sys.stderr)
    for candidate in backup.list_backups(folder):  # newest first
        try:
            if backup.summarize(candidate).files:
                print(f"papershelf: a backup with PDFs: papershelf restore {visible(str(candidate))}", file=sys.stderr)
                return
        except PapershelfError:
            continue
    print("papershelf: `papershelf files --verify` looks for them", file=sys.stderr)


def _print_sides(source: Path, restored, library: Path, current) -> None:
    """What the backup holds (as unpacked) next to what the library held."""
    from .core.display import visible

    print(f" backup: {visible(str(source))}\n         {visible(restored.describe())}")
    if current is not None:
        print(f"library: {visible(str(library))}\n         {visible(current.describe())}")


def cmd_backups(args: argparse.Namespace) -> int:
    from .core import backup
    from .core.errors import PapershelfError

    _library, folder = _locate(args)
    found = backup.list_backups(folder)
    for path in found:
        try:
            about = backup.summarize(path).describe()
        except PapershelfError as exc:
            about = f"unreadable: {exc}"
        print(f"{path}\n    {about}")
    if not found:
        print(f"no backups yet in {folder}")
    return EXIT_OK


COMMANDS = {
    "import": cmd_import,
    "list": cmd_list,
    "show": cmd_show,
    "tag": cmd_tag,
    "untag": cmd_tag,
    "status": cmd_status,
    "priority": cmd_priority,
    "note": cmd_note,
    "delete": cmd_delete,
    "key": cmd_key,
    "lists": cmd_lists,
    "export": cmd_export,
    "fetch": cmd_fetch,
    "enrich": cmd_enrich,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "backups": cmd_backups,
    "autoexport": lambda args: cli_autoexport.cmd_autoexport(args, _open),
    **cli_shared.commands(),
    "edit": lambda args: cli_edit.cmd_edit(args, _open, UsageError),
    "duplicates": lambda args: cli_duplicates.cmd_duplicates(args, _open, UsageError),
    "merge": lambda args: cli_duplicates.cmd_merge(args, _open, UsageError),
    **cli_attach.commands(_open, UsageError),
    **cli_download.commands(_open, UsageError),
    **cli_annotations.commands(_open, UsageError),
}


#: Arguments that are text stored or searched in the library (file names are not: any bytes may name a file).
TEXT_ARGUMENTS = {
    "id": "paper id",
    "ids": "paper id",
    "keep": "paper id",
    "not_ids": "paper id",
    "prefer": "argument",
    "tags": "tag",
    "text": "note",
    "args": "argument",
    "name": "list name",
    "new_name": "new list name",
    "new_key": "citation key",
    "query": "search",
    "list": "list name",
    "tag": "tag",
    "search": "saved search name",
    "auto": "auto-download rule",
}


def _check_text_arguments(args: argparse.Namespace) -> None:
    """Refuse a text argument that is not UTF-8 (Python hands such argv bytes over as surrogate escapes)."""
    from .core.errors import PapershelfError

    for attribute, label in TEXT_ARGUMENTS.items():
        value = getattr(args, attribute, None)
        items = value if isinstance(value, list) else [value]
        for number, item in enumerate(items, 1):
            if not isinstance(item, str) or item.isascii():
                continue
            problem: str | None
            try:
                data = item.encode("utf-8", "surrogateescape")
            except UnicodeEncodeError as exc:
                problem = f"not valid Unicode text (at character {exc.start})"
            else:
                problem = _utf8_problem(data)
                if problem is None:
                    continue
                item = data.decode("utf-8", "backslashreplace")
            place = f"{label} argument {number}" if len(items) > 1 else f"{label} argument"
            shown = item if len(item) <= 40 else item[:39] + "…"
            raise PapershelfError(f'{place} "{shown}": {problem}; nothing was written')


def _one_line(message: object) -> str:
    """A message on one line (SQLite's and SQLAlchemy's span several), with control characters shown as marks."""
    from .core.display import visible

    return visible(" ".join(line.strip() for line in str(message).splitlines() if line.strip()))


def _waiting_notice() -> Callable[[], None]:
    """On a terminal: say once that a write waits for another program's lock."""
    said = False

    def notice() -> None:
        nonlocal said
        if not said:
            said = True
            sys.stderr.write("papershelf: waiting for the library: another program is writing to it…\n")
            sys.stderr.flush()

    return notice


def _split_gui_files(argv: list[str]) -> tuple[list[str], list[str]]:
    """``papershelf [--library P] FILE...`` (the desktop file's ``%F``): files for the app to import."""
    files: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--library" and i + 1 < len(argv):
            rest += argv[i : i + 2]
            i += 2
            continue
        if arg.startswith("-") or arg in COMMANDS or not Path(arg).exists():
            return argv, []
        files.append(arg)
        i += 1
    return rest, files


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    argv, gui_files = _split_gui_files(argv)
    args = parser.parse_args(protect_query_terms(parser, argv))
    args.files_to_open = gui_files
    if args.library is not None and not args.library.strip():
        parser.print_usage(sys.stderr)
        print("papershelf: error: --library: the path is empty", file=sys.stderr)
        return EXIT_USAGE
    from . import logs
    from .core import db

    if not args.smoke_test:  # the smoke test logs into its own throwaway profile
        logs.setup()
        cli_shared.route_driver_logs()  # psycopg's own warnings go to the log, not beside our one line
    db.install_open_guard()
    if args.smoke_test:
        from .smoke import run_smoke_test

        return run_smoke_test()
    if args.command is None:
        return launch_gui(args, parser)
    from .core import db
    from .core.errors import PapershelfError

    if sys.stderr.isatty():
        db.on_lock_wait = _waiting_notice()
    from .core import deadline

    # A shared library's server that hangs (it accepts TCP and never answers) is given up on, in one line,
    # rather than waited for forever (autoexport from cron); a statement takes a few seconds at most.
    deadline.limit(SERVER_WAIT_S)
    try:
        _check_text_arguments(args)
        # Before any connection: one line of ours for a password file libpq ignores, instead of libpq's own.
        cli_shared.check_password_file([args.library or os.environ.get("PAPERSHELF_LIBRARY") or "", *argv])
        return COMMANDS[args.command](args)
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"papershelf: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except cli_shared.NotForShared as exc:  # a file's command asked of a shared library: what to do instead
        print(f"papershelf: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except PapershelfError as exc:
        print(f"papershelf: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:
        print("papershelf: interrupted; nothing from the unfinished step was written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `papershelf list | head`: the reader went away; that is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        # SQLite's damage, busy and value errors met outside a Library method (opening, backups);
        # a shared library's server errors (read-only access, the server gone), named by its URL without a password.
        error = db.translate_error(exc, cli_shared.library_name(paths.library_path(args.library)))
        if error is not None:
            print(f"papershelf: error: {_one_line(error)}", file=sys.stderr)
            return EXIT_USER
        # The log is private: argv may hold a note's text, and that is what makes the record useful.
        from .core import pg

        shown = [pg.display(arg) for arg in sys.argv]  # a connection's password never reaches the log
        log = logs.write_crash(exc, context=f"the command line {shown!r}")
        where = f"; details in {log}" if log else ""
        # The driver's message, without SQLAlchemy's [SQL: …] and link lines.
        detail = _one_line(getattr(exc, "orig", None) or exc)
        print(f"papershelf: internal error: {type(exc).__name__}: {detail}{where}", file=sys.stderr)
        return 70
    finally:
        db.on_lock_wait = None


def launch_gui(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Open the desktop app; without a usable Qt, say so in one line (the CLI still works)."""
    try:
        from .gui.app import main as gui_main
    except ImportError as exc:
        print(
            f"papershelf: cannot start the desktop app ({exc}); the command line works: papershelf --help",
            file=sys.stderr,
        )
        return EXIT_USER
    return gui_main(args.library, files=args.files_to_open or None)


if __name__ == "__main__":
    sys.exit(main())
