"""Unicode text to LaTeX for BibTeX and biblatex fields.

Text from listings is untrusted, so every character LaTeX treats specially is
escaped and nothing the text contains can act as a command. The output is
checked (see tests/core/test_latex.py) against bibtex with four styles and
against biber + biblatex + pdflatex with the T1 font encoding, which decides
several rules here:

* Accented letters are written as braced accent macros, ``M{\\"u}ller``,
  ``{\\'i}`` (never ``{\\'\\i}``: biber turns that into a combining accent
  pdflatex rejects). Biber decodes such macros back to Unicode, so a macro is
  only written when the character it decodes to is one pdflatex can typeset
  in T1 (:data:`T1_LETTERS`).
* A second accent goes around an extra pair of braces, ``{\\~{{\\^{e}}}}``
  for U+1EC5: biber decodes only the inner accent, and with one pair of braces
  it writes ``\\~ê``, where ``\\~`` takes the first byte of a UTF-8 character.
  Accents that cannot be written that way (below-accents, hooks) are dropped
  rather than producing a file pdflatex cannot read.
* Greek and mathematical symbols become math macros in braces, ``{$\\Sigma$}``;
  the braces stop bibtex styles from lowercasing ``\\Sigma``.
* Characters with no LaTeX form are transliterated (NFKC) or dropped; the
  ``bibtex`` profile output is pure ASCII.
"""

from __future__ import annotations

import functools
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
    "ß": r"\ss", "ẞ": r"\SS", "æ": r"\ae", "Æ": r"\AE", "ø": r"\o", "Ø": r"\O",
    "œ": r"\oe", "Œ": r"\OE", "ł": r"\l", "Ł": r"\L", "đ": r"\dj", "Đ": r"\DJ",
    "ð": r"\dh", "Ð": r"\DH", "þ": r"\th", "Þ": r"\TH", "ŋ": r"\ng", "Ŋ": r"\NG",
    "ı": r"\i", "ȷ": r"\j", "ĳ": r"\ij", "Ĳ": r"\IJ", "å": r"\aa", "Å": r"\AA",
}

# Combining mark -> accent macro. "Symbol" accents (\' \" ...) may be stacked
# around a braced inner accent; "letter" accents (\v \c ...) may not, because
# biber decodes "\v{" as an accent on the brace.
_SYMBOL_ACCENTS = {
    0x300: "`", 0x301: "'", 0x302: "^", 0x303: "~", 0x304: "=", 0x307: ".", 0x308: '"',
}
_LETTER_ACCENTS = {
    0x306: "u", 0x30A: "r", 0x30B: "H", 0x30C: "v", 0x323: "d", 0x326: "textcommabelow",
    0x327: "c", 0x328: "k", 0x331: "b",
}

_GREEK = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\varepsilon",
    "ϵ": r"\epsilon", "ζ": r"\zeta", "η": r"\eta", "θ": r"\theta", "ϑ": r"\vartheta",
    "ι": r"\iota", "κ": r"\kappa", "ϰ": r"\kappa", "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu",
    "ξ": r"\xi", "ο": "o", "π": r"\pi", "ϖ": r"\varpi", "ρ": r"\rho", "ϱ": r"\varrho",
    "σ": r"\sigma", "ς": r"\varsigma", "τ": r"\tau", "υ": r"\upsilon", "φ": r"\varphi",
    "ϕ": r"\phi", "χ": r"\chi", "ψ": r"\psi", "ω": r"\omega",
    "Γ": r"\Gamma", "Δ": r"\Delta", "Θ": r"\Theta", "Λ": r"\Lambda", "Ξ": r"\Xi",
    "Π": r"\Pi", "Σ": r"\Sigma", "Υ": r"\Upsilon", "Φ": r"\Phi", "Ψ": r"\Psi", "Ω": r"\Omega",
    # Capitals that look Latin have no macro of their own.
    "Α": r"\mathrm{A}", "Β": r"\mathrm{B}", "Ε": r"\mathrm{E}", "Ζ": r"\mathrm{Z}",
    "Η": r"\mathrm{H}", "Ι": r"\mathrm{I}", "Κ": r"\mathrm{K}", "Μ": r"\mathrm{M}",
    "Ν": r"\mathrm{N}", "Ο": r"\mathrm{O}", "Ρ": r"\mathrm{P}", "Τ": r"\mathrm{T}",
    "Χ": r"\mathrm{X}",
}

# Only macros of base LaTeX math: no amssymb in the reader's preamble is assumed.
_MATH = {
    "≤": r"\leq", "≥": r"\geq", "≠": r"\neq", "≈": r"\approx", "≡": r"\equiv",
    "∼": r"\sim", "≃": r"\simeq", "≅": r"\cong", "∝": r"\propto", "≪": r"\ll", "≫": r"\gg",
    "±": r"\pm", "∓": r"\mp", "×": r"\times", "÷": r"\div", "⋅": r"\cdot", "·": r"\cdot",
    "∘": r"\circ", "∗": r"\ast", "⋆": r"\star", "★": r"\star", "⊕": r"\oplus",
    "⊗": r"\otimes", "⊙": r"\odot", "∞": r"\infty", "∂": r"\partial", "∇": r"\nabla",
    "∑": r"\sum", "∏": r"\prod", "∫": r"\int", "∮": r"\oint", "√": r"\surd",
    "∈": r"\in", "∉": r"\notin", "∋": r"\ni", "⊂": r"\subset", "⊃": r"\supset",
    "⊆": r"\subseteq", "⊇": r"\supseteq", "∪": r"\cup", "∩": r"\cap", "∅": r"\emptyset",
    "∀": r"\forall", "∃": r"\exists", "¬": r"\neg", "∧": r"\wedge", "∨": r"\vee",
    "→": r"\rightarrow", "←": r"\leftarrow", "↔": r"\leftrightarrow", "⇒": r"\Rightarrow",
    "⇐": r"\Leftarrow", "⇔": r"\Leftrightarrow", "↦": r"\mapsto", "↑": r"\uparrow",
    "↓": r"\downarrow", "⟶": r"\longrightarrow", "⟵": r"\longleftarrow", "⟨": r"\langle",
    "⟩": r"\rangle", "∣": r"\mid", "∥": r"\parallel", "⊥": r"\perp", "⊤": r"\top",
    "∠": r"\angle", "ℓ": r"\ell", "ℏ": r"\hbar", "ℵ": r"\aleph", "∆": r"\Delta",
    "∖": r"\setminus", "⌊": r"\lfloor", "⌋": r"\rfloor", "⌈": r"\lceil", "⌉": r"\rceil",
    "⋯": r"\cdots", "⋮": r"\vdots", "⋱": r"\ddots", "′": r"\prime", "″": r"\prime\prime",
    "−": "-", "≺": r"\prec", "≻": r"\succ", "⊢": r"\vdash", "⊨": r"\models",
}

# Text symbols: each is a macro of the LaTeX kernel (T1/TS1, no packages).
_TEXT = {
    "\u00a0": "~", "\u2009": r"\,", "\u202f": r"\,", "\u2007": "~",
    "\u00ad": "", "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",
    "–": "--", "—": "---", "‐": "-", "‑": "-", "‒": "--", "―": "---", "⁄": "/",
    "‘": "`", "’": "'", "‚": ",", "“": "``", "”": "''", "„": ",,", "´": "'", "`": "`",
    "«": r"\guillemotleft{}", "»": r"\guillemotright{}",
    "‹": r"\guilsinglleft{}", "›": r"\guilsinglright{}",
    "…": r"\ldots{}", "•": r"\textbullet{}", "†": r"\dag{}", "‡": r"\ddag{}",
    "§": r"\S{}", "¶": r"\P{}", "©": r"\textcopyright{}", "®": r"\textregistered{}",
    "™": r"\texttrademark{}", "°": r"\textdegree{}", "€": r"\texteuro{}", "£": r"\pounds{}",
    "¥": r"\textyen{}", "¢": r"\textcent{}", "¡": r"\textexclamdown{}",
    "¿": r"\textquestiondown{}", "‰": r"\textperthousand{}",
    "ª": r"\textordfeminine{}", "º": r"\textordmasculine{}",
    "ˆ": r"\textasciicircum{}", "˜": r"\textasciitilde{}", "¨": "", "¸": "", "¯": "",
    # Common letters with no T1 glyph: the nearest ASCII.
    "ə": "e", "Ə": "E", "ʻ": "'", "ʼ": "'", "ʿ": "'", "ʾ": "'", "ơ": "o", "Ơ": "O",
    "ư": "u", "Ư": "U",
}

# A LaTeX special or anything but printable ASCII. One character class, not an
# alternation ("[...]|[^\x20-\x7e]"): the regex engine scans a class several
# times faster, and this runs over every abstract.
_SPECIALS_RE = re.compile(r"[\\{}&%#_$^~\x00-\x1f\x7f-\U0010ffff]")
_SPACE_RE = re.compile(r"\s+")


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
    """Escape ``text`` for a BibTeX field; pure ASCII unless ``utf8``.

    With ``utf8`` (the biblatex profile) letters pdflatex can typeset in T1
    are kept as UTF-8; everything else is converted exactly as for BibTeX.
    """
    if _is_plain(text):
        return _collapse_printable(text)  # nothing to escape: most text
    text = collapse_space(unicodedata.normalize("NFC", text))
    # Again afterwards: dropped characters can leave double spaces behind.
    return collapse_space(_SPECIALS_RE.sub(lambda m: _char(m.group(), utf8), text))


# The LaTeX specials that are printable ASCII (_SPECIALS_RE matches them too).
_PLAIN_SPECIALS = tuple(_ASCII_SPECIALS)


def _is_plain(text: str) -> bool:
    """Whether ``text`` is printable ASCII without LaTeX specials, so escaping leaves it as it is.

    The same test as ``_SPECIALS_RE.search(text) is None``, several times
    faster on long text (an abstract): three scans in C, the last a memchr
    per special character.
    """
    if not (text.isascii() and text.isprintable()):
        return False
    for special in _PLAIN_SPECIALS:
        if special in text:
            return False
    return True


# Word boundaries for case protection (the dashes become "--" and "---").
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
            out.append(_SPECIALS_RE.sub(lambda m: _char(m.group(), utf8), _SPACE_RE.sub(" ", part)))
            continue
        if not part:
            continue
        latex = to_latex(part, utf8=utf8)
        before = parts[i - 1] if i else ""
        if needs_protection(part, first=i == 0, after_space=not before or before[-1].isspace()):
            latex = "{" + latex + "}"
        out.append(latex)
    return collapse_space("".join(out))


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


def _braced(match: re.Match) -> str:
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
    if ch in _TEXT:
        return _TEXT[ch]
    if ch in _GREEK:
        return "{$" + _GREEK[ch] + "$}"
    if ch in _MATH:
        return "{$" + _MATH[ch] + "$}"
    category = unicodedata.category(ch)
    if category in ("Cc", "Cf", "Co", "Cs", "Cn", "Mn", "Me", "Mc"):
        return " " if ch in "\t\n\r" else ""  # controls and stray combining marks
    if category == "Zs":
        return " "
    if utf8 and ch in T1_LETTERS:
        return ch
    if ch in _LETTER_MACROS:
        return "{" + _LETTER_MACROS[ch] + "}"
    if category.startswith("L"):
        accented = _accented(ch, utf8)
        if accented is not None:
            return accented
    return _fallback(ch, utf8)


def _accented(ch: str, utf8: bool) -> str | None:
    """A letter with accents as nested accent macros, or None if it has none."""
    decomposed = unicodedata.normalize("NFD", ch)
    base, marks = decomposed[0], [ord(m) for m in decomposed[1:]]
    if not marks:
        return None
    if not base.isascii():
        # e.g. Greek with tonos: keep the letter, drop the accent.
        return _char(base, utf8)
    # The innermost accent must give a T1 letter once biber decodes it. Marks of
    # different combining classes commute, so any of them may go first.
    inner, rest = None, marks
    for i, mark in enumerate(marks):
        ccc = unicodedata.combining(chr(mark))
        if any(unicodedata.combining(chr(m)) == ccc for m in marks[:i]):
            break
        macro = _SYMBOL_ACCENTS.get(mark) or _LETTER_ACCENTS.get(mark)
        if macro and unicodedata.normalize("NFC", base + chr(mark)) in T1_LETTERS:
            inner, rest = _accent(macro, base, nested=len(marks) > 1), marks[:i] + marks[i + 1:]
            break
    if inner is None:
        # No T1 letter to build on, and an accent on a braced bare letter
        # breaks biber: keep the plain letter.
        return base
    for mark in rest:
        # Only symbol accents nest (see the module docstring); others are dropped.
        if mark in _SYMBOL_ACCENTS:
            inner = "\\" + _SYMBOL_ACCENTS[mark] + "{{" + inner + "}}"
    return "{" + inner + "}"


def _accent(macro: str, base: str, *, nested: bool = False) -> str:
    """``\\"u`` for symbol accents, ``\\v{s}`` for letter accents; braced when nested."""
    if macro in _SYMBOL_ACCENTS.values() and not nested:
        return "\\" + macro + base
    return "\\" + macro + "{" + base + "}"


def _fallback(ch: str, utf8: bool) -> str:
    """Superscripts, ligatures, full-width forms... via NFKC; otherwise drop."""
    decomposition = unicodedata.decomposition(ch)
    compat = unicodedata.normalize("NFKC", ch)
    if decomposition.startswith(("<super>", "<sub>")) and re.fullmatch(r"[A-Za-z0-9+\-=()]+", compat):
        script = "^" if decomposition.startswith("<super>") else "_"
        return "{$" + script + "{" + compat + "}$}"
    if compat != ch and ch not in compat:
        return _SPECIALS_RE.sub(lambda m: _char(m.group(), utf8), compat)
    return ""
