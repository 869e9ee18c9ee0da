"""Finding papers that are the same work: same DOI, same arXiv id, or a title similar enough.

Two papers are grouped when one of these holds (the reason is shown with the group):

- the same DOI (ignoring case and a resolver prefix such as ``https://doi.org/``);
  a DOI arXiv gives a preprint in its metadata counts, so the preprint meets
  its published version;
- the same arXiv id, version aside (from the arXiv id, an ``eprint`` field, an
  arXiv DOI ``10.48550/arXiv.…`` or an arxiv.org URL);
- titles whose normalised forms (:func:`normalize.title_key`) have a
  :class:`difflib.SequenceMatcher` ratio of at least :data:`THRESHOLD`, with the
  same numbers in them ("Part I" is not "Part II", GPT-3 is not GPT-4), the same
  first author's surname (when both have authors) and years at most
  :data:`YEAR_GAP` apart (:data:`REPORT_GAP` for a report or preprint and its
  published version; an edition years later is another book), and titles that
  differ at most by small words, spelling and one added word
  (:func:`words_agree`). A thesis and an article, or a book and a chapter, of
  one title are different works. A preprint with its journal or conference
  version is named as such.

Titles are only compared within blocks, never all pairs: each paper goes into
the bucket of its exact title key and of each pair of its :data:`BLOCK_WORDS`
rarest title words. Two titles of one work differ by at most one word on each
side (but for a misspelt word), so they share a bucket, and at 100,000 papers
some 30,000 pairs are compared, not five billion.
Pairs the user marked "not a duplicate" (table ``not_duplicate``) are never in
one group, not even through a third paper.

The threshold was measured on real pairs (tests/fixtures/duplicates/pairs.tsv,
see tests/core/test_duplicates.py).
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, select

from . import db, normalize
from .exporters import citekeys
from .schema import ND

if TYPE_CHECKING:
    from .library import Library

_T = TypeVar("_T")

#: The least ratio of two title keys (0 to 1) for the same work, measured on the corpus of real pairs.
THRESHOLD = 0.92
#: The most years between two versions of one work (a preprint, then its journal version).
YEAR_GAP = 2
#: A title goes into the bucket of each pair of its this many rarest words.
BLOCK_WORDS = 3
#: A bucket larger than this (a word in thousands of titles) gives no pairs: another word of the title does.
MAX_BUCKET = 200
#: Title keys shorter than this are only grouped when equal ("Introduction", "Reply").
MIN_FUZZY_LENGTH = 16

_DOI_PREFIX = re.compile(r"(?i)^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)")
_ARXIV_DOI = re.compile(r"(?i)^10\.48550/arxiv\.(.+)$")
_ROMAN = frozenset("ii iii iv vi vii viii ix xi xii xiii xiv xv".split())
_ORDINALS = frozenset("first second third fourth fifth sixth seventh eighth ninth tenth".split())
_ORDINAL_AFTER = frozenset("part vol volume chapter no number series section".split())
_SHORT = 3  # words shorter than this never block


@dataclass(slots=True)
class Candidate:
    """What duplicate finding reads of a paper."""

    id: int
    title: str
    authors: Sequence[str] = ()
    year: int | None = None
    doi: str | None = None
    arxiv: str | None = None
    #: A journal or proceedings version (an ``@article``/``@inproceedings``, or a DOI that is not arXiv's).
    published: bool = False
    key: str = ""
    #: The kind of work (:func:`kind_of` its entry type): a thesis is not the article drawn from it.
    kind: str = "report"
    title_key: str = field(default="", repr=False)
    #: :func:`numbers` of the title key, worked out when first compared.
    numbers: tuple[str, ...] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.title_key:
            self.title_key = normalize.title_key(self.title)

    def title_numbers(self) -> tuple[str, ...]:
        if self.numbers is None:
            self.numbers = numbers(self.title_key)
        return self.numbers


@dataclass(frozen=True)
class Group:
    """Papers that look like one work, by id, with why each was joined to the group."""

    ids: tuple[int, ...]
    #: "paper 12 and paper 40: same DOI 10.1145/…", one per pair that joined the group.
    reasons: tuple[str, ...]


def clean_doi(value: object) -> str | None:
    """A DOI for matching, lowercase without a resolver prefix, or None for anything that is not one."""
    doi = _DOI_PREFIX.sub("", str(value or "").strip()).strip().lower()
    return doi if doi.startswith("10.") and "/" in doi else None


def surname_key(name: str) -> str:
    """A first author's surname, folded to ASCII letters.

    ``Müller``, ``Mueller`` and ``{M\"u}ller`` alike; ``J. E. Dennis Jr.`` is
    Dennis, ``Takei Y.`` (initials last) is Takei, ``van der Vorst, H. A.`` is Vorst.
    """
    text = _BRACKETED.sub(" ", name.replace("{", "").replace("}", ""))
    family = text.split(",", 1)[0] if "," in text else text
    words = _name_words(family) or _name_words(text)
    if not words:
        return ""
    return words[-1].replace("ue", "u").replace("oe", "o").replace("ae", "a")  # ü written as ue or u


_BRACKETED = re.compile(r"\([^)]*\)")  # "P. Moin (Director)", "Lichtner (PI)"
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "phd", "et", "al", "etal"})


def _name_words(text: str) -> list[str]:
    """The words of a name that can be a surname: no initials (``Y.``, ``J``), no ``Jr.`` or ``et al.``."""
    words = [(w, citekeys.ascii_fold(w)) for w in text.split()]
    return [f for w, f in words if len(f) > 1 and not w.endswith(".") and f not in _SUFFIXES]


def numbers(title_key: str) -> tuple[str, ...]:
    """The numbers of a title key that tell works apart: digits, roman numerals, ordinals, "part i"."""
    found = _NUMBER_RE.findall(title_key) + _ORDINAL_LETTER_RE.findall(title_key)
    return tuple(sorted(found))


_NUMBER_RE = re.compile(r"(?<!\S)(\S*\d\S*|" + "|".join(sorted(_ROMAN | _ORDINALS, key=len, reverse=True)) + r")(?!\S)")
_ORDINAL_LETTER_RE = re.compile(r"(?<!\S)(?:" + "|".join(sorted(_ORDINAL_AFTER)) + r") ([ivx])(?!\S)")


def _content_words(title_key: str) -> set[str]:
    return {w for w in title_key.split() if len(w) >= _SHORT and w not in citekeys.STOPWORDS}


def _close(a: str, b: str) -> bool:
    """Whether two words are one spelled two ways: a plural, or a typo in a long word."""
    if a.rstrip("s") == b.rstrip("s"):
        return True
    return min(len(a), len(b)) >= 6 and SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.9


def words_agree(a: str, b: str) -> bool:
    """Whether two title keys differ at most by small words, spelling, or one added word.

    Titles that swap a word for another ("Asymptotic Analysis" and "Global
    Analysis", "Linear" and "Nonlinear", "WDBC" and "WPBC") or add two
    ("Runge-Kutta") are different works, however alike their letters.
    """
    if a.replace(" ", "") == b.replace(" ", ""):
        return True  # "Bi-CGSTAB" and "BiCGSTAB"
    wa, wb = _content_words(a), _content_words(b)
    only_a, only_b = wa - wb, wb - wa
    for word in sorted(only_a):
        twin = next((other for other in sorted(only_b) if _close(word, other)), None)
        if twin is not None:
            only_a.discard(word)
            only_b.discard(twin)
    if only_a and only_b:
        return False
    return len(only_a) + len(only_b) <= 1


def title_ratio(a: str, b: str) -> float:
    """The similarity of two title keys, 0 to 1."""
    if a == b:
        return 1.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < THRESHOLD or matcher.quick_ratio() < THRESHOLD:
        return matcher.quick_ratio()  # an upper bound below the threshold: no need for the exact ratio
    return matcher.ratio()


def same_work(a: Candidate, b: Candidate, threshold: float = THRESHOLD) -> str | None:
    """Why ``a`` and ``b`` are the same work, or None."""
    if a.doi and a.doi == b.doi:
        return f"same DOI {a.doi}"
    if a.arxiv and a.arxiv == b.arxiv:
        return f"same arXiv id {a.arxiv}"
    return similar_titles(a, b, threshold)


def similar_titles(a: Candidate, b: Candidate, threshold: float = THRESHOLD) -> str | None:
    """Why two papers' titles, authors and years say they are one work, or None."""
    ka, kb = a.title_key, b.title_key
    if not ka or not kb:
        return None
    if ka != kb:
        short, long = sorted((len(ka), len(kb)))
        if short < MIN_FUZZY_LENGTH or 2 * short < threshold * (short + long):
            return None  # too short to compare, or the lengths alone keep the ratio below the threshold
    if a.doi and b.doi and a.doi != b.doi and not (_is_arxiv_doi(a.doi) or _is_arxiv_doi(b.doi)):
        return None  # two publishers' DOIs: two publications
    if a.arxiv and b.arxiv and a.arxiv != b.arxiv:
        return None
    if a.year and b.year and abs(a.year - b.year) > _year_gap(a, b):
        return None
    if a.kind != b.kind and {a.kind, b.kind} in _OTHER_WORKS:
        return None
    if a.title_numbers() != b.title_numbers():
        return None
    ratio = title_ratio(ka, kb)
    if ratio < threshold or not words_agree(ka, kb):
        return None
    if a.authors and b.authors and not _authors_agree(a.authors, b.authors):
        return None
    what = "same title" if ka == kb else f"similar titles ({ratio:.2f})"
    if (a.arxiv and not a.published and b.published) or (b.arxiv and not b.published and a.published):
        return f"{what}: a preprint and its published version"
    return what


#: Entry kinds that are never one work: a thesis and an article drawn from it, a book and a chapter
#: or a paper of the same title.
_OTHER_WORKS = [{"thesis", "article"}, {"thesis", "book"}, {"book", "chapter"}, {"book", "article"}]
#: Entry types as kinds (others are "other").
_KINDS = {
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "thesis": "thesis",
    "article": "article",
    "inproceedings": "article",
    "conference": "article",
    "book": "book",
    "inbook": "chapter",
    "incollection": "chapter",
    "techreport": "report",
    "report": "report",
    "unpublished": "report",
    "misc": "report",
    "online": "report",
}
#: The most years between a report or preprint and its published version.
REPORT_GAP = 5


def kind_of(entry_type: str | None) -> str:
    """What kind of work a BibTeX entry type is: article, book, chapter, thesis, report or other."""
    return _KINDS.get((entry_type or "misc").lower(), "other")


def _year_gap(a: Candidate, b: Candidate) -> int:
    """Years allowed between two versions: a report (or preprint) may be published years later."""
    if {a.kind, b.kind} in ({"report", "article"}, {"report", "chapter"}):
        return REPORT_GAP
    return YEAR_GAP


def _authors_agree(a: Sequence[str], b: Sequence[str]) -> bool:
    """Whether two author lists have the same first author, allowing a typo (Schultz, Shultz)."""
    first_a, first_b = surname_key(a[0]), surname_key(b[0])
    return not first_a or not first_b or _same_name(first_a, first_b)


def _same_name(a: str, b: str) -> bool:
    if a == b or _joined_name(a, b):
        return True
    return min(len(a), len(b)) >= 5 and SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.8


def _joined_name(a: str, b: str) -> bool:
    """Whether one surname is part of the other (``Smith`` of ``Smith-Jones``, folded to ``smithjones``)."""
    short, long = sorted((a, b), key=len)
    return len(short) >= 4 and (long.startswith(short) or long.endswith(short))


#: Items per call of a loop that runs in C (and so holds the GIL throughout).
_CHUNK = 2000


def _chunks(items: list[_T]) -> Iterator[list[_T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _is_arxiv_doi(doi: str) -> bool:
    return _ARXIV_DOI.match(doi) is not None


# --- Finding groups ---------------------------------------------------------------------


def find_groups(
    candidates: Sequence[Candidate],
    not_duplicates: Iterable[tuple[int, int]] = (),
    *,
    threshold: float = THRESHOLD,
    cancelled: Callable[[], bool] | None = None,
) -> list[Group]:
    """The groups of candidates that are one work, largest first, then by their first id."""
    by_id = {c.id: c for c in candidates}
    apart: dict[int, set[int]] = defaultdict(set)
    for a, b in not_duplicates:
        apart[a].add(b)
        apart[b].add(a)
    parent = {c.id: c.id for c in candidates}
    members: dict[int, list[int]] = {c.id: [c.id] for c in candidates}
    reasons: dict[int, list[str]] = defaultdict(list)

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(a: int, b: int, why: str) -> None:
        ra, rb = root(a), root(b)
        if ra == rb:
            return
        if len(members[ra]) < len(members[rb]):
            ra, rb = rb, ra
        if apart and any(other in apart for other in members[rb]):
            kept = set(members[ra])
            if any(not kept.isdisjoint(apart.get(other, ())) for other in members[rb]):
                return  # the user said some paper of one is not a duplicate of one of the other
        parent[rb] = ra
        members[ra] += members.pop(rb)
        reasons[ra] += [f"paper {a} and paper {b}: {why}", *reasons.pop(rb, [])]

    # 1. Identifiers: exact, so a plain group-by each.
    for attribute, label in (("doi", "same DOI"), ("arxiv", "same arXiv id")):
        first: dict[str, int] = {}
        for c in candidates:
            value = getattr(c, attribute)
            if value:
                if value in first:
                    join(first[value], c.id, f"{label} {value}")
                else:
                    first[value] = c.id

    # 2. Titles, within blocks: the exact key, and pairs of each title's rarest words.
    # Keys first, then the buckets of the keys shared: most keys are one title's alone.
    stopwords = citekeys.STOPWORDS
    titled = [c for c in candidates if c.title_key]
    words_of = [[w for w in set(c.title_key.split()) - stopwords if len(w) >= _SHORT] for c in titled]
    frequency: Counter[str] = Counter()
    for part in _chunks(words_of):  # a C loop holds the GIL: in short parts, a GUI thread keeps painting
        frequency.update(itertools.chain.from_iterable(part))
    # Words by rarity (then spelling), as numbers: a bucket of two words is one number.
    rank = {w: i for i, w in enumerate(sorted(frequency, key=lambda w: (frequency[w], w)))}
    count = len(rank)
    keys_of: list[list[object]] = []
    for c, words in zip(titled, words_of):
        keys: list[object] = [c.title_key.replace(" ", "")]  # equal titles, and "Bi-CGSTAB" with "BiCGSTAB"
        ranks = sorted(map(rank.__getitem__, words))[:BLOCK_WORDS]
        if len(ranks) == 1:
            keys.append(-1 - ranks[0])
        # Two titles of one work share all but one of their words (see words_agree; two
        # with a misspelt one), so the two rarest words they share are among the three
        # rarest of each.
        keys += [rarer * count + other for rarer, other in itertools.combinations(ranks, 2)]
        keys_of.append(keys)
    shared: Counter[object] = Counter()
    for piece in _chunks(keys_of):
        shared.update(itertools.chain.from_iterable(piece))
    buckets: dict[object, list[int]] = defaultdict(list)
    for c, keys in zip(titled, keys_of):
        for key in keys:
            if shared[key] > 1:
                buckets[key].append(c.id)
    length = {c.id: len(c.title_key) for c in candidates}
    compared: set[tuple[int, int]] = set()
    for name, ids in buckets.items():
        if len(ids) < 2 or (len(ids) > MAX_BUCKET and not isinstance(name, str)):
            continue
        if cancelled is not None and cancelled():
            return []
        ids.sort(key=length.__getitem__)
        for i, a in enumerate(ids):
            ca = by_id[a]
            # The ratio is at most 2 la / (la + lb): past this length, no longer title can reach the threshold.
            longest = (2 - threshold) * length[a] / threshold
            for b in ids[i + 1 :]:
                if length[b] > longest:
                    break
                pair = (a, b) if a < b else (b, a)
                if pair in compared:
                    continue
                compared.add(pair)
                if root(a) == root(b):
                    continue
                why = similar_titles(ca, by_id[b], threshold)
                if why is not None:
                    join(a, b, why)

    groups = [Group(tuple(sorted(ids)), tuple(reasons.get(r, ()))) for r, ids in members.items() if len(ids) > 1]
    groups.sort(key=lambda g: (-len(g.ids), g.ids[0]))
    return groups


# --- Reading a library -----------------------------------------------------------------


#: What duplicate finding reads of each paper, in one statement: SQLite's json_extract takes the
#: few JSON values it needs (the first author, DOI, eprint, venue) without parsing the rest in Python.
_CANDIDATES = """
SELECT id, title, title_key, json_extract(authors, '$[0]'), substr(CAST(coalesce(published, listed_on) AS TEXT), 1, 4),
       arxiv_id, url, entry_type, citation_key,
       json_extract(extra_fields, '$.doi'), json_extract(metadata, '$.doi'), json_extract(extra_fields, '$.eprint'),
       coalesce(json_extract(extra_fields, '$.journal'), json_extract(extra_fields, '$.booktitle'),
                json_extract(metadata, '$.journal_ref')) IS NOT NULL
FROM paper
"""
_PUBLISHED_TYPES = frozenset({"article", "inproceedings", "incollection"})


def candidates(conn: Connection, ids: Sequence[int] | None = None) -> list[Candidate]:
    """Every paper of the library (or those of ``ids``) as a :class:`Candidate`."""
    found = []
    cursor = db.driver_connection(conn).cursor()
    rows: list[Any] = []
    try:
        if ids is None:
            cursor.execute(_CANDIDATES)
        else:
            wanted = sorted(set(ids))
            cursor.execute(_CANDIDATES + f" WHERE id IN ({','.join('?' * len(wanted))})", wanted)
        while batch := cursor.fetchmany(_CHUNK):  # in parts, as above
            rows += batch
    finally:
        cursor.close()
    for pid, title, key, first, year, arxiv, url, entry_type, citation_key, doi, meta_doi, eprint, venue in rows:
        if doi or meta_doi:
            doi = clean_doi(doi) or clean_doi(meta_doi)
        arxiv_doi = _ARXIV_DOI.match(doi) if doi else None
        if not arxiv:
            sources = (eprint, arxiv_doi.group(1) if arxiv_doi else None, url)
            arxiv = next((found_id for v in sources if v and (found_id := normalize.arxiv_id(str(v)))), None)
        if arxiv_doi:
            doi = None  # matched as the arXiv id it is
        found.append(
            Candidate(
                id=pid,
                title=title,
                authors=(first,) if isinstance(first, str) and first else (),
                year=int(year) if year and year.isdigit() else None,
                doi=doi,
                arxiv=arxiv,
                published=bool(venue) or (entry_type or "").lower() in _PUBLISHED_TYPES,
                key=citation_key,
                kind=kind_of(entry_type),
                title_key=key or normalize.title_key(title),
            )
        )
    return found


def not_duplicate_pairs(conn: Connection) -> list[tuple[int, int]]:
    return [(a, b) for a, b in conn.execute(select(ND.c.paper_a, ND.c.paper_b))]


def find_duplicates(
    conn: Connection, *, threshold: float = THRESHOLD, cancelled: Callable[[], bool] | None = None
) -> list[Group]:
    """The library's groups of duplicates (see :func:`find_groups`)."""
    return find_groups(candidates(conn), not_duplicate_pairs(conn), threshold=threshold, cancelled=cancelled)


def to_json(groups: Sequence[Group]) -> str:
    return json.dumps([{"ids": list(g.ids), "reasons": list(g.reasons)} for g in groups], indent=2)


def find(library: Library, *, cancelled: Callable[[], bool] | None = None) -> list[Group]:
    """The groups of duplicates of an open library, read in one read transaction."""
    with db.read(library.engine) as conn:
        return find_duplicates(conn, cancelled=cancelled)


def not_grouped(library: Library, keep: int, others: Sequence[int]) -> list[int]:
    """The papers of ``others`` that finding duplicates would not group with ``keep``.

    Only these papers are compared (no third paper links them), with the pairs
    marked "not a duplicate" among them: what ``papershelf merge`` checks before
    it merges papers that do not look like one work.
    """
    ids = [keep, *others]
    with db.read(library.engine) as conn:
        pairs = [(a, b) for a, b in not_duplicate_pairs(conn) if a in ids and b in ids]
        groups = find_groups(candidates(conn, ids), pairs)
    together = next((set(g.ids) for g in groups if keep in g.ids), {keep})
    return [pid for pid in others if pid not in together]
