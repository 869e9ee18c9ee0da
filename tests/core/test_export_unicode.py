"""Exports keep every character (issue "trust", item 3).

Chinese, Japanese, Korean, Arabic and Cyrillic titles, authors and abstracts,
Vietnamese and other diacritics, and emoji used to be dropped. Now the
``biblatex`` format keeps every character as UTF-8, the ``bibtex`` format
writes a LaTeX macro wherever one exists and keeps the rest as UTF-8 (and the
export says which papers), and what goes in decodes back to the same text
through the project's own importer.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import unicodedata

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from papershelf.core.exporters import ExportReport, export_to_file, render
from papershelf.core.exporters.latex import to_latex
from papershelf.core.importers.bibtex import decode_latex, parse_bibtex
from tests.core.bib_samples import make_paper
from tests.texcheck import BIBLATEX_BIBLIOGRAPHY, biblatex_preamble, check_bib, latex_document, require_tex


def expected(text: str) -> str:
    """What a field must decode back to: the same text, NFC, white space collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


# Any character but controls (not text), surrogates (not UTF-8) and the bidi
# overrides every exporter strips (they reorder what a terminal shows).
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ANY_CHARACTER = st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters=_BIDI)
# The hard cases, often: letters of every script, combining marks, emoji and
# their joiners, LaTeX specials, TeX ligatures, dashes, typography.
HARD = st.sampled_from(
    list("aZq0 -'`,!?<>\\{}&%#_$^~.\"")
    + [chr(c) for c in range(0x300, 0x370)]
    + list("中文日本語한국어العربيةОбучениеעבריתहिन्दी😀🚀\u200d\u200c\ufe0f\u00ad")
    + list("ßøıĐđÆŁαΣωΑοϊΐἀươễệặậẩŢḑǅﬁＡ—–“”‘’„−₂⁴²×≤ℝ…")
)
TEXT = st.text(ANY_CHARACTER | HARD, max_size=40)
# A person's name: words of any script, with no comma or " and " (which are syntax in a name list).
NAME_WORD = st.text(
    st.characters(whitelist_categories=("L", "M", "N"), blacklist_characters=_BIDI)
    | HARD.filter(lambda c: c not in ",{}\\ " and not c.isspace()),
    min_size=1,
    max_size=8,
)
NAME = (
    st.lists(NAME_WORD, min_size=1, max_size=3)
    .map(" ".join)
    .filter(lambda n: n.lower() not in ("and", "others", "et al", "et al.") and " and " not in f" {n.lower()} ")
)


def round_trip(fmt: str, **fields) -> tuple[object, ExportReport]:
    """Export one paper and import the result with the project's own .bib importer."""
    report = ExportReport()
    text = "".join(render([make_paper(citation_key="k", **fields)], fmt, report=report))
    records, problems = parse_bibtex(text, "out.bib")
    assert problems == [] and len(records) == 1, (text, problems)
    return records[0], report


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(title=TEXT, abstract=TEXT, author=NAME)
def test_any_text_decodes_back_to_itself(fmt, title, abstract, author):
    assume(expected(title) and expected(author))
    record, _ = round_trip(fmt, title=title, abstract=abstract, authors=[author])
    assert record.title == expected(title)
    assert record.abstract == expected(abstract)
    assert record.authors == [expected(author)]


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_only_characters_with_no_latex_form_stay_utf8_in_bibtex(text):
    out = to_latex(text)
    kept = {c for c in out if not c.isascii()}
    assert kept <= set(unicodedata.normalize("NFC", text))  # nothing invented
    assert decode_latex(out) == expected(text)
    # biblatex keeps exactly the non-ASCII characters (but white space and controls).
    assert {c for c in to_latex(text, utf8=True) if not c.isascii()} == {
        c
        for c in unicodedata.normalize("NFC", text)
        if not c.isascii() and not c.isspace() and unicodedata.category(c) != "Cc"
    }


def test_every_character_decodes_back_alone():
    """All of Unicode up to U+2FFFF, one character at a time, in the bibtex profile."""
    bad = []
    for code in range(0xA0, 0x30000):
        ch = chr(code)
        if unicodedata.category(ch) in ("Cc", "Cs") or ch.isspace() or ch in _BIDI:
            continue
        out = to_latex("x" + ch + "y")
        if decode_latex(out) != expected("x" + ch + "y"):
            bad.append((hex(code), out))
    assert bad == []


@pytest.mark.parametrize(
    ("text", "bibtex"),
    [
        ("Hưng", "Hưng"),  # no macro for the horn: kept
        ("Tạp chí", "T{\\d{a}}p ch{\\'i}"),
        ("Węgrzynowicz", "W{\\k{e}}grzynowicz"),
        ("Ţiriac ḑ", "{\\c{T}}iriac {\\c{d}}"),
        ("Nguyễn Đặng", "Nguy{\\~{{\\^{e}}}}n {\\DJ}{\\d{{\\u{a}}}}ng"),
        ("面向多模态 FANUC", "面向多模态 FANUC"),
        ("Обучение", "Обучение"),
        ("🚀 x ✨", "🚀 x ✨"),
    ],
)
def test_the_characters_the_issue_names(text, bibtex):
    assert to_latex(text) == bibtex
    assert to_latex(text, utf8=True) == text


# ---------------------------------------------------------------- the other formats


def _ris_field(ris: str, tag: str) -> str:
    found = re.search(rf"^{tag}  - (.*)$", ris, re.MULTILINE)
    assert found is not None, f"no {tag} line in {ris!r}"
    return found.group(1)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@example(title="\U0002f800", abstract="\U0002f800", author="0")
@given(title=TEXT, abstract=TEXT, author=NAME)
def test_csl_json_ris_and_markdown_keep_every_character(title, abstract, author):
    assume(expected(title))
    paper = make_paper(title=title, abstract=abstract, authors=[author], citation_key="k")
    [item] = json.loads("".join(render([paper], "csl-json")))
    assert expected(item["title"]) == expected(title)
    assert expected(item.get("abstract", "")) == expected(abstract)
    ris = "".join(render([paper], "ris"))
    # Compared after NFC on both sides: U+2F800 is kept as written, and NFC makes it U+4E3D.
    assert expected(_ris_field(ris, "TI")) == expected(title)
    if expected(abstract):
        assert expected(_ris_field(ris, "AB")) == expected(abstract)
    markdown = "".join(render([paper], "markdown"))
    # Markdown escapes its specials with a backslash; without them the text is all there.
    assert expected(title) in expected(re.sub(r"\\(.)", r"\1", markdown))


# ---------------------------------------------------------------- the report and the CLI


def test_the_report_names_the_papers_bibtex_keeps_utf8_for():
    papers = [
        make_paper(id=1, citation_key="latin", title="Müller and Nguyễn: Tạp chí", authors=["Jörg Müller"]),
        make_paper(id=2, citation_key="cjk", title="面向多模态大模型", authors=["王小明"]),
        make_paper(id=3, citation_key="emoji", title="Rocket 🚀", authors=["Anna Węgrzynowicz"]),
    ]
    report = ExportReport()
    out = "".join(render(papers, "bibtex", report=report))
    assert report.unicode_kept == ["cjk", "emoji"]
    assert report.warnings() == [
        "2 papers keep characters with no LaTeX form (kept as UTF-8; use biblatex with XeLaTeX/LuaLaTeX): cjk, emoji"
    ]
    assert "面向多模态大模型" in out and "{\\relax{}王小明}" in out and "🚀" in out
    biblatex = ExportReport()
    "".join(render(papers, "biblatex", report=biblatex))
    assert biblatex.warnings() == []  # UTF-8 is what that format is for


LISTING = [
    ("面向多模态大模型的文档推理：FANUC 机器人案例", "我们提出一种新方法。FANUC 数据集上的实验。", ["王小明", "李华"]),
    ("Học tăng cường: Tạp chí Khoa học", "Nghiên cứu của Nguyễn Văn Hưng.", ["Nguyễn Văn Hưng", "Phạm Thị Tạp"]),
    ("Обучение с подкреплением", "Мы представляем новый метод.", ["Иван Петров"]),
    ("🚀 Rocket-Fast Inference with 🤗 Transformers", "Emoji 😀 in the abstract.", ["Anna Węgrzynowicz"]),
    ("Plain Latin Title", "Nothing special.", ["Jane Doe"]),
]


def _listing(path):
    items = []
    for i, (title, summary, authors) in enumerate(LISTING, 1):
        paper = {
            "id": f"2509.9{i:04d}",
            "title": title,
            "summary": summary,
            "authors": [{"_id": str(j), "name": n, "hidden": False} for j, n in enumerate(authors)],
            "publishedAt": "2025-09-08T17:59:59.000Z",
            "submittedOnDailyAt": "2025-09-11T04:12:00.000Z",
        }
        items.append({"paper": paper, "title": title, "summary": summary, "publishedAt": paper["publishedAt"]})
    path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_the_cli_counts_every_paper_and_warns_once(tmp_path, library_path, capsys, fmt):
    from papershelf.cli import main

    listing = tmp_path / "listing.json"
    _listing(listing)
    assert main(["--library", str(library_path), "import", str(listing)]) == 0
    out = tmp_path / "out.bib"
    capsys.readouterr()
    assert main(["--library", str(library_path), "export", "--all", "--format", fmt, "-o", str(out)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{out}: 5 papers written ({fmt})"
    if fmt == "bibtex":
        assert len(err) == 2
        assert err[1].startswith(
            "papershelf: warning: 4 papers keep characters with no LaTeX form (kept as UTF-8;"
        )  # ư has none
    else:
        assert len(err) == 1
    records, problems = parse_bibtex(out.read_text(encoding="utf-8"), "out.bib")
    assert problems == []
    assert sorted((r.title, r.abstract, r.authors) for r in records) == sorted((t, s, a) for t, s, a in LISTING)


# ---------------------------------------------------------------- the real tools


@pytest.mark.tex
@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_non_latin_text_is_accepted_by_bibtex_and_biber(tmp_path, fmt):
    """Every bibtex style and biber take it: no warning, no invalid UTF-8 in a .bbl.

    (pdflatex with T1 has no glyphs for CJK or Cyrillic; that is not checked.)
    """
    require_tex()
    papers = [
        make_paper(id=i, citation_key=f"p{i}", title=t, abstract=s, authors=a) for i, (t, s, a) in enumerate(LISTING, 1)
    ]
    papers.append(make_paper(id=9, citation_key="org", title="T", authors=["山田太郎", "Émoji 😀 Person"]))
    path = tmp_path / "unicode.bib"
    export_to_file(papers, fmt, path)
    assert check_bib(path, utf8=fmt == "biblatex", unicode_ok=True) == []


@pytest.mark.tex
def test_every_macro_the_exporter_writes_compiles(tmp_path):
    """Each text, math, Greek and accent macro passes bibtex's four styles and pdflatex (T1, no packages)."""
    require_tex()
    from papershelf.core.exporters import latex

    symbols = "".join([*latex._TEXT, *latex._MATH, *latex._GREEK, *latex._LETTER_MACROS])
    accented = "ạẹọụ ậệộ ặ ắằẵ ễ ḑ Ţ ţ ę ǫ ṯ ǘ ǿ ǽ ά ΐ q\u0301 x\u0323"
    paper = make_paper(
        citation_key="macros", title="Symbols", abstract=symbols + " " + accented, authors=["Ngọc Đặng", "Ǿrjan Ţiriac"]
    )
    path = tmp_path / "macros.bib"
    export_to_file([paper], "bibtex", path)
    assert path.read_text(encoding="ascii")  # all of them have a macro
    # biber decodes {\d{a}} to ạ, which pdflatex cannot print in T1: the one thing let through.
    assert check_bib(path, unicode_ok=True) == []


@pytest.mark.tex
def test_vietnamese_prints_through_biber_with_safeinputenc(tmp_path):
    """The bibtex format's macros for ạ, ệ... reach pdflatex as macros again with biblatex's safeinputenc.

    (Not ư, which has no macro, nor ặ, whose two below/above letter accents
    biber decodes in the wrong order: only a Unicode engine prints those.)
    """
    require_tex()
    path = tmp_path / "refs.bib"
    export_to_file(
        [
            make_paper(
                citation_key="vn", title="Tạp chí Khoa học: Nghiên ệ ậ ễ", authors=["Phạm Ngọc Thạch", "Lê Thị Hoa"]
            )
        ],
        "bibtex",
        path,
    )
    (tmp_path / "doc.tex").write_text(
        latex_document(
            [r"\usepackage[utf8]{inputenc}", *biblatex_preamble("backend=biber,safeinputenc")], BIBLATEX_BIBLIOGRAPHY
        )
    )
    env = {"HOME": str(tmp_path), "TEXMFVAR": str(tmp_path / "texmf-var"), "PATH": os.environ["PATH"]}
    for cmd in (
        ["pdflatex", "-draftmode", "-interaction=nonstopmode", "doc.tex"],
        ["biber", "doc"],
        ["pdflatex", "-draftmode", "-interaction=nonstopmode", "doc.tex"],
    ):
        subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, timeout=300, check=False)
    log = (tmp_path / "doc.log").read_text(encoding="utf-8", errors="replace")
    assert "\\entry{vn}" in (tmp_path / "doc.bbl").read_text(encoding="utf-8")
    assert [line for line in log.splitlines() if line.startswith("!")] == []
