"""A person's name as BibTeX's four parts (first, von, last, jr), or an organisation as one literal name.

The library keeps each author as one string (``Paper.authors``), the way the
BibTeX import decodes it (``importers.bibtex.decode_name``): ``Ludwig van
Beethoven``, ``Garcia Marquez, Gabriel`` when "First Last" would split
otherwise, ``OpenAI Team``. The exporter turns that string back into BibTeX
(``exporters.bibtex.format_name``). This module goes between such a string and
its parts, for the entry editor and ``papershelf edit``:

- :func:`from_stored` gives the parts the exporter will write for a string
  (with the name as the entry had it, when known, for its exact parts);
- :func:`stored` gives the string to keep for parts: the plain "First von
  Last Jr" form when the exporter splits it back into the same parts, else
  "von Last, Jr, First"; an organisation the exporter would take for a person
  (``Alphabet Mobility``) is kept in braces, ``{Alphabet Mobility}``, as in BibTeX.

The splitting of a BibTeX name into parts is bibtexparser's
(``parse_single_name_into_parts``), which follows bibtex's own rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from bibtexparser.middlewares.names import InvalidNameError, parse_single_name_into_parts

from .errors import PapershelfError
from .exporters.common import ORG_WORDS, ORG_WORDS_EXACT, is_organisation, literal_name, split_name
from .importers.bibtex import decode_latex, decode_name, split_names


@dataclass(frozen=True, slots=True)
class Name:
    """One name: a person's four parts, or an organisation's name (``organisation``, in ``last``)."""

    first: str = ""
    von: str = ""
    last: str = ""
    jr: str = ""
    organisation: bool = False

    @classmethod
    def org(cls, text: str) -> Name:
        return cls(last=_collapse(text), organisation=True)

    def cleaned(self) -> Name:
        """The same name with white space collapsed in every part."""
        if self.organisation:
            return Name.org(" ".join(p for p in (self.first, self.von, self.last, self.jr) if p.strip()))
        return Name(_collapse(self.first), _collapse(self.von), _collapse(self.last), _collapse(self.jr))

    def __str__(self) -> str:
        if self.organisation:
            return self.last
        return " ".join(p for p in (self.first, self.von, self.last) if p) + (", " + self.jr if self.jr else "")


def _collapse(text: str) -> str:
    return " ".join(text.split())


# --- From what the library keeps ----------------------------------------------------------


def from_stored(text: str, written: str | None = None) -> Name:
    """The parts of a name as the library keeps it; ``written``: the name as its .bib entry had it.

    Without ``written`` the parts are those the exporter writes for ``text``,
    which bibtex then reads back. With it (an imported name the user has not
    changed) they are bibtex's parts of what the entry says.
    """
    if written is not None:
        try:
            return parse_bibtex_name(written)
        except PapershelfError:
            pass
    text = _collapse(text)
    literal = literal_name(text)
    if literal is not None:
        return Name.org(literal)
    if _organisation(text):
        return Name.org(text)
    von_last, jr, first = split_name(text)
    von, last = _split_von(von_last)
    return Name(first, von, last, jr)


def _written_whole(text: str) -> bool:
    """Whether the exporter writes ``text`` as one brace group (an organisation), as ``format_name`` decides."""
    return is_organisation(text) and "," not in text or " and " in f" {text.lower()} " or text.count(",") > 2


def _organisation(text: str) -> bool:
    """Whether a name the library keeps (not in braces) is an organisation's: as the exporter writes it whole,
    except one plain word (``Plato``, ``Ζεύς``), which is a person known by a last name alone."""
    words = text.split()
    if len(words) == 1 and "," not in text and not is_organisation_word(words[0]):
        return False
    return _written_whole(text)


def _split_von(von_last: str) -> tuple[str, str]:
    """("von", "Last") of "von Last" by bibtex's rule: leading words that start in lowercase."""
    if not von_last or any(c in von_last for c in "{}\\"):
        return "", von_last
    try:
        parts = parse_single_name_into_parts(von_last + ", X")
    except InvalidNameError:
        return "", von_last
    return " ".join(parts.von), " ".join(parts.last)


def is_organisation_word(word: str) -> bool:
    """Whether one word names an organisation by itself (``Google``, ``DeepMind``), as the export's heuristic says."""
    return word.lower() in ORG_WORDS or word in ORG_WORDS_EXACT


# --- From BibTeX syntax --------------------------------------------------------------------


def parse_bibtex_name(raw: str) -> Name:
    """One name in BibTeX syntax (LaTeX allowed): ``van Beethoven, Ludwig``, ``{Google DeepMind}``."""
    raw = _collapse(raw)
    if not raw:
        raise PapershelfError("a name is empty")
    if literal_name(raw) is not None:
        return Name.org(decode_latex(raw))
    try:
        parts = parse_single_name_into_parts(raw, strict=True)
    except InvalidNameError as exc:
        raise PapershelfError(f"name {raw!r}: {str(exc).splitlines()[0]}") from exc

    def text(words: list[str]) -> str:
        return decode_latex(" ".join(words))

    return Name(text(parts.first), text(parts.von), text(parts.last), text(parts.jr))


def parse_name_list(raw: str) -> list[Name]:
    """A BibTeX name list (``Last, First and {Org Name}``) as names."""
    return [parse_bibtex_name(part) for part in split_names(raw)]


def stored_from_bibtex(raw: str) -> str:
    """The string the library keeps for one BibTeX name: the import's own when it means the same parts."""
    name = parse_bibtex_name(raw)
    decoded = decode_name(raw)
    return decoded if from_stored(decoded) == name else stored(name)


# --- To what the library keeps -----------------------------------------------------------


def check(name: Name) -> str | None:
    """Why a name cannot be kept, or None."""
    name = name.cleaned()
    if name.organisation:
        if not name.last:
            return "an organisation needs a name"
        if "{" in name.last or "}" in name.last:
            return "an organisation's name cannot hold braces"
        return None
    if not name.last:
        return "a person needs a last name"
    if any(c in p for p in (name.first, name.von, name.last, name.jr) for c in ",{}"):
        return "a part of a name cannot hold a comma or braces"
    if name.von and not name.von[:1].islower():
        return f"'{name.von}' is not a von part: it starts in lowercase (van, de la); put it in Last"
    words = name.last.split()
    if len(words) > 1 and words[0][:1].islower():
        return f"'{name.last}': bibtex reads a lowercase first word as a von part; put '{words[0]}' in von"
    return None


def stored(name: Name) -> str:
    """The string the library keeps for a name, which the exporter writes as these very parts.

    Raises :class:`PapershelfError` for a name that cannot be kept (see :func:`check`).
    """
    problem = check(name)
    if problem:
        raise PapershelfError(problem)
    name = name.cleaned()
    if name.organisation:
        text = name.last
        as_is = _organisation(text) and literal_name(text) is None
        return text if as_is else "{" + text + "}"
    plain = " ".join(p for p in (name.first, name.von, name.last, name.jr) if p)
    if not _written_whole(plain) and from_stored(plain) == name:
        return plain
    von_last = " ".join(p for p in (name.von, name.last) if p)
    return (
        ", ".join(p for p in (von_last, name.jr, name.first) if p)
        if name.jr
        else (f"{von_last}, {name.first}" if name.first else von_last)
    )


def split_list(raw: str) -> list[str]:
    """The names of a BibTeX name list, as written (split at " and " outside braces)."""
    return split_names(raw)


def written_names(raw: str | None) -> dict[str, str]:
    """Each decoded name of a name list as its .bib entry wrote it (first spelling wins)."""
    from .bibsource import unbraced

    found: dict[str, str] = {}
    if raw:
        for part in split_names(unbraced(raw)):
            found.setdefault(decode_name(part), part)
    return found
