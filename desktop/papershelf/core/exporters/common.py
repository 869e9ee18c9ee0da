"""What every export format needs: keys, dates, names, extra fields, the report of what was changed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..records import Paper
from . import citekeys
from .latex import collapse_space

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)

#: BibTeX fields holding URLs, DOIs or paths: not LaTeX, written as they are.
VERBATIM_FIELDS = frozenset("url doi eprint file pdf urlraw verba verbb verbc".split())
#: BibTeX fields holding name lists ("Last, First and ...").
NAME_FIELDS = frozenset(
    """author editor editora editorb editorc translator bookauthor annotator commentator
    introduction foreword afterword holder shortauthor shorteditor namea nameb namec""".split()
)

#: Where a paper was seen, for the ``note`` field.
SOURCE_NAMES = {"hf-daily": "Hugging Face Daily Papers"}

# Name handling.
ORG_WORDS = frozenset(
    """university universite universität universidad universidade institute institut
    instituto team lab labs laboratory laboratories consortium inc inc. ltd ltd. llc corp
    corp. corporation company collaboration group foundation association society committee
    council center centre department school college academy organization organisation
    project initiative agency research openai deepmind anthropic""".split()
)
# Matched case-sensitively: "Meta AI" is an organisation, "Qingyao Ai" a person.
ORG_WORDS_EXACT = frozenset({"AI", "NVIDIA", "IBM", "Google", "Microsoft", "Meta"})
SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})


@dataclass
class ExportReport:
    """What an export wrote in another form than asked, filled in while it renders.

    Pass one to :func:`papershelf.core.exporters.export_to_file` (``report=``)
    and show :meth:`warnings` to the user: nothing is ever dropped silently.
    """

    #: (citation key, field) of values not written to their verbatim field: an
    #: arXiv id, class or DOI outside its grammar (written to ``note``), a file
    #: path TeX could run code from (left out).
    not_verbatim: list[tuple[str, str]] = field(default_factory=list)
    #: Citation keys of papers whose ``bibtex`` entry keeps characters with no
    #: LaTeX form as UTF-8 (CJK, Arabic, Cyrillic, emoji...): not pure ASCII.
    unicode_kept: list[str] = field(default_factory=list)
    #: Citation keys of papers whose ``execute`` field (TeX code biblatex runs) was left out.
    code_left_out: list[str] = field(default_factory=list)
    #: Citation keys of imported entries written from their decoded text, not as
    #: written: a value held TeX that reads or writes files or defines commands.
    not_as_written: list[str] = field(default_factory=list)

    def warnings(self) -> list[str]:
        """One line per kind of problem, naming the papers; empty when there was none."""
        lines = []
        if self.unicode_kept:
            lines.append(
                f"{_papers(len(self.unicode_kept), 'keeps', 'keep')} characters with no LaTeX form (kept as UTF-8;"
                f" use biblatex with XeLaTeX/LuaLaTeX): {_first(self.unicode_kept)}"
            )
        if self.not_verbatim:
            fields: dict[str, list[str]] = {}
            for key, name in self.not_verbatim:
                fields.setdefault(key, []).append(name)
            named = [f"{key} ({', '.join(names)})" for key, names in fields.items()]
            lines.append(
                f"{_papers(len(fields), 'has', 'have')} an arXiv id, class, DOI or file path that is not safe in a"
                f" verbatim field (written to note instead, a file path left out): {_first(named)}"
            )
        if self.code_left_out:
            lines.append(
                f"{_papers(len(self.code_left_out), 'has', 'have')} an 'execute' field, TeX code biblatex would run"
                f" (left out of the export, kept in the library): {_first(self.code_left_out)}"
            )
        if self.not_as_written:
            lines.append(
                f"{_papers(len(self.not_as_written), 'has', 'have')} TeX that reads or writes files or defines"
                f" commands in a field (written as plain text, not as in the imported file):"
                f" {_first(self.not_as_written)}"
            )
        return lines


def _papers(count: int, one: str, many: str) -> str:
    return f"1 paper {one}" if count == 1 else f"{count} papers {many}"


def _first(names: list[str], shown: int = 20) -> str:
    """The first ``shown`` names, and how many more: one line even for 100,000 papers."""
    more = f", and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def own_url(paper: Paper) -> str | None:
    """The paper's own URL, or None when it has none or it only names its arXiv id.

    A GitHub, publisher or project URL is the paper's own. Its arXiv page, and
    the Hugging Face page a daily listing gives each paper, follow from the
    arXiv id, which every format writes (``eprint``, ``AN``, ``number``): for
    such a paper the formats link the canonical arXiv abstract page instead.
    """
    url = (paper.url or "").strip()
    arxiv = arxiv_base_id(paper.arxiv_id)
    if url and arxiv:
        derived = _ID_PAGE_RE.fullmatch(url)
        if derived and arxiv_base_id(derived.group(1)) == arxiv:
            return None
    return url or None


# An arXiv abstract or PDF page, or a Hugging Face paper page: (id).
_ID_PAGE_RE = re.compile(
    r"(?i)https?://(?:www\.)?(?:arxiv\.org/(?:abs|pdf)|huggingface\.co/papers)/([\w./-]+?)(?:\.pdf)?/?"
)


def extra_fields(paper: Paper) -> dict[str, str]:
    """The paper's extra BibTeX fields with lowercase names, empty ones left out."""
    if not paper.extra_fields:
        return {}  # an arXiv paper: asked for several times per entry
    return {
        k.lower(): str(v).strip() for k, v in (paper.extra_fields or {}).items() if v is not None and str(v).strip()
    }


def citation_keys(papers: Iterable[Paper]) -> Iterator[tuple[Paper, str]]:
    """Each paper with a citation key unique within the export.

    The stored key is used when valid; two papers with the same key (or keys
    differing only in case, which bibtex treats as equal) get a, b, ... suffixes.
    """
    taken = _CaselessKeys()
    for paper in papers:
        key = citekeys.unique_key(entry_key(paper), taken)
        taken.add(key)
        yield paper, key


def entry_key(paper: Paper) -> str:
    """The paper's stored citation key if bibtex can use it, else one made from its data.

    Any key bibtex and ``\\cite`` accept is kept as it is (``alp.isa:14*1``,
    ``国家标准2015``): keys come from the user's own files or edits.
    """
    key = (paper.citation_key or "").strip()
    if key and citekeys.key_problem(key) is None:
        return key
    year = paper.published.year if paper.published else None
    return citekeys.base_key(paper.authors, year, paper.title)


@dataclass(frozen=True)
class Venue:
    """Where a preprint was published: entry type, the field naming the venue, the venue, the year."""

    entry_type: str
    field: str
    name: str
    year: str | None


# A journal reference naming a conference, workshop or proceedings (arXiv's journal_ref is free text).
_CONFERENCE_RE = re.compile(
    r"(?i)\b(proceedings|proc\.|conference|conf\.|workshop|symposium|neurips|nips|icml|iclr|cvpr|iccv|eccv|acl"
    r"|emnlp|naacl|coling|aaai|ijcai|kdd|sigir|sigmod|vldb|www|interspeech|icassp|colt|uai|aistats|corl|icra|iros"
    r"|miccai|siggraph|chi|uist|osdi|sosp|nsdi|usenix)\b"
)
_YEAR_RE = re.compile(r"\b(19[5-9]\d|20\d\d)\b")


def published_venue(paper: Paper) -> Venue | None:
    """The journal or proceedings a listed preprint was published in, from arXiv's journal reference.

    None for a paper cited as the preprint (its ``cite_as``), for an entry
    imported from BibTeX (it says what it is itself), and when arXiv names no
    journal reference.
    """
    if paper.cite_as == "preprint" or paper.bibtex is not None or not paper.metadata:
        return None
    ref = " ".join(str(paper.metadata.get("journal_ref") or "").split())
    if not ref:
        return None
    years = _YEAR_RE.findall(ref)
    year = years[-1] if years else None
    if _CONFERENCE_RE.search(ref):
        return Venue("inproceedings", "booktitle", ref, year)
    return Venue("article", "journal", ref, year)


def split_name_list(value: str) -> list[str]:
    """The names of a decoded name list (``A and B``), as the library keeps editors and the like."""
    return [n for n in re.split(r"\s+and\s+", collapse_space(value)) if n]


def split_name(name: str) -> tuple[str, str, str]:
    """(von Last, Jr, First) of a "First von Last Jr" or "von Last, [Jr,] First" name."""
    name = collapse_space(name)
    if "," in name:
        parts = [p.strip() for p in name.split(",")]
        if len(parts) == 2:
            return parts[0], "", parts[1]
        return parts[0], parts[1], ", ".join(parts[2:])
    words = name.split(" ")
    suffix = ""
    if len(words) > 2 and words[-1].lower() in SUFFIXES:
        suffix = words.pop()
    if len(words) == 1:
        return words[0], suffix, ""
    start = len(words) - 1
    # Lowercase particles before the last word belong to the surname: "van der Berg".
    while start > 1 and words[start - 1] in citekeys.PARTICLES:
        start -= 1
    return " ".join(words[start:]), suffix, " ".join(words[:start])


def is_organisation(name: str) -> bool:
    """Heuristic: a word like University/Team/Lab/Inc, or one word, or more than five.

    A name in "Last, First" form is a person's, however many words it has.
    """
    if literal_name(name) is not None:
        return True
    words = name.replace(",", " ").split()
    if "," not in name and (len(words) == 1 or len(words) > 5):
        return True
    return any(w.lower() in ORG_WORDS or w in ORG_WORDS_EXACT for w in words)


def literal_name(name: str) -> str | None:
    """The text of a name kept in one pair of braces (``{Alphabet Mobility}``: an organisation), else None.

    The entry editor keeps an organisation this way when :func:`is_organisation`
    would take its name for a person's; every export writes it as one name.
    """
    name = name.strip()
    if len(name) < 2 or name[0] != "{" or name[-1] != "}":
        return None
    depth = 0
    for i, ch in enumerate(name):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth == 0 and i < len(name) - 1:
            return None  # "{A} and {B}": the first brace closes early
    return name[1:-1].strip() if depth == 0 else None


def date_parts(paper: Paper) -> list[int]:
    """``[year]``, ``[year, month]`` or ``[year, month, day]``, as precise as known.

    From ``published``; for an entry imported from BibTeX (its ``year`` kept in
    extra_fields) only as precise as the entry was, since the rest of
    ``published`` is a placeholder. Without a date, an arXiv id gives the year
    and month of submission; failing that, the first daily listing the paper
    appeared in does (a text listing carries no other date, and a paper is
    listed within days of its release). Empty when nothing is known.
    """
    extra = extra_fields(paper)
    if paper.published:
        p = paper.published
        if extra.get("year") == str(p.year):
            if not month_macro(extra.get("month", "")):
                return [p.year]
            return [p.year, p.month, p.day] if stated_day(paper) else [p.year, p.month]
        return [p.year, p.month, p.day]
    if extra.get("year", "").isdigit():
        month = month_macro(extra.get("month", ""))
        return [int(extra["year"])] + ([MONTHS.index(month) + 1] if month else [])
    arxiv = arxiv_base_id(paper.arxiv_id) or ""
    # 2509.01234 (2007 on) or hep-th/9901001 (before): yymm of submission.
    m = re.fullmatch(r"(\d{2})(\d{2})\.\d{4,5}", arxiv) or re.fullmatch(
        r"[a-z\-]+(?:\.[A-Z]{2})?/(\d{2})(\d{2})\d{3}", arxiv
    )
    if m and 1 <= int(m.group(2)) <= 12:
        yy = int(m.group(1))
        return [(1900 if yy >= 91 else 2000) + yy, int(m.group(2))]
    listed = min((s.listing_date for s in paper.sightings), default=None)
    if listed is not None:
        return [listed.year, listed.month]
    return []


def stated_day(paper: Paper) -> bool:
    """Whether the paper's own fields give the day of its date (``day``, or a ``date`` of YYYY-MM-DD), as ``published`` has it.

    Only such a day is written as a day (biblatex's ``date``, CSL's third date
    part) for a paper whose year came from its fields; a date from a feed or an
    arXiv id keeps the output it always had.
    """
    p = paper.published
    if p is None:
        return False
    extra = extra_fields(paper)
    day = extra.get("day", "").strip()
    if day.isdigit():
        return int(day) == p.day and month_macro(extra.get("month", "")) is not None
    return extra.get("date", "").strip()[:10] == p.isoformat()


def year_month(paper: Paper) -> tuple[str | None, str | None]:
    """``year`` text and ``month`` macro for a paper, each None when unknown."""
    parts = date_parts(paper)
    if parts:
        return str(parts[0]), MONTHS[parts[1] - 1] if len(parts) > 1 else None
    # A non-numeric year from an imported entry ("in press") is still data.
    year = extra_fields(paper).get("year", "")
    return year or None, None


def month_macro(text: str) -> str | None:
    """``sep`` for "9", "09", "Sep", "September" or "sep"; None otherwise."""
    text = text.strip().lower().rstrip(".")
    if text.isdigit() and 1 <= int(text) <= 12:
        return MONTHS[int(text) - 1]
    for macro, name in zip(MONTHS, MONTH_NAMES):
        if len(text) >= 3 and name.startswith(text):
            return macro
    return None


def arxiv_base_id(arxiv_id: str | None) -> str | None:
    """The arXiv id without ``arXiv:`` prefix or version: ``2509.01234``."""
    if not arxiv_id:
        return None
    arxiv_id = arxiv_id.strip()
    if ":" not in arxiv_id and "v" not in arxiv_id:  # no prefix, no version: asked three times per paper
        return arxiv_id or None
    arxiv_id = _ARXIV_PREFIX_RE.sub("", arxiv_id)
    return _ARXIV_VERSION_RE.sub("", arxiv_id) or None


_ARXIV_PREFIX_RE = re.compile(r"(?i)^arxiv:")
_ARXIV_VERSION_RE = re.compile(r"v\d+$")


_DOI_RESOLVER_RE = re.compile(r"(?i)^(https?://[^/\s]*doi[^/\s]*\.org/|doi:\s*)")


def strip_doi_resolver(doi: str) -> str:
    """``10.1145/1`` for ``https://doi.org/10.1145/1``, ``http://doi.acm.org/10.1145/1``, ``doi:10.1145/1``."""
    return _DOI_RESOLVER_RE.sub("", doi.strip())


def sighting_note(paper: Paper) -> str | None:
    """``Hugging Face Daily Papers, 2025-09-11``: where the paper was first listed."""
    known = [s for s in paper.sightings if s.source in SOURCE_NAMES]
    if not known:
        return None
    # Most papers were listed once: no need for min() and its key function.
    first = known[0] if len(known) == 1 else min(known, key=lambda s: (s.listing_date, s.position))
    return f"{SOURCE_NAMES[first.source]}, {first.listing_date.isoformat()}"


class _CaselessKeys(set[str]):
    """Keys taken so far; bibtex treats keys differing only in case as the same."""

    def add(self, key: str) -> None:
        super().add(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


# Characters a terminal or a text viewer acts on instead of showing: C0 and C1
# controls (ESC starts an escape sequence, CSI is one in a single character),
# DEL, and the bidi embeddings, overrides and isolates that make text display in
# another order than it is stored. Tab and newline are kept; the other white
# space controls become spaces, so that words stay apart.
_CONTROL_TABLE = {
    **dict.fromkeys([*range(0x00, 0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A)]),
    **dict.fromkeys(map(ord, "\r\v\f\x1c\x1d\x1e\x1f\x85"), " "),
    ord("\t"): "\t",
    ord("\n"): "\n",
}


def strip_controls(text: str) -> str:
    """``text`` without control characters (see ``_CONTROL_TABLE``); every printable character is kept."""
    if text.isprintable():  # the usual case: controls and bidi marks are not printable
        return text
    return text.translate(_CONTROL_TABLE)
