"""An imported BibTeX entry written back as it came in, with only the fields the user changed encoded afresh.

The entry's type, key, field names, field order and raw values come from its
:class:`~papershelf.core.bibsource.BibSource`. A field whose decoded value
still has its import fingerprint is written from its source text verbatim;
one the user changed is taken from the generated entry (what a paper without
a source would get). A changed name list keeps every name the user did not
touch as written, and changed keywords keep the ones still there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ..bibsource import MONTH_MACROS, BibSource, expanded, is_empty, needed_strings, unbraced, views
from ..records import Paper
from .common import NAME_FIELDS, ExportReport, split_name_list
from .latex import to_latex

#: Fields reference managers keep for themselves: where the PDF is on one
#: machine, groups, ratings, read flags, when the entry was added or changed.
#: They mean nothing to LaTeX and change on every save in the other tool, so an
#: export leaves them out unless asked for all fields (``--all-fields``).
TOOL_FIELDS = frozenset(
    """groups timestamp file owner bibsource biburl jabref-meta date-added date-modified pdf
    ranking rating priority readstatus qualityassured printed relevance mendeley-tags
    mendeley-groups citeulike-article-id citeulike-linkout local-url""".split()
)
#: Prefixes of tool fields: BibDesk's ``bdsk-url-1``, ``bdsk-file-1``; JabRef's own.
TOOL_PREFIXES = ("bdsk-", "jabref")
#: Fields whose value biblatex runs as TeX code when it reads the entry: never
#: exported, not even with all fields (an imported .bib could run anything in the
#: user's document). Kept in the library; the export report names the papers.
CODE_FIELDS = frozenset({"execute"})


# TeX's character-code escape (^^5c is a backslash), and control words (expl3's "_" and ":"
# included) whose names say they read or write files, run programs, define, expand or build
# commands: never part of a bibliography's data. (\includegraphics reads only an image and
# is data: the parrot in the title of "Stochastic Parrots" is in real libraries.) Matched in
# what bibtex reads, @strings and # joins resolved, so no command is assembled out of sight.
_HOSTILE_RE = re.compile(r"\^\^|\\[A-Za-z@_:]+")
_HOSTILE_WORDS = re.compile(
    r"input|include(?!graphics)|write|csname|catcode|expandafter|usename|explsyntax|shellescape|lua|scantokens|openin|openout"
    r"|readline|immediate|documentclass|package|command|filecontents|file_|_file"
    r"|^\\(?:[egx]?def|(?:future)?let|read|special|(?:pdf)?primitive|jobname|uppercase|lowercase)$",
    re.IGNORECASE,
)


def _hostile(text: str) -> bool:
    return any(m.group() == "^^" or _HOSTILE_WORDS.search(m.group()) for m in _HOSTILE_RE.finditer(text))


def as_written(paper: Paper) -> bool:
    """Whether the paper's source can be written as it came: True unless a value holds hostile TeX.

    A value with TeX that touches files, runs programs or defines commands
    (see ``_HOSTILE_WORDS``; ``^^5c`` is a backslash), as bibtex would read it
    once its ``@string``\\ s and ``#`` joins are resolved, is never written as
    TeX: such an entry is written from its decoded data, with the protections
    of a generated entry, and the export report names it. Everything else a
    .bib file can hold, math and macros included, is the user's and goes back
    out as it came.
    """
    source = paper.bibtex
    if source is None:
        return False
    strings = {name.lower(): raw for name, raw in source.strings}
    return not any(_hostile(raw) or _hostile(expanded(raw, strings)) for _, raw in source.fields if _may_run(raw))


def _may_run(raw: str) -> bool:
    """Whether a raw value could hold a command: a backslash or ^, or a part that is a @string name."""
    if "\\" in raw or "^" in raw or "#" in raw:
        return True
    start = raw.lstrip()[:1]
    return start not in ("{", '"') and not raw.strip().isdigit()


def is_tool_field(name: str) -> bool:
    """Whether ``name`` (lowercase) is a reference manager's own field (see :data:`TOOL_FIELDS`)."""
    return name in TOOL_FIELDS or name.startswith(TOOL_PREFIXES)


def render_written(
    paper: Paper,
    source: BibSource,
    *,
    key: str,
    abstract: bool,
    notes: bool,
    all_fields: bool,
    report: ExportReport | None,
    defined: dict[str, str],
    generated: Callable[[], tuple[str, list[str]]],
    utf8: bool = False,
) -> str:
    """The ``@string`` definitions it needs that ``defined`` lacks, then the entry.

    ``defined`` (lowercase name -> raw value) gathers the ``@string``\\ s written so
    far in this export. ``generated`` gives the entry a paper without a source
    would get, for the fields the user changed; it is made only when needed.
    ``utf8``: the biblatex profile (a new name is written in UTF-8, not LaTeX).
    """
    current = views(paper, [name.lower() for name, _ in source.fields])
    fresh: dict[str, tuple[str, str]] | None = None

    def encoded(name: str) -> str | None:
        nonlocal fresh
        if fresh is None:
            fresh = _fields_of(generated()[1])
        found = fresh.get(name)
        return found[1] if found else None

    own = {name.lower(): raw for name, raw in source.strings}
    head, clashing = string_definitions(source.strings, defined)

    def left_out(low: str) -> bool:
        return not all_fields and is_tool_field(low) or low == "abstract" and not abstract

    lines: list[str] = []
    seen: set[str] = set()
    with_notes = notes and any(n.text.strip() for n in paper.notes)
    for name, raw in source.fields:
        low = name.lower()
        seen.add(low)
        if low in CODE_FIELDS:
            if report is not None:
                report.code_left_out.append(key)
            continue
        if left_out(low):
            continue
        if low == "ids" and paper.aliases:  # papers merged into this one: their keys join the ids
            lines.append("  " + name + " = " + _alias_ids(paper, unbraced(raw)))
            continue
        changed = not source.unchanged(low, current) or (low == "annote" and with_notes)
        if not changed and clashing and not clashing.isdisjoint(needed_strings(raw, own)):
            changed = True  # written from its decoded value instead of another entry's @string
        if not changed:
            if not is_empty(raw):
                lines.append("  " + name + " = " + raw)
            continue
        value = _changed_value(low, raw, paper, current, encoded, utf8=utf8)
        if value is not None:
            lines.append("  " + name + " = " + value)
    # Fields the paper has gained since the import (an edit, a later import filling in).
    for low, value in current.items():
        if low in seen or source.unchanged(low, current) or not value.strip():
            continue
        if low in CODE_FIELDS or left_out(low):
            continue
        written = encoded(low)
        if written is not None:
            lines.append("  " + (fresh or {})[low][0] + " = " + written)
    if paper.aliases and "ids" not in seen:  # also when the import kept an uncitable original key in ids
        lines.append("  ids = " + _alias_ids(paper, current.get("ids", "")))
    if with_notes and "annote" not in seen:
        written = encoded("annote")
        if written is not None:
            lines.append("  annote = " + written)

    entry_type = source.entry_type
    if (paper.entry_type or "misc").lower() != entry_type.lower():
        entry_type = generated()[0]
    return "".join(head) + "@" + entry_type + "{" + key + ",\n" + ",\n".join(lines) + "\n}\n"


def string_definitions(strings: Sequence[tuple[str, str]], defined: dict[str, str]) -> tuple[list[str], set[str]]:
    """The ``@string`` definitions an entry with these ``strings`` writes first, and the names it cannot share.

    ``defined`` (lowercase name -> raw value, the @strings written so far in the
    export) gains the ones written. A name cannot be shared when another
    entry's definition of it differs, or when it redefines a month (which
    every other entry reads as the month), or when it is a month this entry
    uses as the month, which another entry redefined: the fields that use
    such a name are written from their decoded value.
    """
    head: list[str] = []
    clashing: set[str] = set()
    for name, raw in strings:
        known = defined.get(name.lower())
        if name.lower() in MONTH_MACROS or known is not None and known != raw:
            clashing.add(name.lower())
        elif known is None:
            defined[name.lower()] = raw
            head.append("@string{" + name + " = " + raw + "}\n\n")
    own = {name.lower() for name, _ in strings}
    clashing |= {month for month in MONTH_MACROS if month in defined and month not in own}
    return head, clashing


def _alias_ids(paper: Paper, existing: str = "") -> str:
    from .bibtex import alias_ids

    return alias_ids(paper, existing)


def _changed_value(
    name: str, raw: str, paper: Paper, current: dict[str, str], encoded: Callable[[str], str | None], *, utf8: bool
) -> str | None:
    """The new value of a field the user changed; None when it now holds nothing."""
    if name in NAME_FIELDS:
        names = paper.authors if name == "author" else split_name_list(current.get(name, ""))
        return _names(raw, names, utf8=utf8) if names else None
    if name == "keywords":
        return _keywords(raw, paper) or None
    return encoded(name)


#: The first " and " between two names as written, with its white space (a newline and indentation in dblp's files).
_JOINER = re.compile(r"\s+and\s+")


def _names(raw: str, names: list[str], *, utf8: bool) -> str:
    """A changed name list: each name still there as written, the new ones encoded."""
    from ..importers.bibtex import decode_name, split_names
    from .bibtex import format_name

    written: dict[str, str] = {}
    for part in split_names(unbraced(raw)):
        written.setdefault(decode_name(part), part)
    # A new name is UTF-8 where the export is biblatex's or the entry already was.
    utf8 = utf8 or not raw.isascii()
    # The names are joined as the file joined them (dblp puts each on its own line), so the diff is the change.
    joiner = _JOINER.search(raw)
    between = joiner.group(0) if joiner else " and "
    return "{" + between.join(written.get(n) or format_name(n, utf8=utf8) for n in names) + "}"


def _keywords(raw: str, paper: Paper) -> str:
    """Changed keywords: those still tags (or kept long) as written, in their order, then the new tags."""
    from ..importers.bibtex import decode_latex

    wanted = {t.casefold(): t for t in paper.tags}
    long = (paper.extra_fields or {}).get("keywords", "")
    kept: list[str] = []
    for part in re.split(r"[,;]", unbraced(raw)):
        decoded = " ".join(decode_latex(part).split())
        if decoded.casefold() in wanted:
            kept.append(part.strip())
            wanted.pop(decoded.casefold())
        elif decoded and decoded in long:
            kept.append(part.strip())
    kept += [to_latex(tag, utf8=not raw.isascii()) for tag in wanted.values()]
    return "{" + ", ".join(kept) + "}" if kept else ""


def _fields_of(lines: list[str]) -> dict[str, tuple[str, str]]:
    """lowercase name -> (name, value) of a generated entry's ``  name = value`` lines."""
    fields = {}
    for line in lines:
        name, value = line[2:].split(" = ", 1)
        fields[name.lower()] = (name, value)
    return fields
