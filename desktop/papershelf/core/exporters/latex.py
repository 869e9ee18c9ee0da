"""Unicode text to LaTeX for BibTeX and biblatex fields.

Text from listings is untrusted, so every character LaTeX treats specially is
escaped and nothing the text contains can act as a command. No character is
ever dropped: whatever goes in decodes back to the same text (the importer's
:func:`~papershelf.core.importers.bibtex.decode_latex`, pylatexenc), which
tests/core/test_export_unicode.py checks on arbitrary Unicode. Two profiles:

* ``biblatex`` (``utf8=True``): every character that is not an ASCII LaTeX
  special stays UTF-8. Biber reads it; XeLaTeX/LuaLaTeX (or pdflatex with a
  package for the script) prints it.
* ``bibtex``: a LaTeX macro wherever one exists that pdflatex knows without
  packages and that decodes back to the same character: accent macros
  (``M{\\"u}ller``, ``{\\c{s}}``, ``{\\k{e}}``, ``{\\d{a}}``), stacked
  accents (``{\\~{{\\^{e}}}}`` for U+1EC5), text symbols (``\\textendash{}``),
  Greek and mathematical symbols as math in braces (``{$\\Sigma$}``, the
  braces stop bibtex styles from lowercasing ``\\Sigma``). A character with no
  such form (CJK, Arabic, Cyrillic, emoji, ``ư``) stays UTF-8: the caller
  reports those papers, since the file is then not pure ASCII.

Rules that come from the real tools (tests/core/test_latex.py):

* ``{\\'i}``, never ``{\\'\\i}``: biber turns that into a combining accent
  pdflatex rejects.
* Stacked accents nest with an extra pair of braces, innermost the accent that
  makes a T1 letter (biber decodes only the inner one and pdflatex must print
  it); pylatexenc decodes a nest only if every inner step is one precomposed
  character, so other stacks stay UTF-8.
* TeX's ligatures (``--``, ``''``, ``!`` followed by a backquote...) are broken
  with ``{}`` so that two hyphens stay two hyphens.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata

__all__ = [
    "T1_LETTERS",
    "to_latex",
    "title_to_latex",
    "needs_protection",
    "verbatim",
    "verbatim_arxiv_id",
    "verbatim_arxiv_class",
    "verbatim_doi",
    "collapse_space",
    "protect_unicode",
]

# Letters the T1 font encoding covers (LaTeX's t1enc.dfu, without the digraph
# ligatures that NFKC splits anyway). In the biblatex profile these stay UTF-8.
T1_LETTERS = frozenset(
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿ"
    "ĀāĂăĄąĆćĈĉĊċČčĎďĐđĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİıĲĳĴĵĶķĹĺĻļĽľŁł"
    "ŃńŅņŇňŊŋŌōŎŏŐőŒœŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽž"
    "ǍǎǏǐǑǒǓǔǢǣǦǧǨǩǪǫǰǴǵȘșȚțȲȳȷḂḃḍḞḟḠḡḥḰḱḷṃṅṇṛṣṭẎẏẐẑẞỲỳ"
)

# ASCII characters LaTeX would act on. Braces use the text macros rather than
# \{ \}: the result is the same and it is not mistaken for case protection.
_ASCII_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "$": r"\$",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}

# Letters that are not a base letter plus an accent.
_LETTER_MACROS = {
    "ß": r"\ss",
    "ẞ": r"\SS",
    "æ": r"\ae",
    "Æ": r"\AE",
    "ø": r"\o",
    "Ø": r"\O",
    "œ": r"\oe",
    "Œ": r"\OE",
    "ł": r"\l",
    "Ł": r"\L",
    "đ": r"\dj",
    "Đ": r"\DJ",
    "ð": r"\dh",
    "Ð": r"\DH",
    "þ": r"\th",
    "Þ": r"\TH",
    "ŋ": r"\ng",
    "Ŋ": r"\NG",
    "ı": r"\i",
    "ȷ": r"\j",
    "ĳ": r"\ij",
    "Ĳ": r"\IJ",
    "å": r"\aa",
    "Å": r"\AA",
}

# Combining mark -> accent macro. "Symbol" accents (\' \" ...) may be stacked
# around a braced inner accent; "letter" accents (\v \c ...) are best innermost,
# because biber decodes "\v{" as an accent on the brace.
_SYMBOL_ACCENTS = {
    0x300: "`",
    0x301: "'",
    0x302: "^",
    0x303: "~",
    0x304: "=",
    0x307: ".",
    0x308: '"',
}
_LETTER_ACCENTS = {
    0x306: "u",
    0x30A: "r",
    0x30B: "H",
    0x30C: "v",
    0x323: "d",
    0x326: "textcommabelow",
    0x327: "c",
    0x328: "k",
    0x331: "b",
}
# Accents on a Greek letter, in math: {$\acute{\alpha}$}.
_MATH_ACCENTS = {
    0x300: "grave",
    0x301: "acute",
    0x302: "hat",
    0x303: "tilde",
    0x306: "breve",
    0x307: "dot",
    0x308: "ddot",
    0x30C: "check",
}
# Only the accents of the first block of combining marks have macros.
_MARK_RE = re.compile("[\u0300-\u036f]")

_GREEK = {
    "α": r"\alpha",
    "β": r"\beta",
    "γ": r"\gamma",
    "δ": r"\delta",
    "ε": r"\varepsilon",
    "ϵ": r"\epsilon",
    "ζ": r"\zeta",
    "η": r"\eta",
    "θ": r"\theta",
    "ϑ": r"\vartheta",
    "ι": r"\iota",
    "κ": r"\kappa",
    "λ": r"\lambda",
    "μ": r"\mu",
    "ν": r"\nu",
    "ξ": r"\xi",
    "π": r"\pi",
    "ϖ": r"\varpi",
    "ρ": r"\rho",
    "ϱ": r"\varrho",
    "σ": r"\sigma",
    "ς": r"\varsigma",
    "τ": r"\tau",
    "υ": r"\upsilon",
    "φ": r"\varphi",
    "ϕ": r"\phi",
    "χ": r"\chi",
    "ψ": r"\psi",
    "ω": r"\omega",
    "Γ": r"\Gamma",
    "Δ": r"\Delta",
    "Θ": r"\Theta",
    "Λ": r"\Lambda",
    "Ξ": r"\Xi",
    "Π": r"\Pi",
    "Σ": r"\Sigma",
    "Υ": r"\Upsilon",
    "Φ": r"\Phi",
    "Ψ": r"\Psi",
    "Ω": r"\Omega",
    # Omicron and the capitals that look Latin have no macro: \mathrm{A} would
    # come back as a Latin A, so they stay UTF-8.
}

# Only macros of base LaTeX math (no amssymb in the reader's preamble is
# assumed), each decoding back to its own character.
_MATH = {
    "≤": r"\leq",
    "≥": r"\geq",
    "≠": r"\neq",
    "≈": r"\approx",
    "≡": r"\equiv",
    "∼": r"\sim",
    "≃": r"\simeq",
    "≅": r"\cong",
    "∝": r"\propto",
    "≪": r"\ll",
    "≫": r"\gg",
    "±": r"\pm",
    "∓": r"\mp",
    "×": r"\times",
    "÷": r"\div",
    "·": r"\cdot",
    "∘": r"\circ",
    "∗": r"\ast",
    "⋆": r"\star",
    "⊕": r"\oplus",
    "⊗": r"\otimes",
    "⊙": r"\odot",
    "∞": r"\infty",
    "∂": r"\partial",
    "∇": r"\nabla",
    "∑": r"\sum",
    "∏": r"\prod",
    "∫": r"\int",
    "∮": r"\oint",
    "√": r"\surd",
    "∈": r"\in",
    "∉": r"\notin",
    "∋": r"\ni",
    "⊂": r"\subset",
    "⊃": r"\supset",
    "⊆": r"\subseteq",
    "⊇": r"\supseteq",
    "∪": r"\cup",
    "∩": r"\cap",
    "∅": r"\emptyset",
    "∀": r"\forall",
    "∃": r"\exists",
    "∧": r"\wedge",
    "∨": r"\vee",
    "→": r"\rightarrow",
    "←": r"\leftarrow",
    "↔": r"\leftrightarrow",
    "⇒": r"\Rightarrow",
    "⇐": r"\Leftarrow",
    "⇔": r"\Leftrightarrow",
    "↦": r"\mapsto",
    "↑": r"\uparrow",
    "↓": r"\downarrow",
    "⟶": r"\longrightarrow",
    "⟵": r"\longleftarrow",
    "⟨": r"\langle",
    "⟩": r"\rangle",
    "∥": r"\parallel",
    "⊥": r"\perp",
    "⊤": r"\top",
    "∠": r"\angle",
    "ℓ": r"\ell",
    "ℵ": r"\aleph",
    "∖": r"\setminus",
    "⌊": r"\lfloor",
    "⌋": r"\rfloor",
    "⌈": r"\lceil",
    "⌉": r"\rceil",
    "⋯": r"\cdots",
    "⋮": r"\vdots",
    "⋱": r"\ddots",
    "≺": r"\prec",
    "≻": r"\succ",
    "⊢": r"\vdash",
}

# Text symbols: each a macro of the LaTeX kernel (T1/TS1, no packages).
_TEXT = {
    "\u00ad": r"\-",
    "–": "--",
    "—": "---",
    "−": r"\textminus{}",
    "⁄": r"\textfractionsolidus{}",
    "‘": r"\textquoteleft{}",
    "’": r"\textquoteright{}",
    "“": r"\textquotedblleft{}",
    "”": r"\textquotedblright{}",
    "‚": r"\quotesinglbase{}",
    "„": r"\quotedblbase{}",
    "«": r"\guillemotleft{}",
    "»": r"\guillemotright{}",
    "‹": r"\guilsinglleft{}",
    "›": r"\guilsinglright{}",
    "…": r"\ldots{}",
    "•": r"\textbullet{}",
    "†": r"\textdagger{}",
    "‡": r"\textdaggerdbl{}",
    "§": r"\S{}",
    "¶": r"\P{}",
    "©": r"\textcopyright{}",
    "®": r"\textregistered{}",
    "™": r"\texttrademark{}",
    "°": r"\textdegree{}",
    "€": r"\texteuro{}",
    "£": r"\textsterling{}",
    "¥": r"\textyen{}",
    "¢": r"\textcent{}",
    "¤": r"\textcurrency{}",
    "¦": r"\textbrokenbar{}",
    "¡": r"\textexclamdown{}",
    "¿": r"\textquestiondown{}",
    "‰": r"\textperthousand{}",
    "ª": r"\textordfeminine{}",
    "º": r"\textordmasculine{}",
    "µ": r"\textmu{}",
    "¬": r"\textlnot{}",
    "´": r"\textasciiacute{}",
    "¨": r"\textasciidieresis{}",
    "¯": r"\textasciimacron{}",
    "¹": r"\textonesuperior{}",
    "²": r"\texttwosuperior{}",
    "³": r"\textthreesuperior{}",
    "¼": r"\textonequarter{}",
    "½": r"\textonehalf{}",
    "¾": r"\textthreequarters{}",
}
# Superscript and subscript digits and signs: \textsuperscript{4}, \textsubscript{2}.
_SUPERSCRIPTS = dict(zip("⁰⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾", ["0", "4", "5", "6", "7", "8", "9", "+", r"\textminus{}", "=", "(", ")"]))
_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎", [*"0123456789+", r"\textminus{}", "=", "(", ")"]))
for _ch, _arg in _SUPERSCRIPTS.items():
    _TEXT[_ch] = r"\textsuperscript{" + _arg + "}"
for _ch, _arg in _SUBSCRIPTS.items():
    _TEXT[_ch] = r"\textsubscript{" + _arg + "}"

# Bidi embeddings, overrides and isolates: display directives that would make
# the file show in another order than it is stored (other exporters strip them too).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# A LaTeX special or anything but printable ASCII. One character class, not an
# alternation ("[...]|[^\x20-\x7e]"): the regex engine scans a class several
# times faster, and this runs over every abstract.
_SPECIALS_RE = re.compile(r"[\\{}&%#_$^~\x00-\x1f\x7f-\U0010ffff]")
# The biblatex profile converts only ASCII specials, controls and bidi controls.
_UTF8_SPECIALS_RE = re.compile("[\\\\{}&%#_$^~\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# In the bibtex profile, an ASCII letter with accents NFC could not compose (q́).
_CLUSTER_RE = re.compile("[A-Za-z][\u0300-\u036f]+|" + _SPECIALS_RE.pattern)
_SPACE_RE = re.compile(r"\s+")
# TeX ligatures of ASCII characters: "--" is an en dash, "''" a closing quote,
# "!`" an inverted "!", ",," a low quote and "<<" a guillemet in T1. "{}"
# between the two keeps the characters as they were typed. Runs of hyphens and
# dashes are written piece by piece ("–-" is "--{}-"), the others afterwards.
_LIGATURES = ("--", "``", "''", "!`", "?`", ",,", "<<", ">>")
_LIGATURE_RE = re.compile(r"`(?=`)|'(?=')|[!?](?=`)|,(?=,)|<(?=<)|>(?=>)")
_DASH_RUN_RE = re.compile("([-\u2013\u2014]{2,})")


def collapse_space(text: str) -> str:
    """One space for every run of white space (a blank line would end a LaTeX argument)."""
    if text.isprintable():
        return _collapse_printable(text)
    return " ".join(text.split())


def _collapse_printable(text: str) -> str:
    """:func:`collapse_space` for printable text, whose only white space is the space itself.

    (Every other character ``str.split`` splits on is a control or a
    separator, which are not printable.) Most text has single spaces only and
    comes back as it is, after two scans in C instead of a split and a join.
    """
    if "  " in text or text.startswith(" ") or text.endswith(" "):
        return " ".join(text.split())
    return text


def to_latex(text: str, *, utf8: bool = False) -> str:
    """Escape ``text`` for a BibTeX field, dropping no character.

    ``utf8`` (the biblatex profile) keeps every character but the ASCII
    specials as UTF-8. Otherwise characters with a LaTeX macro become that
    macro, and the rest stay UTF-8 (the output is ASCII when all have one).
    White space collapses to single spaces (a blank line would end a LaTeX
    argument); controls and bidi overrides, which are not text, are left out.
    """
    if _is_plain(text):
        return _collapse_printable(text)  # nothing to escape: most text
    text = collapse_space(unicodedata.normalize("NFC", text))
    # Again afterwards: a control left out can leave a double space behind.
    return _break_ligatures(collapse_space(_convert(text, utf8)))


def _convert(text: str, utf8: bool) -> str:
    """``text`` with each special or non-ASCII character converted (no white space handling)."""
    if ("--" in text or "\u2013" in text or "\u2014" in text) and _DASH_RUN_RE.search(text):
        parts = _DASH_RUN_RE.split(text)  # odd parts: runs of hyphens and dashes
        return "".join(_dashes(part, utf8) if i % 2 else _convert(part, utf8) for i, part in enumerate(parts))
    if utf8:
        return _UTF8_SPECIALS_RE.sub(_utf8_char, text)
    if _MARK_RE.search(text):  # accents NFC could not compose onto their letter
        return _CLUSTER_RE.sub(_ascii_cluster, text)
    return _SPECIALS_RE.sub(_ascii_char, text)


def _utf8_char(match: re.Match[str]) -> str:
    return _char(match[0], True)


def _ascii_char(match: re.Match[str]) -> str:
    return _char(match[0], False)


def _ascii_cluster(match: re.Match[str]) -> str:
    return _char(match[0], False) if len(match[0]) == 1 else _cluster(match[0])


def _dashes(run: str, utf8: bool) -> str:
    """A run of hyphens and dashes, ``{}`` wherever TeX would join two into one."""
    pieces = [_char(c, utf8) if c != "-" else "-" for c in run]
    out = pieces[0]
    for piece in pieces[1:]:
        out += ("{}" if out.endswith("-") and piece.startswith("-") else "") + piece
    return out


def _break_ligatures(latex: str) -> str:
    """Two backquotes as ``\\`{}\\``` and so on: TeX would print one character for the two."""
    if "`" in latex or "''" in latex or ",," in latex or "<<" in latex or ">>" in latex:
        return _LIGATURE_RE.sub(_emptied, latex)
    return latex


def _emptied(match: re.Match[str]) -> str:
    return match[0] + "{}"


# The LaTeX specials that are printable ASCII (_SPECIALS_RE matches them too),
# and the pairs TeX makes a ligature of, each behind a character it holds: a
# pair is searched for only when that character is there (a memchr-like scan,
# ten times faster than the search for a pair over an abstract).
_PLAIN_SPECIALS = tuple(_ASCII_SPECIALS)
_LIGATURES_BY_CHAR = (
    ("`", ("``", "!`", "?`")),
    ("<", ("<<",)),
    (">", (">>",)),
    ("-", ("--",)),
    ("'", ("''",)),
    (",", (",,",)),
)
if {pair for _, pairs in _LIGATURES_BY_CHAR for pair in pairs} != set(_LIGATURES) or any(
    char not in pair for char, pairs in _LIGATURES_BY_CHAR for pair in pairs
):
    raise AssertionError("_LIGATURES_BY_CHAR does not hold each of _LIGATURES behind one of its characters")


def _is_plain(text: str) -> bool:
    """Whether ``text`` is printable ASCII without LaTeX specials or ligatures: escaping leaves it as it is.

    The same test as ``_SPECIALS_RE.search(text) is None`` and no
    :data:`_LIGATURES`, several times faster on long text (an abstract):
    two scans in C, then a memchr-like search per special, and a search for
    a ligature's pair only where one of its characters is.
    """
    if not (text.isascii() and text.isprintable()):
        return False
    for special in _PLAIN_SPECIALS:  # plain loops: all() with a generator is slower here (hot path)
        if special in text:
            return False
    for char, pairs in _LIGATURES_BY_CHAR:
        if char in text:
            for pair in pairs:
                if pair in text:
                    return False
    return True


# Word boundaries for case protection.
_WORD_SPLIT_RE = re.compile(r"([\s\-/:;,.()\u2010-\u2015]+)")


def needs_protection(word: str, *, first: bool = False, after_space: bool = True) -> bool:
    """Whether bibtex styles would lowercase letters of ``word`` that must stay capital.

    True for a capital Latin letter after the word's first character
    (``DocThinker``, ``GPT``, ``3D``) and for a lone capital that is not the
    title's first word (``Part I``, ``ImageNet-A``) — except the article "A"
    after a space, which sentence case rightly lowercases.
    """
    rest = word[1:]
    if rest and word[0].isalnum() and rest == rest.lower():
        return False  # "Learning", "models", "3d": no capital after the first letter
    # Leading punctuation ("Comment, [J.) does not count as the first letter.
    start = next((i for i, c in enumerate(word) if c.isalnum()), len(word))
    capitals = [c.isupper() and _is_latin(c) for c in word[start:]]
    if any(capitals[1:]):
        return True
    if len(capitals) == 1 and capitals[0] and not first:
        return not (word[start:] == "A" and after_space)
    return False


def title_to_latex(title: str, *, utf8: bool = False) -> str:
    """A title escaped like :func:`to_latex`, each word needing it brace-protected.

    The title keeps its case as written; only words such as ``{GPT}-4o`` or
    ``{MLLMs}`` are braced, never the whole title.
    """
    if _is_plain(title):
        # Escaping leaves every word as it is, so only the braces are left to
        # add: one regex pass (tests/core/test_latex.py checks it against
        # _title_words_to_latex on random titles).
        return _PROTECT_PLAIN_RE.sub(_braced, _collapse_printable(title))
    return _title_words_to_latex(title, utf8=utf8)


def _title_words_to_latex(title: str, *, utf8: bool) -> str:
    """:func:`title_to_latex` for any text: word by word, with :func:`needs_protection`."""
    title = collapse_space(unicodedata.normalize("NFC", title))
    parts = _WORD_SPLIT_RE.split(title)
    out = []
    for i, part in enumerate(parts):
        if i % 2:  # a separator: white space, dashes and -/:;,.()
            out.append(_convert(_SPACE_RE.sub(" ", part), utf8))
            continue
        if not part:
            continue
        latex = to_latex(part, utf8=utf8)
        before = parts[i - 1] if i else ""
        if needs_protection(part, first=i == 0, after_space=not before or before[-1].isspace()):
            latex = "{" + latex + "}"
        out.append(latex)
    return _break_ligatures(collapse_space("".join(out)))


# The words of a plain (printable ASCII, no specials) title that
# needs_protection braces, as one pattern. In such a title a letter or digit
# is [A-Za-z0-9], every capital is Latin, the only white space is the space,
# and the separators are those printable ASCII characters _WORD_SPLIT_RE splits
# on (a short class of plain characters scans faster than one with \s). The
# rules then read as below. Possessive quantifiers (*+): each part
# takes only characters the next cannot, so there is nothing to backtrack into.
_PLAIN_SEPARATORS = re.escape("".join(c for c in map(chr, range(0x20, 0x7F)) if _WORD_SPLIT_RE.fullmatch(c)))
_WORD = f"[^{_PLAIN_SEPARATORS}]"
_LEADING_PUNCTUATION = f"[^{_PLAIN_SEPARATORS}A-Za-z0-9]*+"  # does not count as the first letter
_PROTECT_PLAIN_RE = re.compile(
    f"(?<!{_WORD})"  # a whole word: from its start...
    "(?:"
    # a capital after the word's first letter or digit: DocThinker, GPT, 3D;
    f"{_LEADING_PUNCTUATION}[A-Za-z0-9][^{_PLAIN_SEPARATORS}A-Z]*+[A-Z]{_WORD}*+"
    # a lone capital, not the title's first word (a separator before it): Part I;
    f"|(?<=[{_PLAIN_SEPARATORS}]){_LEADING_PUNCTUATION}[B-Z]"
    # the same for "A", except after a space, where it is the article: ImageNet-A.
    f"|(?<=[{_PLAIN_SEPARATORS}])(?<! ){_LEADING_PUNCTUATION}A"
    ")"
    f"(?!{_WORD})"  # ...to its end
)


def _braced(match: re.Match[str]) -> str:
    # A function, not the template r"{\g<0>}": Python 3.11 expands templates in
    # Python code, which is slower than this call.
    return "{" + match[0] + "}"


# Characters a verbatim field (url, doi, eprint) may hold as they are; "%" only
# when it starts an escape. Never "^": TeX reads "^^5c" as a backslash before
# any package sees it, so "^^5cinput" in a field that is not escaped is a
# command (RFC 3986 does not allow a bare "^" in a URL either).
_URL_CHARS = r"A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=<>|`"
_URL_PLAIN_RE = re.compile(f"[{_URL_CHARS}]*")
_URL_CHAR_RE = re.compile(f"[{_URL_CHARS}]|%[0-9A-Fa-f]{{2}}")


def verbatim(value: str) -> str:
    """A URL safe as a BibTeX verbatim field: no white space, braces, backslashes or carets.

    Anything else is percent-encoded (UTF-8), as is a ``%`` that does not start
    a valid escape, so the entry always parses, the link keeps working and TeX
    finds nothing to run in it.
    """
    value = value.strip()
    if _URL_PLAIN_RE.fullmatch(value):
        return value  # the usual case: nothing to encode
    out = []
    for i, ch in enumerate(value):
        if _URL_CHAR_RE.match(value, i):
            out.append(ch)
        else:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
    return "".join(out)


# Identifiers written to verbatim fields (eprint, primaryClass, doi) must match
# their grammar; what does not is not an identifier, and goes to a note instead.
# arXiv: 2509.01234 (2007 on, optional version) or hep-th/9901001, math.AG/0601001.
_ARXIV_ID_RE = re.compile(r"(?:\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)?(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?")
# cs.LG, math.AG, hep-th, astro-ph.CO, cond-mat.mes-hall, physics.optics; or the archive alone ("cs").
_ARXIV_CLASS_RE = re.compile(r"[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]+(?:-[A-Za-z]+)?)?")
# 10.<registrant>/<suffix>: the suffix is any printable ASCII but the space.
_DOI_RE = re.compile(r"10\.\d{4,9}(?:\.\d+)*/[\x21-\x7e]+")
# Printable ASCII TeX acts on even in a verbatim field: escape, groups, comment,
# parameter, and the "^^" notation. Percent-encoded: doi.org decodes them.
_DOI_UNSAFE_RE = re.compile(r"[\^\\{}%#]")


def verbatim_arxiv_id(value: str) -> str | None:
    """``value`` if it is an arXiv id (new or old style, optional version), else None."""
    return value if _ARXIV_ID_RE.fullmatch(value) else None


def verbatim_arxiv_class(value: str) -> str | None:
    """``value`` if it is an arXiv class (``cs.LG``, ``hep-th``, ``astro-ph.CO``) or archive, else None."""
    return value if _ARXIV_CLASS_RE.fullmatch(value) else None


def verbatim_doi(value: str) -> str | None:
    """A DOI safe as a verbatim field (``^ \\ { } % #`` percent-encoded), or None if ``value`` is not a DOI."""
    if not _DOI_RE.fullmatch(value):
        return None
    return _DOI_UNSAFE_RE.sub(lambda m: f"%{ord(m.group()):02X}", value)


def _is_latin(ch: str) -> bool:
    return ch.isascii() or unicodedata.name(ch, "").startswith("LATIN")


@functools.lru_cache(maxsize=4096)
def _char(ch: str, utf8: bool) -> str:
    """LaTeX for one character that is special or not printable ASCII."""
    if ch in _ASCII_SPECIALS:
        return _ASCII_SPECIALS[ch]
    if ch in _BIDI_CONTROLS or unicodedata.category(ch) == "Cc":
        return " " if ch.isspace() else ""  # not text (white space is collapsed before)
    if utf8:
        return ch
    if ch in _TEXT:
        return _TEXT[ch]
    if ch in _LETTER_MACROS:
        return "{" + _LETTER_MACROS[ch] + "}"
    if ch in _GREEK:
        return "{$" + _GREEK[ch] + "$}"
    if ch in _MATH:
        return "{$" + _MATH[ch] + "$}"
    decomposed = unicodedata.normalize("NFD", ch)
    if len(decomposed) > 1:
        accented = _compose(decomposed[0], decomposed[1:])
        if accented is not None:
            return accented
    return ch  # no LaTeX form: kept as UTF-8


@functools.lru_cache(maxsize=4096)
def _cluster(text: str) -> str:
    """An ASCII letter with accents that have no precomposed character (``q́``), or the text as it is."""
    accented = _compose(text[0], unicodedata.normalize("NFD", text)[1:])
    return text if accented is None else accented


def _compose(base: str, marks: str) -> str | None:
    """Nested accent macros for ``base`` + combining ``marks`` (NFD order), or None when there are none.

    pylatexenc decodes ``\\~{{\\^{e}}}`` by adding U+0303 to what the inner
    accent gave, which is right only when that is one precomposed character:
    the order of the marks is chosen so that it is at every step. Marks of
    different combining classes commute; of the same class, they keep their order.
    """
    greek = base in _GREEK
    if greek:
        accents = _MATH_ACCENTS
    elif base.isascii() and base.isalpha() or base in _LETTER_MACROS:
        accents = {**_SYMBOL_ACCENTS, **_LETTER_ACCENTS}
    else:
        return None
    codes = [ord(m) for m in marks]
    if not all(code in accents for code in codes):
        return None
    best: tuple[int, tuple[int, ...]] | None = None
    for order in itertools.permutations(codes):
        if not _keeps_class_order(order, codes) or not _decodes_step_by_step(base, order):
            continue
        # Prefer only symbol accents around the inner one (biber misreads
        # "\v{{"), then a T1 letter innermost (biber decodes it, pdflatex prints it).
        inner = unicodedata.normalize("NFC", base + chr(order[0]))
        rank = all(code in _SYMBOL_ACCENTS for code in order[1:]) * 2 + (inner in T1_LETTERS)
        if best is None or rank > best[0]:
            best = (rank, order)
    if best is None:
        return None
    order = best[1]
    if greek:
        latex = _GREEK[base]
        for code in order:
            latex = "\\" + accents[code] + "{" + latex + "}"
        return "{$" + latex + "$}"
    latex = _LETTER_MACROS.get(base, base)
    if len(order) == 1:
        return "{" + _accent(accents[order[0]], latex) + "}"
    latex = _accent(accents[order[0]], latex, nested=True)
    for code in order[1:]:
        latex = "\\" + accents[code] + "{{" + latex + "}}"
    return "{" + latex + "}"


def _keeps_class_order(order: tuple[int, ...], codes: list[int]) -> bool:
    """Whether marks of one combining class come in ``order`` as they did in ``codes``."""
    for ccc in {unicodedata.combining(chr(c)) for c in codes}:
        if [c for c in order if unicodedata.combining(chr(c)) == ccc] != [
            c for c in codes if unicodedata.combining(chr(c)) == ccc
        ]:
            return False
    return True


def _decodes_step_by_step(base: str, order: tuple[int, ...]) -> bool:
    """Whether every inner step of the nest is one precomposed character."""
    text = base
    for code in order[:-1]:
        text = unicodedata.normalize("NFC", text + chr(code))
        if len(text) != 1:
            return False
    return True


def _accent(macro: str, base: str, *, nested: bool = False) -> str:
    """``\\"u`` for symbol accents on a letter, ``\\v{s}`` for letter accents; braced when nested."""
    if macro in _SYMBOL_ACCENTS.values() and not nested and len(base) == 1:
        return "\\" + macro + base
    return "\\" + macro + "{" + base + "}"


# Runs of characters kept as UTF-8 in a bibtex-profile name.
_UNICODE_RUN_RE = re.compile(r"[^\x00-\x7f]+")


def protect_unicode(latex: str) -> str:
    """Each run of UTF-8 in ASCII LaTeX as ``{\\relax{}…}``: one "special character" for bibtex.

    bibtex counts bytes: ``abbrv`` abbreviates 小明 to its first byte and
    ``alpha`` builds labels from the first bytes of surnames, which leaves
    invalid UTF-8 in the .bbl. A brace group starting with a command is one
    character to bibtex, taken whole; ``\\relax{}`` prints nothing, and biber
    keeps it as it is.
    """
    if latex.isascii():
        return latex
    return _UNICODE_RUN_RE.sub(_relaxed, latex)


def _relaxed(match: re.Match[str]) -> str:
    return "{\\relax{}" + match[0] + "}"
