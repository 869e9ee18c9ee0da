"""An imported BibTeX entry as it was written, and which of its fields the user has changed since.

A BibTeX import keeps, beside the decoded values the library works with, the
entry's source: its type and key as written, every field as ``name = raw
value`` (braces, math, macros, ``@string`` references and ``#`` included),
the ``@string`` definitions those values use, and a fingerprint of what each
field meant once decoded (:func:`views`). The exporter writes a field from its
source text as long as the paper's decoded value still has the fingerprint it
had at import; a field the user edited is encoded afresh from the new value.
So an unedited entry goes back out exactly as it came in, whatever edit path
(app, CLI, a later import filling in data) touched the paper.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

#: Fields naming the entry another one inherits from: its parent goes into the export after it.
PARENT_FIELDS = ("crossref", "xref")


class Decoded(Protocol):
    """What :func:`views` reads: a :class:`~.records.Paper` or a :class:`~.records.PaperRecord`."""

    title: str
    abstract: str
    authors: list[str]
    arxiv_id: str | None
    url: str | None
    primary_class: str | None
    tags: list[str]
    extra_fields: dict[str, str]


@dataclass(frozen=True, slots=True)
class BibSource:
    """One entry as a .bib file had it."""

    #: The entry type as written (``Article``).
    entry_type: str
    #: The citation key as written.
    key: str
    #: (name as written, raw value as written) in file order, each name once.
    fields: tuple[tuple[str, str], ...]
    #: Lowercase field name -> fingerprint of its decoded meaning at import.
    views: Mapping[str, str] = field(default_factory=dict)
    #: The ``@string`` definitions the values use, (name, raw value), each after those it uses.
    strings: tuple[tuple[str, str], ...] = ()

    def unchanged(self, name: str, current: Mapping[str, str]) -> bool:
        """Whether field ``name`` (lowercase) still means what it meant at import."""
        return self.views.get(name) == fingerprint(current.get(name, ""))

    @property
    def parent_key(self) -> str | None:
        """The key of the entry this one crossrefs (or xrefs), lowercase; None without one."""
        for name, raw in self.fields:
            if name.lower() in PARENT_FIELDS:
                target = unbraced(raw).strip()
                if target:
                    return target.lower()
        return None

    def to_row(self) -> dict[str, Any]:
        """The columns of its ``bibtex_source`` row (the paper id aside)."""
        return {
            "entry_type": self.entry_type,
            "citation_key": self.key,
            "fields": [list(pair) for pair in self.fields],
            "views": dict(self.views),
            "strings": [list(pair) for pair in self.strings],
            "parent_key": self.parent_key,
        }

    @classmethod
    def from_row(cls, entry_type: str, key: str, fields: Sequence[Sequence[str]], views: Mapping[str, str],
                 strings: Sequence[Sequence[str]]) -> BibSource:  # fmt: skip
        return cls(
            entry_type,
            key,
            tuple((str(n), str(v)) for n, v in fields),
            dict(views),
            tuple((str(n), str(v)) for n, v in strings),
        )


def fingerprint(value: str) -> str:
    """A short fingerprint of a decoded value: 16 hex digits (collisions are not a practical concern)."""
    return hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


# Fields whose decoded meaning lives in a paper attribute, not in extra_fields.
_ARXIV_PARTS = frozenset({"eprint", "archiveprefix", "eprinttype"})
_CLASS_PARTS = frozenset({"primaryclass", "eprintclass"})


def views(paper: Decoded, names: Sequence[str] = ()) -> dict[str, str]:
    """Each field's decoded meaning for ``paper``: the fields it models, its extra fields and ``names``.

    Computed the same way from the record an import stores and from the
    paper an export reads, so a field the user did not touch compares equal.
    Tags compare as a set, without case or order: the library may store a keyword
    under an existing tag's spelling, and lists tags by name.
    """
    extra = paper.extra_fields or {}
    out = {
        "author": "\n".join(paper.authors),
        "title": paper.title,
        "abstract": paper.abstract,
        "keywords": "\n".join(sorted({t.casefold() for t in paper.tags})) + "\n" + str(extra.get("keywords", "")),
        "url": paper.url or "",
    }
    for name in [*extra, *names, *_ARXIV_PARTS, *_CLASS_PARTS]:
        name = name.lower()
        if name in out:
            continue
        value = str(extra.get(name, ""))
        if name in _ARXIV_PARTS:
            value = f"{paper.arxiv_id or ''}\n{value}"
        elif name in _CLASS_PARTS:
            value = f"{paper.primary_class or ''}\n{value}"
        out[name] = value
    return out


def fingerprints(paper: Decoded, names: Sequence[str]) -> dict[str, str]:
    """:func:`views` of ``paper`` as fingerprints, for :attr:`BibSource.views`."""
    return {name: fingerprint(value) for name, value in views(paper, names).items()}


def unbraced(raw: str) -> str:
    """A raw value without its outer braces or quotes: ``{Foo}`` -> ``Foo``; other values as they are."""
    raw = raw.strip()
    if len(raw) >= 2 and (raw[0], raw[-1]) in (("{", "}"), ('"', '"')):
        return raw[1:-1]
    return raw


_EMPTY_RE = re.compile(r'[\s{}"]*')


def is_empty(raw: str) -> bool:
    """Whether a raw value holds nothing: ``{}``, ``""``, ``{ }``."""
    return _EMPTY_RE.fullmatch(raw) is not None


_MACRO_RE = re.compile(r"[^\s\d{}\"#,=()%'~][^\s{}\"#,=()%'~]*")


def concatenation_parts(raw: str) -> Iterator[str]:
    """The parts of ``a # "b" # {c}``, splitting only outside braces and quotes."""
    if "#" not in raw:
        yield raw
        return
    depth, quoted, start = 0, False, 0
    for i, ch in enumerate(raw):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == '"' and depth == 0:
            quoted = not quoted
        elif ch == "#" and depth == 0 and not quoted:
            yield raw[start:i]
            start = i + 1
    yield raw[start:]


#: BibTeX's month macros, defined by every style.
MONTH_MACROS = frozenset("jan feb mar apr may jun jul aug sep oct nov dec".split())


def expanded(raw: str, strings: Mapping[str, str], depth: int = 0) -> str:
    """What bibtex reads for a raw value: its parts joined, ``@string`` names replaced (``strings``:
    lowercase name -> raw definition), outer braces or quotes removed. An unknown name stays as
    it is; a chain deeper than a few hundred stops there (it cannot hide more than it shows).
    """
    out = []
    for part in map(str.strip, concatenation_parts(raw)):
        if part[:1] in ("{", '"'):
            out.append(part[1:-1])
        elif depth < 500 and part.lower() in strings:
            out.append(expanded(strings[part.lower()], strings, depth + 1))
        else:
            out.append(part)
    return "".join(out)


def needed_strings(raw: str, strings: Mapping[str, str]) -> set[str]:
    """Every ``@string`` name (lowercase) that a raw value uses, through the whole chain of ``strings``."""
    seen: set[str] = set()
    todo = [m.lower() for m in macros(raw)]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in strings:
            todo += [m.lower() for m in macros(strings[name])]
    return seen


def macros(raw: str) -> list[str]:
    """The ``@string`` names a raw value refers to, in order: ``jun # "~21"`` -> ``["jun"]``."""
    return [part for part in map(str.strip, concatenation_parts(raw)) if _MACRO_RE.fullmatch(part)]
