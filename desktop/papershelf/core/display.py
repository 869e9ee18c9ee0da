"""Showing untrusted text: control and bidirectional-formatting characters become visible marks.

Imported titles, authors, abstracts, tag and list names may carry characters
that a screen or terminal acts on instead of showing: a right-to-left override
makes ``doc<U+202E>txt.exe`` read as ``docexe.txt``, an ESC starts a terminal
escape sequence, NUL or a C1 control shows as nothing or an empty box.
:func:`visible` replaces each of them with a visible mark, for display only:
the stored text never changes. Qt-free, so the CLI and the GUI show the same.
"""

from __future__ import annotations

import re

#: Explicit bidirectional formatting: ALM, LRM, RLM, embeddings/overrides/PDF, isolates.
BIDI_CONTROLS = frozenset({0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)})

# Besides C0, DEL, C1 and the bidi controls: the line and paragraph separators
# (they break a one-line cell), the deprecated format controls U+206A..U+206F
# (they switch digit shapes and mirroring), the interlinear annotation marks
# (text between them may be hidden) and lone surrogates (not text at all).
_OTHER = "\u2028\u2029\u206a-\u206f\ufff9-\ufffb\ud800-\udfff"
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_ONE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}{_OTHER}]")
# Multi-line views keep tab, newline and the CR of a CRLF; a lone CR would
# send a terminal's cursor back over what was printed, so it is marked too.
_MULTI_LINE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}{_OTHER}]|\r(?!\n)")


def mark(char: str) -> str:
    """The visible stand-in for one hidden character: its code point, as ``<U+001B>``.

    Plain ASCII, so every font and terminal can show it (the Unicode Control
    Pictures, like U+241B for ESC, are missing from common fonts and showed as empty boxes).
    """
    return f"<U+{ord(char):04X}>"


def _replace(match: re.Match[str]) -> str:
    return mark(match.group()[0])


def visible(text: str | None, *, multiline: bool = False) -> str:
    """``text`` with every control and bidi-formatting character shown as a visible mark.

    With ``multiline``, tab, newline and CRLF are kept (for abstracts and
    notes); otherwise they are marked too, so one field stays on one line.
    Text without such characters is returned as it is (the common case, fast).
    """
    if not text:
        return ""
    pattern = _MULTI_LINE if multiline else _ONE_LINE
    if pattern.search(text) is None:
        return text
    return pattern.sub(_replace, text)


# In JSON text, C0 controls only occur as the encoder's own whitespace (it escapes them inside strings).
_JSON_HIDDEN = re.compile(f"[\x7f-\x9f{_BIDI}{_OTHER}]")


def json_safe(text: str) -> str:
    """JSON text with the characters json leaves raw (DEL, C1, bidi...) written as ``\\uXXXX`` escapes.

    For JSON printed to a terminal: a parser reads back exactly the same strings.
    """
    if _JSON_HIDDEN.search(text) is None:
        return text
    return _JSON_HIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def visible_choice(shown: str, originals: list[str]) -> str | None:
    """The original behind ``shown``, one of ``[visible(o) for o in originals]`` (as a picker returned it)."""
    for original in originals:
        if visible(original) == shown:
            return original
    return None
