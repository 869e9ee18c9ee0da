"""Citation keys: ``vaswani2017attention``.

A key is made once, when a paper enters the library, and stored on it; later
imports and edits never change it. Keys use ``[a-z0-9]`` only, plus a suffix
letter (``a``, ``b``, … ``z``, ``aa`` …) on a collision.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container, Iterator, Sequence

# Words that say nothing about a paper, skipped when picking the title word.
STOPWORDS = frozenset(
    """a an the of on in at to for from by with and or but as is are be via
    into onto over under towards toward about against between through
    using based we our its it this that these those do does can how what
    why when where which who not no new""".split()
)

PARTICLES = frozenset("van von der den de del della di da dos das du la le ten ter vom zu y".split())

_SPECIAL_FOLD = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "ø": "o",
        "Ø": "O",
        "œ": "oe",
        "Œ": "OE",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "Th",
        "ı": "i",
        "ŋ": "ng",
    }
)


def ascii_fold(text: str) -> str:
    """Lowercase ASCII letters and digits only: ``Gauß`` -> ``gauss``."""
    text = unicodedata.normalize("NFKD", text.translate(_SPECIAL_FOLD))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", text.lower())


def surname(name: str) -> str:
    """The family name of a "First Last" or "Last, First" author string."""
    name = " ".join(name.replace("{", "").replace("}", "").split())
    if "," in name:
        # "van der Berg, Jan": the particles go, as they do for "Jan van der Berg".
        words = name.split(",", 1)[0].split()
        while len(words) > 1 and words[0] in PARTICLES:
            words.pop(0)
        return " ".join(words)
    parts = name.split(" ")
    if len(parts) == 1:
        return parts[0]
    # "Ludwig van Beethoven": the surname is the last word; particles are not
    # part of the key (BibTeX's own alpha style drops them too).
    return parts[-1]


def title_words(title: str) -> list[str]:
    """Significant title words, folded to ASCII, in order."""
    words = [ascii_fold(w) for w in re.split(r"[\s\-/:]+", title)]
    return [w for w in words if w and w not in STOPWORDS]


def base_key(authors: Sequence[str], year: int | None, title: str) -> str:
    """The key before any collision suffix."""
    words = title_words(title)
    year_part = str(year) if year else ""
    last = ascii_fold(surname(authors[0])) if authors else ""
    if last:
        key = last + year_part + (words[0] if words else "")
    else:
        key = "".join(words[:2]) + year_part
    # Nothing but the year ("2025") says nothing about the paper.
    return key if key != year_part else "paper" + year_part


def _suffixes() -> Iterator[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    n = 1
    while True:
        # a..z, then aa..zz, and so on.
        def gen(length: int) -> Iterator[str]:
            if length == 0:
                yield ""
                return
            for head in letters:
                for tail in gen(length - 1):
                    yield head + tail

        yield from gen(n)
        n += 1


def unique_key(base: str, taken: Container[str]) -> str:
    """``base`` itself if free, else ``base`` + a, b, c… (``taken`` is lowercase)."""
    if base not in taken:
        return base
    for suffix in _suffixes():
        candidate = base + suffix
        if candidate not in taken:
            return candidate
    raise AssertionError("unreachable")


def is_valid_user_key(key: str) -> bool:
    """A key a user typed: BibTeX-safe characters, no spaces, braces or commas."""
    return _USER_KEY_RE.fullmatch(key) is not None


_USER_KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_:.+\-/]*")


# Characters a key cannot hold: bibtex ends the key at ",", "{}()=\"#" break the entry or
# \cite, "%" starts a TeX comment, "~" is an active character, "\\" starts a command, and TeX
# reads "^^5c" as a backslash.
_KEY_SPECIALS = frozenset(",{}()=\\\"#%'~^")


def key_problem(key: str) -> str | None:
    """What makes ``key`` unusable as a citation key (``a control character U+001B``), or None.

    Control, format (bidi overrides among them) and other invisible characters
    would act on a terminal or hide part of the key; white space and BibTeX's
    special characters break ``\\cite``. Letters of any script are fine.
    """
    if _USER_KEY_RE.fullmatch(key):
        return None  # the usual key, checked in a fraction of the time of the loop below
    for char in key:
        category = unicodedata.category(char)
        if category.startswith("C"):
            return f"an invisible or control character U+{ord(char):04X}"
        if category.startswith("Z"):
            return "white space" if char == " " else f"a white-space character U+{ord(char):04X}"
        if char in _KEY_SPECIALS:
            return f"the character '{char}'"
    return None
