"""``papershelf edit ID FIELD=VALUE…``: set or remove a paper's fields by their BibTeX names, as one operation.

The checks and the change itself are the core's (``core/operations/edit.py``),
the same the entry editor uses: a bad field or value is one line naming it,
with exit status 2, and nothing changes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: `papershelf --help` loads no core module
    from .core.library import Library
    from .core.records import Paper

DESCRIPTION = """\
Set fields of one paper, all in one change. FIELD is a BibTeX field name:
title, author, editor, year, date (YYYY-MM-DD), month, journal, booktitle,
volume, number, pages, publisher, doi, url, abstract, type (the entry type),
key (the citation key, which is then pinned), or any other field. Name lists
use BibTeX syntax: author="Last, First and von Last, First and {Org Name}".
Values are plain text, not LaTeX (in pages, 12--34 is a range, kept as 12–34).
FIELD= (nothing after the =) removes the field."""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "edit",
        help="set or remove fields of a paper",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("id", help="numeric id, citation key or arXiv id")
    p.add_argument("args", nargs="+", metavar="FIELD=VALUE")


def cmd_edit(
    args: argparse.Namespace, open_library: Callable[[argparse.Namespace], Library], usage: type[Exception]
) -> int:
    from .core import operations as ops
    from .core.display import visible
    from .core.operations.edit import Value, describe, parse_change

    changes: list[tuple[str, Value]] = []
    for word in args.args:
        name, sep, value = word.partition("=")
        if not sep or not name.strip():
            return _refused(f"{_short(word)!r} is not FIELD=VALUE")
        try:
            change = parse_change(name, value)
        except ops.InvalidField as exc:
            return _refused(str(exc))
        if any(change[0] == earlier for earlier, _ in changes):
            # The last one would silently win over the first: which one the user meant is theirs to say.
            return _refused(f"{change[0]} is given twice; give each field once")
        changes.append(change)
    with open_library(args) as library:
        pid = library.resolve(args.id)
        try:
            outcome = library.run(ops.EditFields.of(pid, changes))
        except ops.InvalidField as exc:
            return _refused(str(exc))
        paper = library.get(pid)
    lines = describe(outcome.result)
    if not lines:
        print(visible(f"{paper.citation_key}: nothing changed"))
    for line in lines:
        print(visible(f"{paper.citation_key}: {line}"))
    if any(name in ("date", "day") for name, _, _ in outcome.result) and _has_day(paper):
        print("papershelf: note: bibtex has no day field: its export keeps the year and month", file=sys.stderr)
    return 0


def _refused(message: str) -> int:
    """A bad field or value: one line, exit status 2 (a value, not the command line, so no usage line)."""
    from .core.display import visible

    print(visible(f"papershelf: error: edit: {' '.join(message.split())}"), file=sys.stderr)
    return 2


def _short(text: str) -> str:
    from .core.operations.edit import SHOWN_CHARS

    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}… ({len(text)} characters)"


def _has_day(paper: Paper) -> bool:
    from .core.exporters.common import stated_day

    return stated_day(paper)
