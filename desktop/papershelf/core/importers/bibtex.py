"""Reading .bib files (BibTeX or biblatex) into :class:`PaperRecord` objects.

bibtexparser v2 splits the file into blocks; the field values are evaluated
here (``@string`` macros, month macros, ``#`` concatenation) and LaTeX is
decoded to Unicode with pylatexenc. A broken entry never stops the import:
it is reported with its line and key, and every readable entry is kept.

Input is untrusted, so work is bounded: a field may hold at most
:data:`MAX_FIELD` characters (before and after ``@string`` expansion), all
expansions of a file together at most :data:`MAX_EXPANSION`, and LaTeX is
decoded only up to :data:`DECODE_LIMIT` characters per value (pylatexenc
takes about 10 µs and a few hundred bytes of memory per character).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import bibtexparser
from bibtexparser.model import Block, DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry, ParsingFailedBlock, String
from pylatexenc import latex2text, latexwalker, macrospec

from ..bibsource import BibSource, concatenation_parts, needed_strings
from ..exporters.citekeys import key_problem
from ..exporters.common import (
    MONTH_NAMES,
    MONTHS,
    NAME_FIELDS,
    VERBATIM_FIELDS,
    arxiv_base_id,
    month_macro,
    split_name,
    strip_doi_resolver,
)
from ..records import PaperRecord

# Types whose own title may be missing while booktitle names the volume.
_VOLUME_TYPES = frozenset("book mvbook collection mvcollection proceedings mvproceedings reference periodical".split())
# Parent fields a crossref child does not inherit: they describe the parent itself.
_NOT_INHERITED = frozenset(
    """title subtitle shorttitle titleaddon abstract keywords url doi eprint archiveprefix
    primaryclass file note annote crossref ids key timestamp biburl bibsource owner groups""".split()
)
_ARXIV_ID = r"(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?"
_ARXIV_URL_RE = re.compile(r"arxiv\.org/(?:abs|pdf)/" + _ARXIV_ID, re.IGNORECASE)
_ARXIV_DOI_RE = re.compile(r"10\.48550/arxiv\." + _ARXIV_ID, re.IGNORECASE)
_ARXIV_ARCHIVES = frozenset("cs math physics q-bio q-fin stat eess econ".split())
_ENTRY_START_RE = re.compile(r"(?m)^[ \t]*@[ \t]*([A-Za-z]+)[ \t]*[{(][ \t]*([^,\s]*)")
_NON_ENTRIES = frozenset({"comment", "string", "preamble"})
# Blocks written like entries that hold a tool's own settings: what they are.
_TOOL_BLOCKS = {"bibdesk_info": "BibDesk's document settings"}

#: The most characters one field value may hold, as written and after @string expansion.
MAX_FIELD = 1024 * 1024
#: The most characters @string expansion may produce in one file, all fields together.
MAX_EXPANSION = 32 * 1024 * 1024
#: Longer values are kept as their LaTeX source: decoding is slow and memory-hungry.
DECODE_LIMIT = 64 * 1024
#: The most characters pylatexenc decodes in one file, all values together (about 15 s of
#: work); past it, values are kept as their LaTeX source (braces removed), with one warning.
MAX_DECODE_TOTAL = 1024 * 1024
# What is left of the current file's decoding budget (None outside the reading of a file).
_decode_left: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("decode_left", default=None)
#: Longer keywords do not become tags (tags are short labels); the exporter writes them back.
MAX_TAG = 100


class _TooLarge(Exception):
    """A value over a limit; the entry holding it is skipped.

    ``inherited`` when the value only uses a @string already reported as too large.
    """

    def __init__(self, reason: str, inherited: bool = False):
        super().__init__(reason)
        self.inherited = inherited


class _Expansion:
    """What is left of a file's @string expansion budget."""

    def __init__(self, budget: int = MAX_EXPANSION):
        self.left = budget

    def take(self, value: str, what: str) -> str:
        self.left -= len(value)
        if self.left < 0:
            raise _TooLarge(f"{what}: @string and crossref expansions in this file exceed {_size(MAX_EXPANSION)}")
        return value


# A @string whose value was too large: using it skips the entry.
_OVERSIZED = "\x00oversized"


class _Report(Protocol):
    """Says one problem of the file: at ``line``, of entry ``key`` (None: of the file), skipped or a warning."""

    def __call__(self, line: int, key: str | None, reason: str, skipped: bool = False) -> None: ...


class _EntryReport(Protocol):
    """:class:`_Report` for one entry: its line and key already given."""

    def __call__(self, reason: str, skipped: bool = False) -> None: ...


#: (entry, key to import it under, its evaluated fields)
_Evaluated = tuple[Entry, str | None, dict[str, str]]


def _line(block: Block) -> int:
    """The 1-based line a block starts at (the parser sets ``start_line`` on every block)."""
    return (block.start_line or 0) + 1


@dataclass(slots=True)
class BibtexReading:
    """The records of a .bib file and what was said about its entries.

    ``skipped`` names entries that were not imported; ``warnings`` name
    entries that were imported but not quite as written. Both are one line
    each, like ``refs.bib: line 12: entry 'foo': <reason>``, in file order.
    """

    records: list[PaperRecord]
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def parse_bibtex(text: str, name: str) -> tuple[list[PaperRecord], list[str]]:
    """Records for the entries of a .bib file, and every problem found (skipped or warned), in file order."""
    reading = read_bibtex(text, name)
    found = reading.skipped + reading.warnings
    found.sort(key=_line_of)
    return reading.records, found


def read_bibtex(text: str, name: str) -> BibtexReading:
    """Records for the entries of a .bib file, with the entries skipped and the warnings.

    ``name`` is the file name used in messages. Broken entries are reported
    (never dropped silently) while the others import.
    """
    text = text.lstrip("\ufeff")
    with _quiet(logging.getLogger("bibtexparser")):
        library = bibtexparser.parse_string(text, parse_stack=[])
    problems: list[tuple[int, bool, str]] = []  # (line, skipped?, message)

    def report(line: int, key: str | None, reason: str, skipped: bool = False) -> None:
        where = f"{name}: line {line}"
        problems.append((line, skipped, f"{where}: entry '{key}': {reason}" if key else f"{where}: {reason}"))

    budget = _Expansion()
    strings = _evaluate_strings(library.strings, report, budget)
    # The @string definitions as written, for the entries' sources (the first of a name counts).
    raw_strings: dict[str, tuple[str, str]] = {}
    for string in library.strings:
        raw_strings.setdefault(string.key.lower(), (string.key, string.value))
    file_strings = _RawStrings(raw_strings)
    found: list[tuple[Entry, str | None]] = []  # (entry, key to import it under)
    for block in library.failed_blocks:
        line = _line(block)
        duplicate = getattr(block, "ignore_error_block", None)
        if duplicate is not None and not isinstance(duplicate, Entry):
            report(line, None, f"@string '{duplicate.key}' is defined twice; the first is used")
        elif isinstance(block, DuplicateBlockKeyBlock) and isinstance(duplicate, Entry):
            entry = duplicate
            report(line, entry.key, "the key is used by an earlier entry; imported without it")
            found.append((entry, None))
        elif isinstance(block, DuplicateFieldKeyBlock) and isinstance(duplicate, Entry):
            entry = duplicate
            duplicates = re.findall(r"'([^']+)'", _first_line(block.error))
            report(
                line,
                entry.key,
                f"field '{duplicates[0] if duplicates else '?'}' is given twice; the first value is kept",
            )
            found.append((entry, entry.key))
        elif isinstance(block, ParsingFailedBlock) and _block_type(block.raw) == "string":
            report(line, None, f"@string '{_raw_key(block.raw)}' cannot be read: {_parse_error(block.error)}")
        elif isinstance(block, ParsingFailedBlock):
            report(line, _raw_key(block.raw), f"not imported: {_parse_error(block.error)}", skipped=True)
        else:
            report(line, _raw_key(getattr(block, "raw", "")), f"not imported: {_first_line(block.error)}", skipped=True)
    found += [(entry, entry.key) for entry in library.entries]
    found.sort(key=lambda pair: _line(pair[0]))

    raw_count = sum(1 for m in _ENTRY_START_RE.finditer(text) if m.group(1).lower() not in _NON_ENTRIES)
    read_count = len(found) + sum(
        isinstance(b, ParsingFailedBlock) and _block_type(b.raw) not in _NON_ENTRIES for b in library.failed_blocks
    )
    if raw_count > read_count:
        problems.append((0, True, f"{name}: {raw_count - read_count} entries could not be located by the parser"))

    entries: list[_Evaluated] = []
    for entry, key in found:
        line = _line(entry)
        if entry.entry_type.lower() in _TOOL_BLOCKS:
            report(
                line,
                None,
                f"@{entry.entry_type} is {_TOOL_BLOCKS[entry.entry_type.lower()]}, not a reference; left out",
            )
            continue
        try:
            fields = _evaluate_fields(entry, strings, budget, functools.partial(report, line, entry.key))
        except _TooLarge as exc:
            report(line, entry.key, f"{exc}; not imported", skipped=True)
            continue
        entries.append((entry, key, fields))
    entries = _resolve_crossrefs(entries, report, budget)

    records = []
    decoding = [MAX_DECODE_TOTAL]
    token = _decode_left.set(decoding)
    try:
        for entry, key, fields in entries:
            line = _line(entry)
            unsafe = key is not None and key_problem(key)
            record = _record(entry, None if unsafe else key, fields, functools.partial(report, line, entry.key))
            if record is not None:
                record.bibtex = source_of(entry, file_strings)
                records.append(record)
                if unsafe:
                    _keep_unsafe_key(record, entry.key, unsafe, functools.partial(report, line, entry.key))
    finally:
        _decode_left.reset(token)
    if decoding[0] < 0:
        message = f"{name}: more than {_size(MAX_DECODE_TOTAL)} of LaTeX to decode; the rest is shown as written"
        problems.append((0, False, message))
    problems.sort(key=lambda p: p[0])
    return BibtexReading(
        records,
        skipped=[message for _, skipped, message in problems if skipped],
        warnings=[message for _, skipped, message in problems if not skipped],
    )


def source_of(entry: Entry, strings: _RawStrings) -> BibSource:
    """The entry as written: type, key, fields (the first of a name) and the @strings they use."""
    m = _WRITTEN_TYPE_RE.match(entry.raw or "")
    entry_type = m.group(1) if m and m.group(1).lower() == entry.entry_type.lower() else entry.entry_type
    fields: dict[str, tuple[str, str]] = {}
    for item in entry.fields:
        fields.setdefault(item.key.lower(), (item.key, item.value))
    # Every @string the values use, through the whole chain, in file order: each after the ones it is made of.
    wanted: set[str] = set()
    for _, raw in fields.values():
        wanted |= needed_strings(raw, strings.definitions)
    used = sorted((strings.order[name], strings.written[name]) for name in wanted if name in strings.order)
    return BibSource(entry_type, entry.key, tuple(fields.values()), strings=tuple(pair for _, pair in used))


@dataclass(slots=True)
class _RawStrings:
    """A file's @string definitions as written: lowercase name -> (name, raw value), file order, raw values."""

    written: dict[str, tuple[str, str]]
    order: dict[str, int] = field(init=False)
    definitions: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.order = {name: i for i, name in enumerate(self.written)}
        self.definitions = {name: raw for name, (_, raw) in self.written.items()}


_WRITTEN_TYPE_RE = re.compile(r"\s*@\s*([A-Za-z][\w-]*)")


def _line_of(message: str) -> int:
    m = re.search(r": line (\d+): ", message)
    return int(m.group(1)) if m else 0


def _size(chars: int) -> str:
    return f"{chars // (1024 * 1024)} MiB" if chars >= 1024 * 1024 else f"{chars // 1024} KiB"


# ---------------------------------------------------------------- values


def _evaluate_strings(blocks: list[String], report: _Report, budget: _Expansion) -> dict[str, str]:
    """@string macros, each able to use the ones before it.

    A macro whose value is over :data:`MAX_FIELD` is reported once and
    marked, so that every entry using it is skipped with a clear reason.
    """
    # The month macros, as bibtex's styles print them ("jun # {~21}" reads "June 21").
    strings = {m: name.capitalize() for m, name in zip(MONTHS, MONTH_NAMES)}
    for block in blocks:
        line = _line(block)
        try:
            value = _evaluate(block.value, strings, budget, functools.partial(report, line, None))
        except _TooLarge as exc:
            if not exc.inherited:  # a chain of macros built on this one is reported once
                report(line, None, f"@string '{block.key}': {exc}; entries using it are not imported")
            value = _OVERSIZED
        strings[block.key.lower()] = value
    return strings


def _evaluate_fields(
    entry: Entry, strings: dict[str, str], budget: _Expansion, report: Callable[[str], None]
) -> dict[str, str]:
    """The entry's fields, evaluated; raises :class:`_TooLarge` for a value over the limits."""
    fields: dict[str, str] = {}
    for item in entry.fields:
        key = item.key.lower()
        if key in fields:
            continue  # a duplicate field: bibtex, too, keeps the first
        raw = item.value
        if len(raw) > MAX_FIELD:
            raise _TooLarge(f"field '{key}' is longer than {_size(MAX_FIELD)}")
        if key == "month" and raw.strip().lower() in MONTHS:
            fields[key] = raw.strip().lower()  # keep the macro itself
            continue

        def field_report(reason: str, key: str = key) -> None:
            report(f"field '{key}': {reason}")

        try:
            fields[key] = _evaluate(raw, strings, budget, field_report)
        except _TooLarge as exc:
            raise _TooLarge(f"field '{key}': {exc}") from None
    return fields


def _evaluate(raw: str, strings: dict[str, str], budget: _Expansion, report: Callable[[str], None]) -> str:
    """A field value with quotes/braces removed, macros expanded, ``#`` joined.

    Raises :class:`_TooLarge` when the value would exceed :data:`MAX_FIELD`
    or the file's expansion budget: a chain of ``@string{b = a # a}``
    doubles at every step.
    """
    parts = []
    length = 0
    for part in concatenation_parts(raw):
        part = part.strip()
        if part.startswith("{") and part.endswith("}") or part.startswith('"') and part.endswith('"'):
            part = part[1:-1]
        elif part.isdigit():
            pass
        elif part.lower() in strings:
            value = strings[part.lower()]
            if value is _OVERSIZED:
                raise _TooLarge(f"@string '{part}' is longer than {_size(MAX_FIELD)}", inherited=True)
            part = budget.take(value, f"@string '{part}'")
        elif part:
            report(f"undefined @string '{part}' (kept as text)")
        length += len(part)
        if length > MAX_FIELD:
            raise _TooLarge(f"longer than {_size(MAX_FIELD)} after @string expansion")
        parts.append(part)
    return "".join(parts)


# ---------------------------------------------------------------- LaTeX


def _arg_text(node: latexwalker.LatexMacroNode, l2tobj: latex2text.LatexNodes2Text) -> str:
    args = [a for a in node.nodeargd.argnlist if a is not None]
    text: str = l2tobj.nodelist_to_text([args[-1]]) if args else ""
    return text


# \textsuperscript{2} and \textsubscript{2}, as the exporter writes ² and ₂; other text stays as it is.
_SCRIPTS = {
    "textsuperscript": dict(zip("0123456789+\u2212=()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾")),
    "textsubscript": dict(zip("0123456789+\u2212=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")),
}


def _script_text(node: latexwalker.LatexMacroNode, l2tobj: latex2text.LatexNodes2Text) -> str:
    text = _arg_text(node, l2tobj)
    table = _SCRIPTS[node.macroname]
    return "".join(table[c] for c in text) if text and all(c in table for c in text) else text


_LOGOS = {
    "TeX": "TeX",
    "LaTeX": "LaTeX",
    "LaTeXe": "LaTeX2ε",
    "BibTeX": "BibTeX",
    "XeTeX": "XeTeX",
    "XeLaTeX": "XeLaTeX",
    "LuaTeX": "LuaTeX",
    "LuaLaTeX": "LuaLaTeX",
    "pdfTeX": "pdfTeX",
    "pdfLaTeX": "pdfLaTeX",
    "eTeX": "ε-TeX",
    "ConTeXt": "ConTeXt",
    "AmS": "AMS",
    "AMS": "AMS",
    "AmSTeX": "AMS-TeX",
    "METAFONT": "METAFONT",
    "MF": "METAFONT",
    "MP": "MetaPost",
}


#: Font and size switches: formatting, not text, so they go (as pylatexenc drops every unknown command).
_SWITCHES = frozenset(
    "itshape bfseries mdseries upshape slshape scshape normalfont rmfamily sffamily ttfamily em it bf rm sl sc sf tt"
    " tiny scriptsize footnotesize small normalsize large Large LARGE huge Huge relax protect".split()
)


def _unknown_macro(node: latexwalker.LatexMacroNode, l2tobj: latex2text.LatexNodes2Text) -> str:
    """A command pylatexenc has no text for: its arguments' text, or the command as written."""
    args = [a for a in (node.nodeargd.argnlist if node.nodeargd else []) if a is not None]
    if args:  # \mbox{x}: x (pylatexenc dropped it whole)
        text: str = l2tobj.nodelist_to_text(args)
        return text
    if node.macroname in _SWITCHES:
        return ""
    verbatim: str = node.latex_verbatim()  # \foo: kept, with the space after it
    return verbatim


def _build_decoder() -> tuple[macrospec.LatexContextDb, latex2text.LatexNodes2Text]:
    walker_db = latexwalker.get_default_latex_context_db()
    walker_db.add_context_category(
        "papershelf",
        prepend=True,
        macros=[
            macrospec.MacroSpec(name, "{")
            for name in ("textcommabelow", "url", "textsuperscript", "textsubscript", "hbox", "noopsort")
        ],
    )
    text_db = latex2text.get_default_latex_context_db()
    text_db.add_context_category(
        "papershelf",
        prepend=True,
        macros=[
            # What the exporter writes that pylatexenc does not know.
            latex2text.MacroTextSpec("textbraceleft", "{"),
            latex2text.MacroTextSpec("textbraceright", "}"),
            latex2text.MacroTextSpec("textless", "<"),
            latex2text.MacroTextSpec("textgreater", ">"),
            latex2text.MacroTextSpec("textbar", "|"),
            latex2text.MacroTextSpec("textasciicircum", "^"),
            latex2text.MacroTextSpec("textasciitilde", "~"),
            latex2text.MacroTextSpec("textquotedbl", '"'),
            latex2text.MacroTextSpec("S", "§"),
            latex2text.MacroTextSpec("P", "¶"),
            latex2text.MacroTextSpec("SS", "ẞ"),
            latex2text.MacroTextSpec("textcommabelow", simplify_repl=lambda n, l2tobj: _arg_text(n, l2tobj) + "\u0326"),
            latex2text.MacroTextSpec("url", simplify_repl=_arg_text),
            latex2text.MacroTextSpec("textminus", "\u2212"),
            # \noopsort{key}, defined in many .bib preambles as \def\noopsort#1{}: a sort key, not text.
            latex2text.MacroTextSpec("noopsort", ""),
            latex2text.MacroTextSpec("textsuperscript", simplify_repl=_script_text),
            latex2text.MacroTextSpec("textsubscript", simplify_repl=_script_text),
            # The TeX family's logos, which pylatexenc drops: "About {\\TeX}" is not "About".
            *(latex2text.MacroTextSpec(name, text) for name, text in _LOGOS.items()),
        ],
    )
    # A command nobody told pylatexenc about stays as written (JabRef shows it so too):
    # dropping it would drop the user's text.
    text_db.set_unknown_macro_spec(latex2text.MacroTextSpec("", simplify_repl=_unknown_macro))
    converter = latex2text.LatexNodes2Text(
        latex_context=text_db, math_mode="text", strict_latex_spaces=True, keep_braced_groups=False
    )
    return walker_db, converter


_WALKER_DB, _CONVERTER = _build_decoder()


_MARKUP_RE = re.compile(r"[\\$%]|\?`|!`")
# What TeX makes of these outside commands, in order: "---" before "--", and braces last, since
# they keep a ligature from forming ("-{}-" is two hyphens).
_LIGATURES = (("---", "\u2014"), ("--", "\u2013"), ("``", "\u201c"), ("''", "\u201d"), ("~", " "), ("{", ""), ("}", ""))


def decode_latex(value: str) -> str:
    """LaTeX to Unicode text: ``M{\\"u}ller`` -> ``Müller``; braces and markup removed.

    A value longer than :data:`DECODE_LIMIT` is returned as written (spaces
    collapsed): decoding it would take seconds and hundreds of megabytes.
    """
    if len(value) > DECODE_LIMIT:
        return " ".join(value.split())
    if not _MARKUP_RE.search(value):
        # Plain text, or text whose only markup is case-protecting braces (``{GPT}-4``), dashes,
        # ties and TeX quotes (pages ``12--34``): most values of a real library, decoded as
        # pylatexenc does, without its cost. Every other character stays (pylatexenc would
        # also drop an unescaped "&", a character the user wrote).
        for latex, text in _LIGATURES:
            value = value.replace(latex, text)
        return unicodedata.normalize("NFC", " ".join(value.split()))
    left = _decode_left.get()
    if left is not None:
        left[0] -= len(value)
        if left[0] < 0:  # a file made to be slow: the rest stays as written
            return " ".join(value.replace("{", "").replace("}", "").split())
    try:
        walker = latexwalker.LatexWalker(value, latex_context=_WALKER_DB, tolerant_parsing=True)
        nodes, _, _ = walker.get_latex_nodes()
        text = _CONVERTER.nodelist_to_text(nodes)
    except Exception:  # pylatexenc gives up on some broken input; keep the raw text then
        text = value.replace("{", "").replace("}", "")
    return " ".join(unicodedata.normalize("NFC", text).replace("\u00a0", " ").split())


def _decode_verbatim(value: str) -> str:
    """A URL or DOI as written, minus escapes people add for BibTeX and ``\\url{}``."""
    value = value.strip()
    m = re.fullmatch(r"\\url\s*\{(.*)\}", value)
    if m:
        value = m.group(1)
    value = re.sub(r"\\([_%&#$])", r"\1", value)
    value = re.sub(r"\{?\\(?:textasciitilde|~)\{?\}?\}?", "~", value)
    return value.strip()


# ---------------------------------------------------------------- names


def split_names(raw: str) -> list[str]:
    """Names of a name list: split at " and " outside braces."""
    names, depth, start = [], 0, 0
    # "and" between spaces; lookarounds keep this linear on long runs of spaces.
    for m in re.finditer(r"[{}]|(?<=\s)and(?=\s)", raw, re.IGNORECASE):
        token = m.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth = max(depth - 1, 0)
        elif depth == 0:
            names.append(raw[start : m.start()])
            start = m.end()
    names.append(raw[start:])
    return [n.strip() for n in names if n.strip()]


def decode_name(raw: str) -> str:
    """One BibTeX name as a Unicode string.

    ``Bengio, Yoshua`` becomes ``Yoshua Bengio``; ``{OpenAI Team}`` becomes
    ``OpenAI Team``. When "First Last" would not split back into the same
    parts (``Garcia Marquez, Gabriel``) the "Last, First" form is kept, which
    the exporter writes back unchanged.
    """
    raw = " ".join(raw.split())
    if raw.startswith("{") and _matching_brace(raw, 0) == len(raw) - 1:
        return decode_latex(raw)  # the whole name in braces: an organisation
    parts = [decode_latex(p) for p in _split_top_level(raw, ",")]
    if len(parts) == 1:
        return parts[0]
    last, rest = parts[0], [p for p in parts[1:]]
    suffix, first = (rest[0], ", ".join(rest[1:])) if len(rest) > 1 else ("", rest[0])
    candidate = " ".join(p for p in (first, last, suffix) if p)
    if split_name(candidate) == (last, suffix, first):
        return candidate
    return ", ".join(p for p in (last, suffix, first) if p)


def _split_top_level(raw: str, sep: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(raw):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(raw[start:i])
            start = i + 1
    parts.append(raw[start:])
    return [p.strip() for p in parts]


def _matching_brace(text: str, start: int) -> int:
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return -1


# ---------------------------------------------------------------- records


def _resolve_crossrefs(entries: list[_Evaluated], report: _Report, budget: _Expansion) -> list[_Evaluated]:
    """Copy a crossref parent's fields into each child that lacks them, like bibtex.

    Inherited text counts against the expansion budget (10,000 children of
    a parent with a 1 MiB note would otherwise be 10 GB); a child over it is
    skipped. Returns the entries that remain.
    """
    by_key = {entry.key.lower(): fields for entry, _, fields in entries}
    kept = []
    for entry, key, fields in entries:
        target = fields.get("crossref", "").strip()
        parent = by_key.get(target.lower()) if target else None
        if target and parent is None:
            report(_line(entry), entry.key, f"crossref '{target}' is not in the file")
        if parent is not None:
            try:
                if "booktitle" not in fields and "title" in parent:
                    fields["booktitle"] = budget.take(parent["title"], f"crossref '{target}'")
                for name, value in parent.items():
                    if name not in _NOT_INHERITED and name not in fields:
                        fields[name] = budget.take(value, f"crossref '{target}'")
            except _TooLarge as exc:
                report(_line(entry), entry.key, f"{exc}; not imported", True)
                continue
        kept.append((entry, key, fields))
    return kept


def _record(entry: Entry, key: str | None, fields: dict[str, str], report: _EntryReport) -> PaperRecord | None:
    entry_type = entry.entry_type.lower()
    raw = dict(fields)
    for name, value in raw.items():
        if len(value) <= DECODE_LIMIT or name in VERBATIM_FIELDS:
            continue
        if name not in NAME_FIELDS or any(len(n) > DECODE_LIMIT for n in split_names(value)):
            report(f"field '{name}' is longer than {_size(DECODE_LIMIT)}: kept as LaTeX source, not decoded")
    # Name lists are decoded name by name, so braces can still mark an organisation.
    decoded = {
        name: (_decode_verbatim(value) if name in VERBATIM_FIELDS else decode_latex(value))
        for name, value in raw.items()
        if name not in NAME_FIELDS
    }
    title = decoded.pop("title", "")
    if not title and entry_type in _VOLUME_TYPES:
        title = decoded.pop("booktitle", "")
    if not title:
        # Kept like any entry (a web page, a standard): listed under what names it best.
        title = decoded.get("howpublished") or decoded.get("url") or decoded.get("note") or entry.key
        title = title if len(title) <= 200 else title[:199] + "…"
        report(f"no title; listed as '{title[:60]}' (exported without a title, as written)")

    record = PaperRecord(
        title=title,
        source="bibtex",
        where=f"line {_line(entry)}",
        entry_type=entry_type,
        citation_key=key,
    )
    record.authors = [decode_name(n) for n in split_names(raw.get("author", ""))]
    for name in (NAME_FIELDS - {"author"}) & raw.keys():
        decoded[name] = " and ".join(decode_name(n) for n in split_names(raw[name]))
    record.abstract = decoded.pop("abstract", "")
    record.tags, long_keywords = _tags(decoded.pop("keywords", ""))
    if long_keywords:
        # Kept whole in the keywords field, which the exporter writes back after the tags.
        decoded["keywords"] = ", ".join(long_keywords)
        for keyword in long_keywords:
            report(
                f"keyword '{keyword[:40]}…' is longer than {MAX_TAG} characters: kept in the keywords field, not as a tag"
            )
    record.url = decoded.pop("url", None) or None
    if "doi" in decoded:
        decoded["doi"] = strip_doi_resolver(decoded["doi"])
    if record.url is None and re.fullmatch(r"\\url\s*\{[^{}]*\}", raw.get("howpublished", "").strip()):
        record.url = _decode_verbatim(raw["howpublished"])
        decoded.pop("howpublished")
    _take_arxiv(record, decoded)
    record.published = _published(decoded, report)
    record.extra_fields = decoded
    return record


def _keep_unsafe_key(record: PaperRecord, key: str, problem: str, report: Callable[[str], None]) -> None:
    """Keep an unusable key in the entry's ``ids`` field (biblatex's other keys of an entry), with a warning.

    The paper gets a key made from its data; ``ids`` is never exported by
    default (it names keys that may not be in the export), so the original
    key reaches no .bib file unless asked with all fields, escaped like any text.
    """
    others = record.extra_fields.get("ids", "").strip()
    record.extra_fields["ids"] = f"{others}, {key}" if others else key
    report(f"the key has {problem}; imported with a generated key (the original is kept in the field 'ids')")


def _take_arxiv(record: PaperRecord, fields: dict[str, str]) -> None:
    """arXiv id and class from eprint/archivePrefix/primaryClass, the URL or the DOI."""
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "arxiv").lower()
    arxiv = None
    eprint = fields.get("eprint", "")
    if prefix == "arxiv" and re.fullmatch(r"(?i)(arxiv:)?" + _ARXIV_ID, eprint):
        arxiv = arxiv_base_id(eprint)
        for name in ("eprint", "archiveprefix", "eprinttype"):
            fields.pop(name, None)
    else:
        m = _ARXIV_URL_RE.search(record.url or "") or _ARXIV_DOI_RE.search(fields.get("doi", ""))
        if m:
            arxiv = m.group(1)
    if arxiv:
        record.arxiv_id = arxiv
        primary = fields.get("primaryclass") or fields.get("eprintclass")
        # Zotero writes the archive ("cs") there, not the class ("cs.LG"): that stays
        # an extra field only.
        if primary and primary.lower() not in _ARXIV_ARCHIVES:
            record.primary_class = primary
            fields.pop("primaryclass", None)
            fields.pop("eprintclass", None)
        if record.url and _ARXIV_URL_RE.search(record.url):
            record.url = None  # the exporter writes the canonical abstract URL


def _published(fields: dict[str, str], report: Callable[[str], None]) -> dt.date | None:
    """The date from ``date`` or ``year``/``month``/``day``; missing parts become 1.

    ``year`` (and ``month`` when given) stay in the fields, so the exporter
    knows which parts are real.
    """
    date = fields.get("date", "")
    m = re.match(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", date)
    if m and "year" not in fields:
        fields["year"] = m.group(1)
        if m.group(2):
            fields["month"] = str(int(m.group(2)))
        if m.group(3):
            fields.setdefault("day", str(int(m.group(3))))
    year = fields.get("year", "").strip()
    if not year:
        return None
    if not re.fullmatch(r"\d{4}", year):
        report(f"year '{year}' is not a year; kept as text")
        return None
    month_text = fields.get("month", "")
    day = fields.get("day", "")
    with_day = re.fullmatch(r"(\S+?)\.?[\s~]+(\d{1,2})", month_text.strip())  # jun # "~21"
    macro = month_macro(with_day.group(1) if with_day else month_text)
    if with_day and macro is not None and not day:
        day = with_day.group(2)
    if month_text and macro is None:
        report(f"month '{month_text}' is not a month; kept as text")
    month = MONTHS.index(macro) + 1 if macro else 1
    try:
        return dt.date(int(year), month, int(day) if day.isdigit() else 1)
    except ValueError:
        return dt.date(int(year), month, 1)


def _tags(keywords: str) -> tuple[list[str], list[str]]:
    """Tags from a keywords field, and the keywords too long to be tags."""
    seen: dict[str, None] = {}
    long: dict[str, None] = {}
    for tag in re.split(r"[,;]", keywords):
        tag = " ".join(tag.split())
        if len(tag) > MAX_TAG:
            long.setdefault(tag, None)
        elif tag:
            seen.setdefault(tag, None)
    return list(seen), list(long)


# ---------------------------------------------------------------- errors


def _block_type(raw: str | None) -> str:
    m = _ENTRY_START_RE.search(raw or "")
    return m.group(1).lower() if m else ""


def _raw_key(raw: str | None) -> str | None:
    m = _ENTRY_START_RE.search(raw or "")
    return m.group(2) or None if m else None


def _first_line(error: object) -> str:
    lines = str(error or "").strip().splitlines()
    return lines[0] if lines else "cannot be read"


def _parse_error(error: object) -> str:
    """bibtexparser's message, shortened to what a user can act on."""
    message = " ".join((getattr(error, "abort_reason", None) or str(error or "")).split())
    if "Unexpected block start" in message:
        return "not closed (a '}' or ',' is missing) before the next entry"
    if "Unexpected end of file" in message or "end of file" in message.lower():
        return "not closed (a '}' is missing) before the end of the file"
    if "Expected comma after entry key" in message:
        return "no comma after the citation key"
    return message or "cannot be read"


@contextlib.contextmanager
def _quiet(logger: logging.Logger) -> Iterator[None]:
    """bibtexparser logs every broken block; they are reported here instead."""
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)
