"""Unicode -> LaTeX for BibTeX fields (papershelf.core.exporters.latex)."""

from __future__ import annotations

import sys
import unicodedata

import bibtexparser
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pybtex.database import parse_string as pybtex_parse

from papershelf.core.exporters.latex import (
    _LIGATURES,
    _SPECIALS_RE,
    T1_LETTERS,
    _is_plain,
    _title_words_to_latex,
    collapse_space,
    needs_protection,
    title_to_latex,
    to_latex,
    verbatim,
)
from papershelf.core.importers.bibtex import decode_latex
from tests.texcheck import lint_field, unprotected_capitals

# ---------------------------------------------------------------- accents


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("Müller", 'M{\\"u}ller'),
        ("Martínez", "Mart{\\'i}nez"),
        ("Łukasz", "{\\L}ukasz"),
        ("Gauß", "Gau{\\ss}"),
        ("Søren Åström", 'S{\\o}ren {\\AA}str{\\"o}m'),
        ("Œuvre ærø", "{\\OE}uvre {\\ae}r{\\o}"),
        ("Ayşe Yılmaz", "Ay{\\c{s}}e Y{\\i}lmaz"),
        ("Škoda Erdős", "{\\v{S}}koda Erd{\\H{o}}s"),
        ("Ștefan", "{\\textcommabelow{S}}tefan"),
        ("Đorđe", "{\\DJ}or{\\dj}e"),
        ("İstanbul", "{\\.I}stanbul"),
        ("ñ Ñ", "{\\~n} {\\~N}"),
    ],
)
def test_accented_letters_become_braced_accent_macros(text, latex):
    assert to_latex(text) == latex


def test_accented_i_uses_plain_i_not_dotless():
    # {\'\i} makes biber emit a combining accent that pdflatex rejects.
    out = to_latex("í ì î ï")
    assert out == "{\\'i} {\\`i} {\\^i} {\\\"i}"
    assert "\\i}" not in out.replace("{\\i}", "")


def test_stacked_accents_nest_with_double_braces():
    # Biber decodes only the inner accent; with one pair of braces it would
    # write \~ê and pdflatex would read half a UTF-8 character.
    assert to_latex("ễ") == "{\\~{{\\^{e}}}}"
    assert to_latex("Nguyễn") == "Nguy{\\~{{\\^{e}}}}n"
    assert to_latex("ắ") == "{\\'{{\\u{a}}}}"


def test_accents_without_a_t1_form_are_macros_too_and_nothing_is_dropped():
    # Issue "trust" item 3: these were dropped (Phạm -> Pham, Hưng -> Hung).
    assert to_latex("ẹ") == "{\\d{e}}"
    assert to_latex("Phạm Tạp") == "Ph{\\d{a}}m T{\\d{a}}p"
    assert to_latex("Węgrzynowicz Ţiriac ḑ") == "W{\\k{e}}grzynowicz {\\c{T}}iriac {\\c{d}}"
    # Only symbol accents around the inner one: biber decodes it to \^{ạ}.
    assert to_latex("ậ") == "{\\^{{\\d{a}}}}"
    assert to_latex("ặ") == "{\\d{{\\u{a}}}}"
    # No macro for the horn or the hook above: kept as UTF-8.
    assert to_latex("Hưng ơ ẩ") == "Hưng ơ ẩ"
    assert to_latex("q\u0301") == "{\\'q}"  # an accent with no precomposed letter


def test_decomposed_input_is_composed_first():
    assert to_latex("u\u0308ber") == to_latex("über") == '{\\"u}ber'


# ---------------------------------------------------------------- Greek and math


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("Σ", "{$\\Sigma$}"),
        ("≤", "{$\\leq$}"),
        ("α-β", "{$\\alpha$}-{$\\beta$}"),
        ("2×", "2{$\\times$}"),
        ("x²", "x\\texttwosuperior{}"),
        ("H₂O 10⁻⁴", "H\\textsubscript{2}O 10\\textsuperscript{\\textminus{}}\\textsuperscript{4}"),
        ("→ ∞", "{$\\rightarrow$} {$\\infty$}"),
        ("ά", "{$\\acute{\\alpha}$}"),  # the tonos is kept
        ("Α", "Α"),  # \mathrm{A} would decode as a Latin A: kept as UTF-8
    ],
)
def test_greek_and_math_become_braced_math(text, latex):
    # The braces keep bibtex styles from lowercasing \Sigma to \sigma.
    assert to_latex(text) == latex
    assert to_latex(text, utf8=True) == text  # biblatex keeps every character


# ---------------------------------------------------------------- escaping


@pytest.mark.parametrize(
    ("char", "latex"),
    [
        ("\\", "\\textbackslash{}"),
        ("{", "\\textbraceleft{}"),
        ("}", "\\textbraceright{}"),
        ("&", "\\&"),
        ("%", "\\%"),
        ("#", "\\#"),
        ("_", "\\_"),
        ("$", "\\$"),
        ("^", "\\textasciicircum{}"),
        ("~", "\\textasciitilde{}"),
    ],
)
def test_latex_specials_are_escaped(char, latex):
    assert to_latex(f"a{char}b") == f"a{latex}b"


@pytest.mark.parametrize(
    "hostile",
    [
        r"\input{/etc/passwd}",
        r"\write18{rm -rf /}",
        r"\immediate\write18{curl x}",
        r"\def\x{y}\x",
        r"\end{document}",
        r"\catcode`\@=11",
        "unbalanced { brace",
        "unbalanced } brace",
        "}{",
        "trailing backslash \\",
    ],
)
def test_commands_and_braces_come_out_inert(hostile):
    out = to_latex(hostile)
    assert not lint_field("title", out)  # balanced, nothing unescaped
    # Every backslash left starts one of our own macros or escapes.
    for piece in out.split("\\")[1:]:
        assert piece.startswith(
            (
                "textbackslash{}",
                "textbraceleft{}",
                "textbraceright{}",
                "&",
                "%",
                "#",
                "_",
                "$",
                "textasciicircum{}",
                "textasciitilde{}",
            )
        ), piece
    assert decode_latex(out) == collapse_space(hostile)


def test_input_becomes_textbackslash():
    assert to_latex(r"\input{/etc/passwd}") == r"\textbackslash{}input\textbraceleft{}/etc/passwd\textbraceright{}"


def test_html_stays_literal_text():
    assert to_latex("<img src=x onerror=alert(1)>") == "<img src=x onerror=alert(1)>"
    assert to_latex("a &amp; b") == "a \\&amp; b"


def test_white_space_collapses_so_no_blank_line_ends_an_argument():
    assert to_latex("one\n\n two\r\n\tthree\u2028four") == "one two three four"


def test_characters_without_a_latex_form_are_kept_as_utf8():
    # Issue "trust" item 3: these were dropped or transliterated.
    assert to_latex("😀 中文 Обучение العربية x") == "😀 中文 Обучение العربية x"
    assert to_latex("ﬁne Ａ") == "ﬁne Ａ"
    assert to_latex("soft\u00adhyphen zero\u200bwidth") == "soft\\-hyphen zero\u200bwidth"
    # Controls and bidi overrides are not text.
    assert to_latex("a\x00b\x07c\u202ed") == "abcd"


def test_typography_uses_text_macros_that_decode_back():
    assert to_latex("a–b—c “q” ‘s’ …") == (
        "a--b---c \\textquotedblleft{}q\\textquotedblright{} \\textquoteleft{}s\\textquoteright{} \\ldots{}"
    )
    assert to_latex("50 °C, 5 €, ©, −1") == "50 \\textdegree{}C, 5 \\texteuro{}, \\textcopyright{}, \\textminus{}1"


def test_tex_ligatures_of_ascii_are_broken():
    # Two hyphens typed are two hyphens, not an en dash.
    assert to_latex("a--b ---c ``q'' !` ,, <<") == "a-{}-b -{}-{}-c `{}`q'{}' !{}` ,{}, <{}<"
    assert title_to_latex("Self--Supervised") == "Self-{}-Supervised"
    # A typed hyphen next to a dash stays apart from it: "–-" is not "—".
    assert to_latex("a–-b 1–10") == "a--{}-b 1--10"


def test_biblatex_profile_keeps_every_character_as_utf8():
    text = "Müller Łukasz Nguyễn Phạm Hưng Σ ≤ – “q” 中文 😀 x² ﬁ"
    assert to_latex(text, utf8=True) == text
    assert (
        to_latex("50% {x} \\ ~", utf8=True)
        == "50\\% \\textbraceleft{}x\\textbraceright{} \\textbackslash{} \\textasciitilde{}"
    )


# ---------------------------------------------------------------- capitals


@pytest.mark.parametrize(
    ("title", "latex"),
    [
        ("DocThinker: Teaching MLLMs", "{DocThinker}: Teaching {MLLMs}"),
        ("RLHF beats GPT-4o", "{RLHF} beats {GPT}-4o"),
        ("A Survey of 3D Vision", "A Survey of {3D} Vision"),
        ("ImageNet-A and Part II", "{ImageNet}-{A} and Part {II}"),
        ("Chapter X: a Survey, A Study", "Chapter {X}: a Survey, A Study"),
        ("iPhone and eBay", "{iPhone} and {eBay}"),
        ('Reply to "Comment on it"', 'Reply to "Comment on it"'),
        ("Müller–Łukasz", 'M{\\"u}ller--{\\L}ukasz'),
        ("ÉCOLE Normale", "{{\\'E}COLE} Normale"),
        ("Q&A for LLMs", "{Q\\&A} for {LLMs}"),
    ],
)
def test_words_with_inner_capitals_are_protected(title, latex):
    assert title_to_latex(title) == latex


def test_whole_title_is_never_braced():
    out = title_to_latex("Attention Is All You Need")
    assert out == "Attention Is All You Need"
    assert not out.startswith("{")


def test_needs_protection_rules():
    assert needs_protection("GPT")
    assert needs_protection("x", first=False) is False
    assert needs_protection("A", after_space=True) is False  # the article
    assert needs_protection("A", after_space=False)  # ImageNet-A
    assert needs_protection("I")
    assert needs_protection("I", first=True) is False  # bibtex keeps the first letter
    assert needs_protection('"Comment') is False


def test_protected_titles_pass_the_capitals_lint():
    title = title_to_latex("LLaMA-2 and GPT-4o vs. BERT on MS-COCO: RLHF, DPO (PPO) / SFT")
    assert unprotected_capitals(title) == []


# ---------------------------------------------------------------- verbatim fields


def test_verbatim_keeps_normal_urls():
    url = "https://example.org/a_b?x=1&y=2#frag~t"
    assert verbatim(url) == url


def test_verbatim_encodes_what_would_break_the_entry():
    assert verbatim("https://e.org/a b/{x}\\y") == "https://e.org/a%20b/%7Bx%7D%5Cy"
    assert verbatim("https://e.org/100%") == "https://e.org/100%25"
    assert verbatim("https://e.org/%20ok") == "https://e.org/%20ok"
    assert verbatim("https://e.org/ü") == "https://e.org/%C3%BC"


# ---------------------------------------------------------------- properties


def _bib(value: str) -> str:
    return "@misc{k,\n  title = {" + value + "},\n  year = {2020}\n}\n"


def _invented(text: str, out: str) -> set[str]:
    """Non-ASCII characters in ``out`` that ``text`` did not have."""
    return {c for c in out if not c.isascii()} - set(unicodedata.normalize("NFC", text))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text())
def test_any_text_gives_balanced_braces_that_parsers_read(text):
    out = to_latex(text)
    assert not _invented(text, out)  # ASCII but for characters with no LaTeX form
    assert not lint_field("abstract", out)
    library = bibtexparser.parse_string(_bib(out))
    assert not library.failed_blocks
    assert [e.key for e in library.entries] == ["k"]
    assert library.entries[0].fields_dict["title"].value == out
    assert pybtex_parse(_bib(out), "bibtex").entries["k"].fields["title"] == out


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text())
def test_any_title_is_balanced_and_protected(text):
    out = title_to_latex(text)
    assert not _invented(text, out)
    assert not lint_field("title", out)
    assert pybtex_parse(_bib(out), "bibtex").entries["k"].fields["title"] == out


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_biblatex_profile_writes_no_character_of_its_own(text):
    out = to_latex(text, utf8=True)
    assert not _invented(text, out)
    assert not lint_field("abstract", out)


_ROUND_TRIP_ALPHABET = st.sampled_from(
    list("abcXYZ019 .,;:!?()[]/@*+=<>|") + list("\\{}&%#_$^~") + sorted(T1_LETTERS)[:120]
)


@settings(max_examples=300, deadline=None)
@given(st.text(_ROUND_TRIP_ALPHABET))
def test_text_survives_a_round_trip_through_latex(text):
    expected = collapse_space(unicodedata.normalize("NFC", text))
    assert decode_latex(to_latex(text)) == expected
    assert decode_latex(to_latex(text, utf8=True)) == expected


# ---------------------------------------------------------------- fast paths
#
# An export of a large library spends most of its time on titles and
# abstracts, so the common case, printable ASCII with nothing to escape, has
# shortcuts. Each must give exactly what the general code gives.

_PLAIN_TITLE_ALPHABET = st.sampled_from(list("aAbBiIzZ09 -/:;,.()!\"'*+<=>?@[]`|"))


@settings(max_examples=2000, deadline=None)
@given(st.text(_PLAIN_TITLE_ALPHABET, max_size=40))
def test_plain_title_shortcut_braces_what_the_word_rules_brace(title):
    assume(_is_plain(title))  # "--" and other ligatures are not plain
    for utf8 in (False, True):
        assert title_to_latex(title, utf8=utf8) == _title_words_to_latex(title, utf8=utf8)


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_plain_text_test_agrees_with_the_specials_pattern(text):
    assert _is_plain(text) == (_SPECIALS_RE.search(text) is None and not any(pair in text for pair in _LIGATURES))


_SPACES = st.sampled_from(list(" \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u2009\u2028\u3000ab"))


@settings(max_examples=1000, deadline=None)
@given(st.text(_SPACES) | st.text())
def test_collapse_space_shortcut_matches_split_and_join(text):
    assert collapse_space(text) == " ".join(text.split())


def test_printable_text_has_no_white_space_but_the_space():
    # What collapse_space's shortcut rests on, for every character this Python knows.
    assert [hex(c) for c in range(sys.maxunicode + 1) if chr(c).isspace() and chr(c).isprintable()] == ["0x20"]
