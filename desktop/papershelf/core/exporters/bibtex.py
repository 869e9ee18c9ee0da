"""BibTeX and biblatex entries for papers.

The output is meant to go through bibtex (plain, abbrv, alpha, plainnat) and
biber (``--validate-datamodel``) without a single warning that the exporter
could have avoided: fields are only written when they have data, tool
bookkeeping fields are left out, and every field kept is one biblatex's data
model allows for the entry type. What is left are warnings about data missing
in an imported entry itself (an ``@article`` without ``journal``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator

from ..records import Paper
from . import citekeys
from .common import (
    NAME_FIELDS,
    VERBATIM_FIELDS,
    ExportReport,
    arxiv_base_id,
    citation_keys,
    entry_key,
    extra_fields,
    is_organisation,
    literal_name,
    own_url,
    published_venue,
    sighting_note,
    split_name,
    split_name_list,
    stated_day,
    strip_doi_resolver,
    year_month,
)
from .datamodel import FIELD_ALIASES, export_type, is_valid_field
from .latex import (
    collapse_space,
    protect_unicode,
    title_to_latex,
    to_latex,
    verbatim,
    verbatim_arxiv_class,
    verbatim_arxiv_id,
    verbatim_doi,
)
from .written import CODE_FIELDS, as_written, is_tool_field, render_written
from .written import TOOL_FIELDS as TOOL_FIELDS  # where callers have always found it

_OTHERS = frozenset({"others", "et al", "et al.", "and others"})

#: Fields naming other entries, which may not be part of the export.
LINK_FIELDS = frozenset("crossref xref xdata related relatedtype relatedoptions relatedstring entryset ids".split())
#: Fields bibtex styles (or biblatex's sentence case) may change the case of.
TITLE_FIELDS = frozenset("title subtitle shorttitle booktitle maintitle origtitle".split())
# Written from Paper attributes (or merged with them), never copied from extra_fields.
_OWN_FIELDS = frozenset("author title year month day date url abstract keywords note annote annotation key".split())
# Replaced by the paper's arXiv id when it has one.
_EPRINT_FIELDS = frozenset("eprint archiveprefix eprinttype primaryclass eprintclass".split())
_FIELD_NAME_RE = re.compile(r"[a-z][a-z0-9_\-:.+]*")


def render_bibtex(
    papers: Iterable[Paper],
    *,
    utf8: bool = False,
    abstract: bool = True,
    notes: bool = False,
    all_fields: bool = False,
    report: ExportReport | None = None,
) -> Iterator[str]:
    """One entry (a string ending in a blank line) per paper.

    ``utf8`` gives the biblatex profile (accented letters kept as UTF-8);
    otherwise the output is pure ASCII. Citation keys are made unique within
    the export, ignoring case as bibtex does. ``report`` collects what was
    written in another form than asked (see :class:`ExportReport`), such as
    the papers whose ``bibtex`` entry keeps characters with no LaTeX form.
    """
    defined: dict[str, str] = {}  # the @strings written so far
    for paper, key in citation_keys(papers):
        entry = render_entry(
            paper,
            key=key,
            utf8=utf8,
            abstract=abstract,
            notes=notes,
            all_fields=all_fields,
            report=report,
            strings=defined,
        )
        if report is not None and not utf8 and not entry.isascii():
            report.unicode_kept.append(key)
        # One chunk per paper, blank line included: half the writes of two.
        yield entry + "\n"


def render_entry(
    paper: Paper,
    *,
    key: str | None = None,
    utf8: bool = False,
    abstract: bool = True,
    notes: bool = False,
    all_fields: bool = False,
    report: ExportReport | None = None,
    strings: dict[str, str] | None = None,
) -> str:
    """The ``@type{key, ...}`` entry for one paper.

    A paper imported from BibTeX is written as it came in, but for the
    fields changed since (see :mod:`.written`), preceded by the ``@string``
    definitions it uses that ``strings`` (those written so far) lacks.
    Other papers get an entry made from their data: an arXiv id, class or DOI
    outside its grammar is written to ``note`` instead of its verbatim field,
    where TeX would read it unescaped (and ``^^5c`` is a backslash); ``report``
    names each such field.
    """
    key = key or entry_key(paper)
    written = as_written(paper)
    if paper.bibtex is not None and not written and report is not None:
        report.not_as_written.append(key)
    if paper.bibtex is not None and written:
        source = paper.bibtex

        def generated() -> tuple[str, list[str]]:
            return _entry_lines(paper, key=key, utf8=utf8, abstract=abstract, notes=notes, all_fields=True, report=None)

        return render_written(
            paper,
            source,
            key=key,
            abstract=abstract,
            notes=notes,
            all_fields=all_fields,
            report=report,
            defined={} if strings is None else strings,
            generated=generated,
            utf8=utf8,
        )
    entry_type, lines = _entry_lines(
        paper, key=key, utf8=utf8, abstract=abstract, notes=notes, all_fields=all_fields, report=report
    )
    return "@" + entry_type + "{" + key + ",\n" + ",\n".join(lines) + "\n}\n"


def _entry_lines(
    paper: Paper,
    *,
    key: str,
    utf8: bool,
    abstract: bool,
    notes: bool,
    all_fields: bool,
    report: ExportReport | None,
) -> tuple[str, list[str]]:
    """The entry type and the ``  name = value`` lines of the entry made from a paper's data."""
    # (field, label in the note or None to leave it out, value) kept out of a verbatim field.
    unsafe: list[tuple[str, str | None, str]] = []
    extra = _written_fields(paper)
    authors = format_names(paper.authors, utf8=utf8)
    entry_type = export_type(paper.entry_type, bibtex=not utf8)
    if entry_type == "book" and not authors and (paper.entry_type or "").lower() != "book":
        # A biblatex @collection has editors, no authors; biber wants an author on
        # @book, and plain's @proceedings takes an editor just as well.
        entry_type = "proceedings"
    # Each field as its finished line, "  name = value" (this runs 100,000
    # times in an export of a large library: no intermediate tuples).
    lines: list[str] = []
    add = lines.append

    venue = published_venue(paper)
    if venue is not None:
        # Published since it was listed: cite the journal or proceedings, keep the arXiv eprint.
        entry_type = venue.entry_type
    if authors:
        add("  author = {" + authors + "}")
    title = title_to_latex(paper.title, utf8=utf8)
    if title:
        add("  title = {" + title + "}")
    if venue is not None:
        add("  " + venue.field + " = {" + to_latex(venue.name, utf8=utf8) + "}")
    year, month = year_month(paper)
    if venue is not None and venue.year:
        year, month = venue.year, None  # the month known is the preprint's
    # biblatex has a day: a stated one goes out as the full date (bibtex has none: year and month).
    day = paper.published if utf8 and venue is None and stated_day(paper) else None
    if day is not None:
        add("  date = {" + day.isoformat() + "}")
    elif year:
        add("  year = {" + to_latex(year, utf8=utf8) + "}")
    if day is not None:
        pass  # the month is in the date
    elif month:
        add("  month = " + month)  # a macro, unbraced: styles print it in their language
    elif extra.get("month", "").strip():
        add("  month = {" + to_latex(extra["month"], utf8=utf8) + "}")  # "Spring": not a month, still the user's

    arxiv = arxiv_base_id(paper.arxiv_id)
    url = own_url(paper)
    if url and _blank(url):
        url = None
    if arxiv and verbatim_arxiv_id(arxiv) is None:
        unsafe.append(("eprint", "arXiv id", (paper.arxiv_id or "").strip()))
        arxiv = None
    if arxiv:
        # Zotero keeps only the archive ("cs") as primaryclass; keep what there is.
        primary = (paper.primary_class or extra.get("primaryclass") or "").strip()
        if extra:
            extra = {k: v for k, v in extra.items() if k not in _EPRINT_FIELDS}
        add("  eprint = {" + arxiv + "}")
        add("  archivePrefix = {arXiv}")
        if primary and verbatim_arxiv_class(primary):
            add("  primaryClass = {" + primary + "}")
        elif primary:
            unsafe.append(("primaryClass", "arXiv class", primary))
        # A GitHub or publisher URL stays: eprint and archivePrefix already link the arXiv page.
        url = url or f"https://arxiv.org/abs/{arxiv}"
    if url:
        add("  url = {" + verbatim(url) + "}")
        if not arxiv and entry_type == "misc" and "howpublished" not in extra:
            # plain, abbrv and alpha ignore ``url``; this is how they show a link.
            add("  howpublished = {" + _url_text(verbatim(url)) + "}")

    if paper.aliases:  # the keys of papers merged into this one
        add("  ids = " + alias_ids(paper, extra.get("ids", "")))
        extra = {k: v for k, v in extra.items() if k != "ids"}
    if extra:
        if report is not None and not CODE_FIELDS.isdisjoint(extra):
            report.code_left_out.append(key)
        for name, value in _extra_fields(extra, entry_type, utf8=utf8, all_fields=all_fields, unsafe=unsafe):
            add(f"  {name} = {value}")

    # Keywords too long to be tags were kept in extra_fields by the BibTeX import.
    keywords = paper.tags + [extra["keywords"]] if extra.get("keywords") else paper.tags
    if keywords:
        add("  keywords = {" + to_latex(", ".join(keywords), utf8=utf8) + "}")
    note = extra.get("note") or sighting_note(paper)
    if unsafe:
        # Kept, as escaped text where TeX runs nothing: never dropped silently.
        note = "; ".join(([note] if note else []) + [f"{label}: {value}" for _, label, value in unsafe if label])
        if report is not None:
            report.not_verbatim.extend((key, name) for name, _, _ in unsafe)
    if note:
        add("  note = {" + to_latex(note, utf8=utf8) + "}")
    annote = [v for v in (extra.get("annote"), extra.get("annotation")) if v]
    if notes:
        annote += [n.text for n in paper.notes if n.text.strip()]
    if annote:
        add("  annote = {" + to_latex("; ".join(annote), utf8=utf8) + "}")
    text = to_latex(paper.abstract, utf8=utf8) if abstract else ""
    if text:
        add("  abstract = {" + text + "}")
    if "key" in extra or (not authors and not from_bibtex(paper)):
        # Without author or key, plain and alpha cannot sort or label a listed
        # paper (alpha takes its first three characters: see protect_unicode).
        # An imported entry keeps only the key it had: an invented one is a
        # change the user did not make.
        sort_key = to_latex(extra.get("key") or _sort_key(paper, key), utf8=utf8)
        add("  key = {" + (sort_key if utf8 else protect_unicode(sort_key)) + "}")
    return entry_type, lines


def alias_ids(paper: Paper, existing: str = "") -> str:
    """The ``ids`` value of a paper with aliases: the keys ``existing`` names, then its aliases.

    biblatex (biber) resolves ``\\cite{alias}`` to the entry; classic bibtex ignores the field.
    """
    # Only keys a \\cite can hold: the import keeps an uncitable original key (``bad key^1``) in ``ids``,
    # and this value is written as is, so it must never carry TeX (``\\input``, ``^^``) out unescaped.
    keys = [k.strip() for k in existing.split(",") if k.strip() and citekeys.key_problem(k.strip()) is None]
    keys += [a for a in paper.aliases if a.lower() not in {k.lower() for k in keys} | {paper.citation_key.lower()}]
    return "{" + ", ".join(keys) + "}"


def from_bibtex(paper: Paper) -> bool:
    """Whether the paper came from a BibTeX import rather than a daily listing.

    A listed paper has a sighting (every listing records one) and none of the
    fields only a BibTeX import fills in; a paper seen in a listing keeps the
    generated output of listings even if a BibTeX import later added fields.
    """
    if paper.sightings:
        return False
    return bool(paper.extra_fields) or (paper.entry_type or "misc").lower() != "misc"


def _written_fields(paper: Paper) -> dict[str, str]:
    """The paper's extra fields that hold data: a URL, DOI or path of only braces is empty too."""
    extra = extra_fields(paper)
    if not extra:
        return extra
    # Verbatim values keep their braces on import; elsewhere a brace is a real character.
    return {k: v for k, v in extra.items() if k not in VERBATIM_FIELDS or not _blank(v)}


_BLANK_RE = re.compile(r"[\s{}]*")


def _blank(value: str) -> bool:
    """Whether a verbatim value is only white space and braces around nothing (``{ }``)."""
    return _BLANK_RE.fullmatch(value) is not None


# ---------------------------------------------------------------- names


def format_names(names: Iterable[str], *, utf8: bool = False) -> str:
    """``Last, First and Last, First`` with organisations in braces.

    In the ``bibtex`` profile characters kept as UTF-8 are grouped as
    ``{\\relax{}王}`` (see :func:`~.latex.protect_unicode`), so that
    bibtex never cuts one into bytes for initials or labels.
    """
    return " and ".join(filter(None, [_format_name(n, utf8) for n in names]))


def format_name(name: str, *, utf8: bool = False) -> str:
    """One name for a BibTeX name list (``van der Berg, Jan``, ``{OpenAI Team}``)."""
    return _format_name(name, utf8)


# A library names the same authors over and over (a few thousand people write
# most of 100,000 papers), and the result depends on the name alone.
@functools.lru_cache(maxsize=1 << 16)
def _format_name(name: str, utf8: bool) -> str:
    name = collapse_space(name)
    if not name:
        return ""
    if name.lower() in _OTHERS:
        return "others"
    if is_organisation(name) or re.search(r"\band\b", name, re.IGNORECASE) or name.count(",") > 2:
        # One brace group: bibtex neither splits it nor reads " and " inside.
        latex = to_latex(literal_name(name) or name, utf8=utf8)
        if not utf8 and not latex.isascii():
            # One special character to bibtex, so alpha's label takes it whole (see protect_unicode).
            return "{\\relax{}" + latex + "}"
        return "{" + latex + "}"
    last, suffix, first = split_name(name)
    parts = [last] + ([suffix] if suffix else []) + ([first] if first else [])
    return ", ".join(_name_part(p, utf8) for p in parts)


def _name_part(text: str, utf8: bool) -> str:
    latex = to_latex(text, utf8=utf8)
    return latex if utf8 else protect_unicode(latex)


# ---------------------------------------------------------------- fields


# biblatex names -> the BibTeX names bibtex styles read (for the ``bibtex`` profile).
_TO_BIBTEX_FIELDS = {
    "journaltitle": "journal",
    "location": "address",
    "eprinttype": "archiveprefix",
    "eprintclass": "primaryclass",
}


def _extra_fields(
    extra: dict[str, str], entry_type: str, *, utf8: bool, all_fields: bool, unsafe: list[tuple[str, str | None, str]]
) -> Iterator[tuple[str, str]]:
    """(name, written value) of the extra fields to export; values unsafe verbatim go to ``unsafe``."""
    arxiv_eprint = (extra.get("archiveprefix") or extra.get("eprinttype") or "").strip().lower() == "arxiv"
    if not utf8:
        extra = _bibtex_names(extra, entry_type)
    for name, value in extra.items():
        if name in _OWN_FIELDS or name in CODE_FIELDS or not _FIELD_NAME_RE.fullmatch(name):
            continue
        if not all_fields:
            if is_tool_field(name) or name in LINK_FIELDS:
                continue
            if not is_valid_field(entry_type, name):
                continue
            # ``address`` and ``location`` both: biber maps only one, warns on the other.
            if any(FIELD_ALIASES.get(other) == name for other in extra if other != name):
                continue
        written = _verbatim_value(name, value, arxiv_eprint) if name in VERBATIM_FIELDS else None
        if name in VERBATIM_FIELDS and written is None:
            unsafe.append((name, _UNSAFE_LABELS.get(name), value))
            continue
        written = written or _field_value(name, value, utf8=utf8)
        if written != "{}":  # a name list of no names
            yield name, written


def _bibtex_names(extra: dict[str, str], entry_type: str) -> dict[str, str]:
    """biblatex field names renamed to BibTeX ones, unless the BibTeX one is there too."""
    renames = dict(_TO_BIBTEX_FIELDS)
    if entry_type in ("phdthesis", "mastersthesis"):
        renames["institution"] = "school"
    out: dict[str, str] = {}
    for name, value in extra.items():
        target = renames.get(name)
        if target and target not in extra:
            name = target
        out.setdefault(name, value)
    return out


# How a value kept out of its verbatim field is labelled in ``note`` (None: left out).
_UNSAFE_LABELS = {"doi": "DOI", "eprint": "arXiv id"}


def _verbatim_value(name: str, value: str, arxiv_eprint: bool) -> str | None:
    """``{value}`` for a verbatim field, or None when the value has no safe verbatim form."""
    if name == "file":
        # A local path (only with --all-fields): spaces and backslashes are the
        # user's, and biber reads the field verbatim. Percent-encoding would
        # break the link to the PDF; a "^" could make TeX read "^^5c" as a backslash.
        if "^" in value:
            return None
        return "{" + (value if _balanced(value) else verbatim(value)) + "}"
    if name == "doi":
        doi = verbatim_doi(strip_doi_resolver(value))
        return None if doi is None else "{" + doi + "}"
    if name == "eprint" and arxiv_eprint:
        arxiv = verbatim_arxiv_id(_ARXIV_PREFIX_RE.sub("", value.strip()))
        return None if arxiv is None else "{" + arxiv + "}"
    return "{" + verbatim(value) + "}"


_ARXIV_PREFIX_RE = re.compile(r"(?i)^arxiv:")


def _field_value(name: str, value: str, *, utf8: bool) -> str:
    if name in NAME_FIELDS:
        return "{" + format_names(split_name_list(value), utf8=utf8) + "}"
    if name in TITLE_FIELDS:
        return "{" + title_to_latex(value, utf8=utf8) + "}"
    return "{" + to_latex(value, utf8=utf8) + "}"


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


# \url{} inside another field: safe only without characters LaTeX reads specially.
_URL_IN_ARGUMENT_RE = re.compile(r"[A-Za-z0-9/:.,;=?@!*'()+\-]+")


def _url_text(url: str) -> str:
    """``howpublished`` text for a URL: ``\\url{...}``, or escaped text for odd URLs."""
    if _URL_IN_ARGUMENT_RE.fullmatch(url):
        return r"\url{" + url + "}"
    return to_latex(url)


def _sort_key(paper: Paper, cite_key: str) -> str:
    """A ``key`` for an entry without authors: the first title word, else the cite key."""
    folded = unicodedata.normalize("NFKD", paper.title)
    words: list[str] = re.findall(r"[A-Za-z0-9]+", folded.encode("ascii", "ignore").decode())
    significant = [w for w in words if w.lower() not in citekeys.STOPWORDS]
    return (significant or words or [cite_key])[0]
