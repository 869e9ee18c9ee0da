"""Comparing a .bib file with its export, entry by entry and field by field (issue 12).

Both files are read by bibtexparser v2 with its default parse stack:
``@string`` macros resolved, enclosing braces or quotes removed. A value is
compared once its runs of white space are collapsed. See
tests/core/test_bib_corpus.py, and bench/bib_corpus_report.py for the same
comparison as counts.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import bibtexparser

from papershelf.core import exporters
from papershelf.core.exporters.written import CODE_FIELDS, is_tool_field
from papershelf.core.library import Library

CORPUS = Path(__file__).resolve().parent / "fixtures" / "bib-corpus"
#: The exports compared: (format, render options), with a readable id each.
EXPORTS = {
    "bibtex": ("bibtex", {}),
    "biblatex": ("biblatex", {}),
    "bibtex-all-fields": ("bibtex", {"all_fields": True}),
}
#: How many differences an assertion message lists.
SHOWN = 20


def collapse(value: object) -> str:
    return " ".join(str(value).split())


def short(value: str, width: int = 100) -> str:
    return repr(value if len(value) <= width else value[: width - 1] + "…")


def change(before: str, after: str, width: int = 100) -> str:
    """``'before' -> 'after'``, around the first character that differs when a value is too long to show whole."""
    if len(before) <= width and len(after) <= width:
        return f"{before!r} -> {after!r}"
    start = next((i for i, (a, b) in enumerate(zip(before, after)) if a != b), min(len(before), len(after)))
    start = max(0, start - 30)

    def cut(value: str) -> str:
        piece = value[start : start + 70]
        return repr(("…" if start else "") + piece + ("…" if start + 70 < len(value) else ""))

    return f"{cut(before)} -> {cut(after)} (from character {start})"


def fields_of(entry) -> dict[str, str]:
    """Lowercase field name -> value with white space collapsed; the first of repeated names wins, as in bibtex."""
    out: dict[str, str] = {}
    for f in entry.fields:
        out.setdefault(f.key.lower(), collapse(f.value))
    return out


def parse(text: str, what: str) -> tuple[dict[str, object], list[str]]:
    """key -> entry of ``text``, and the problems of reading it (failed blocks, repeated keys)."""
    library = bibtexparser.parse_string(text)
    problems = []
    for block in library.failed_blocks:
        first = block.raw.strip().splitlines()[0][:80] if block.raw else ""
        problems.append(f"{what}: {type(block).__name__} at line {block.start_line + 1}: {first!r}")
    by_key: dict[str, object] = {}
    for entry in library.entries:
        if entry.key in by_key:
            problems.append(f"{what}: key {entry.key!r} twice")
        by_key.setdefault(entry.key, entry)
    return by_key, problems


def compare(original_text: str, exported_text: str, *, all_fields: bool, skipped: Iterable[str] = ()) -> list[str]:
    """Every way ``exported_text`` differs from ``original_text``, one line each; empty means faithful.

    ``skipped``: keys of the original the import could not take (they must be
    missing, and are not reported). Tool fields (:func:`is_tool_field`) are
    left out of the comparison unless ``all_fields``, and must then be absent
    from the export; ``execute`` must never be exported.
    """
    original, diffs = parse(original_text, "original")
    exported, problems = parse(exported_text, "export")
    diffs += problems
    skipped = set(skipped)

    def ignored(name: str) -> bool:
        return name in CODE_FIELDS or (not all_fields and is_tool_field(name))

    for key, entry in original.items():
        twin = exported.get(key)
        if key in skipped:
            if twin is not None:
                diffs.append(f"{key}: listed as skipped by the import, but exported")
            continue
        if twin is None:
            diffs.append(f"{key}: missing from the export")
            continue
        if entry.entry_type.lower() != twin.entry_type.lower():
            diffs.append(f"{key}: entry type @{entry.entry_type} -> @{twin.entry_type}")
        mine, theirs = fields_of(entry), fields_of(twin)
        for name, value in mine.items():
            if ignored(name) or not value:
                continue
            if name not in theirs:
                diffs.append(f"{key}: {name}: missing (was {short(value)})")
            elif theirs[name] != value:
                diffs.append(f"{key}: {name}: changed {change(value, theirs[name])}")
        for name, value in theirs.items():
            if name in CODE_FIELDS:
                diffs.append(f"{key}: {name}: exported (code fields never are)")
            elif name not in mine:
                diffs.append(f"{key}: {name}: added {short(value)}")
            elif ignored(name):
                diffs.append(f"{key}: {name}: tool field exported without all_fields")
    for key in exported.keys() - original.keys():
        diffs.append(f"{key}: in the export, not in the original")
    return diffs


def shown(diffs: list[str], what: str) -> str:
    """An assertion message: how many differences, then the first :data:`SHOWN`."""
    head = f"{what}: {len(diffs)} difference(s)" + (f", first {SHOWN}" if len(diffs) > SHOWN else "")
    return "\n  ".join([head + ":", *diffs[:SHOWN]])


@dataclass
class Imported:
    """What importing one file into an empty library gave: the import's messages and its exports."""

    problems: list[str]
    warnings: list[str]
    added: int
    exports: Mapping[str, str] = field(default_factory=dict)


def export(library: Library, fmt: str, **opts) -> str:
    """Every paper of ``library`` as the CLI exports them."""
    ids = library.bibtex_order(library.search_ids(""))
    return "".join(exporters.render(library.iter_papers(ids), fmt, **opts))


def import_and_export(source: Path, workdir: Path, exports: Mapping[str, tuple[str, dict]]) -> Imported:
    """Import ``source`` into a new library in ``workdir``; its exports by id."""
    with Library(workdir / "library.sqlite3") as library:
        result = library.import_file(source)
        texts = {name: export(library, fmt, **opts) for name, (fmt, opts) in exports.items()}
    return Imported(list(result.problems), list(result.warnings), result.added, texts)


@functools.cache
def corpus_import(name: str) -> Imported:
    """:func:`import_and_export` of a corpus file with every export of :data:`EXPORTS`, once per session.

    The library lives in its own temporary folder, gone when the import is done.
    """
    with tempfile.TemporaryDirectory(prefix="bib-corpus-") as tmp:
        return import_and_export(CORPUS / name, Path(tmp), EXPORTS)
