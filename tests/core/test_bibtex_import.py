"""Importing .bib files (papershelf.core.importers.bibtex), and exporting them again."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papershelf.core.exporters import export_to_file
from papershelf.core.exporters.common import citation_keys
from papershelf.core.exporters.latex import to_latex
from papershelf.core.importers.bibtex import decode_latex, decode_name, parse_bibtex, read_bibtex
from tests.core.bib_samples import paper_from_record
from tests.texcheck import check_bib, require_tex

REAL_WORLD = Path(__file__).resolve().parent.parent / "fixtures" / "real-world"
SAMPLES = sorted(REAL_WORLD.rglob("*.bib"))


def parse_file(name: str):
    path = next(p for p in SAMPLES if p.name == name)
    return parse_bibtex(path.read_text(encoding="utf-8"), path.name)


def by_key(records):
    return {r.citation_key: r for r in records}


# ---------------------------------------------------------------- real-world samples


def test_samples_are_copied_into_the_repository():
    names = {p.name for p in SAMPLES}
    assert "zotero-better-bibtex-export.bib" in names
    assert {"complex.bib", "crossref.bib", "utf8-bom.bib", "testjabref.bib"} <= names


def test_zotero_export():
    records, problems = parse_file("zotero-better-bibtex-export.bib")
    assert problems == []
    assert len(records) == 14
    r = by_key(records)["bengioSuperintelligentAgentsPose2025"]
    assert r.entry_type == "misc"
    assert r.source == "bibtex"
    assert r.title == "Superintelligent Agents Pose Catastrophic Risks: Can Scientist AI Offer a Safer Path?"
    assert r.authors[:2] == ["Yoshua Bengio", "Michael Cohen"]
    assert "Sören Mindermann" in r.authors
    assert r.authors[-2:] == ["Pierre-Luc St-Charles", "David Williams-King"]
    assert r.arxiv_id == "2502.15657"
    assert r.primary_class is None  # Zotero's "cs" is an archive, not a class
    assert r.published == dt.date(2025, 2, 1)
    assert r.tags == ["Computer Science - Artificial Intelligence", "Computer Science - Machine Learning"]
    assert r.abstract.startswith("The leading AI companies")
    assert r.extra_fields["doi"] == "10.48550/arXiv.2502.15657"
    assert r.extra_fields["urldate"] == "2025-08-04"
    assert r.extra_fields["shorttitle"] == "Superintelligent Agents Pose Catastrophic Risks"
    assert r.where == "line 1"


def test_complex_jabref_file():
    records, problems = parse_file("complex.bib")
    assert problems == []
    r = by_key(records)
    assert r["deBraga2001"].title.startswith("The postcranial anatomy of Procolophon (Parareptilia")
    assert r["deBraga2001"].extra_fields["school"] == "Department of Zoology, University of Toronto"
    assert r["1137631"].authors[:3] == ["Gustav Boström", "Jaana Wäyrynen", "Marine Bodén"]
    assert r["1102917"].extra_fields["doi"] == "10.1007/s00779-005-0347-6"  # resolver stripped
    assert r["1102917"].extra_fields["pages"] == "357–367"
    assert r["1102917"].extra_fields["groups"] == "TestOne, TestTwo"
    names = r["10250999"].authors
    assert names[0] == "Eric von Hippel"
    assert names[1] == "Joseph M. Reagle Jr."
    assert names[3] == "Johan A van den Huevel Jr."
    # Malformed in the source ("Last, First, Jr" order): kept as written.
    assert names[2] == "Sherry, John F., Jr."
    assert r["10250999"].published == dt.date(2004, 1, 1)


def test_crossref_fields_are_inherited():
    records, problems = parse_file("crossref.bib")
    assert problems == []
    child = by_key(records)["DBLP:conf/wicsa/ZimmermannWKG15"]
    assert child.extra_fields["publisher"] == "IEEE Computer Society"
    assert child.extra_fields["editor"] == "Len Bass and Patricia Lago and Philippe Kruchten"
    assert child.extra_fields["isbn"] == "978-1-4799-1922-2"
    assert child.url == "http://dx.doi.org/10.1109/WICSA.2015.29"  # its own, not the parent's
    assert len(records) == 4


def test_bom_and_collection_without_title():
    records, problems = parse_file("utf8-bom.bib")
    assert problems == []
    r = by_key(records)
    assert r["Aal2005"].title.startswith("Pi Calculus Versus Petri Nets")
    assert r["Aal2005"].published == dt.date(2005, 5, 1)
    assert r["Hsu1993"].title == "Special issue on workflow and extented transaction systems"  # from booktitle
    assert r["Hsu1993"].published == dt.date(1993, 6, 1)
    assert r["Hsu1993"].extra_fields["editor"] == "M. Hsu"


def test_garbage_after_the_last_entry_is_ignored():
    records, problems = parse_file("bibWithMixedContent.bib")
    assert [r.citation_key for r in records] == ["Fen2010"]
    assert records[0].tags == ["AirSec"]
    assert problems == []


def test_entries_without_title_are_kept_and_reported_with_line_and_key():
    """An entry without a title is still the user's (a web page, a standard): kept, listed under its key."""
    records, problems = parse_file("articleWithMonths.bib")
    assert [(r.citation_key, r.title) for r in records] == [("constant", "constant"), ("text", "text")]
    assert problems == [
        "articleWithMonths.bib: line 1: entry 'constant': no title; listed as 'constant' (exported without a title,"
        " as written)",
        "articleWithMonths.bib: line 5: entry 'text': no title; listed as 'text' (exported without a title,"
        " as written)",
    ]


@pytest.mark.parametrize("name", ["jabref-authors.bib", "testjabref.bib"])
def test_large_jabref_files_import_every_entry(name):
    path = next(p for p in SAMPLES if p.name == name)
    text = path.read_text(encoding="utf-8")
    records, problems = parse_bibtex(text, name)
    entries = [m for m in re.findall(r"(?m)^@(\w+)\{", text) if m.lower() not in ("comment", "string", "preamble")]
    assert len(records) + len(problems) == len(entries)
    assert all(r.title for r in records)


# ---------------------------------------------------------------- broken files

BROKEN = r"""@string{acl = "Proc. of ACL"}
@string{acl2 = acl # " 2020"}
@inproceedings{good1,
  title = {Good {One}},
  author = {Smith, Ana and {OpenAI Team}},
  booktitle = acl2,
  month = feb,
  year = 2020
}

@article{bad1,
  title = {Missing brace,
  author = {X, Y},
  year = {2021}
}

@article{good2,
  title = {Good Two},
  year = {2022},
}

@article{dupfield,
  title = {First},
  title = {Second},
}
@article{good2,
  title = {Same key again},
}
@article{nocomma
  title = {x}
}
@misc{undefined, title = {T}, journal = nosuchmacro, year = 2020}
trailing garbage }}} here
@article{unclosed,
  title = {never closed}
"""


def test_broken_entries_are_reported_and_good_ones_imported():
    records, problems = parse_bibtex(BROKEN, "refs.bib")
    assert [r.citation_key for r in records] == ["good1", "good2", "dupfield", None, "undefined"]
    assert problems == [
        "refs.bib: line 11: entry 'bad1': not imported: not closed (a '}' or ',' is missing) before the next entry",
        "refs.bib: line 22: entry 'dupfield': field 'title' is given twice; the first value is kept",
        "refs.bib: line 26: entry 'good2': the key is used by an earlier entry; imported without it",
        "refs.bib: line 29: entry 'nocomma': not imported: no comma after the citation key",
        "refs.bib: line 32: entry 'undefined': field 'journal': undefined @string 'nosuchmacro' (kept as text)",
        "refs.bib: line 34: entry 'unclosed': not imported: not closed (a '}' is missing) before the end of the file",
    ]
    good1 = records[0]
    assert good1.title == "Good One"
    assert good1.authors == ["Ana Smith", "OpenAI Team"]
    assert good1.extra_fields["booktitle"] == "Proc. of ACL 2020"
    assert good1.published == dt.date(2020, 2, 1)
    assert records[2].title == "First"
    assert records[3].title == "Same key again"


def test_an_empty_or_comment_only_file_imports_nothing():
    assert parse_bibtex("", "x.bib") == ([], [])
    assert parse_bibtex("% just a comment\n@comment{x}\n", "x.bib") == ([], [])


# ---------------------------------------------------------------- fields


def test_strings_months_and_concatenation():
    text = """@string{j = {Journal of }}
@article{a, title = {T}, journal = j # "Things", month = {apr}, year = {2019}}
@article{b, title = {T}, month = "September", year = 2019}
@article{c, title = {T}, month = 11, year = 2019}
@article{d, title = {T}, date = {2021-03-04}}
@article{e, title = {T}, year = {in press}}
@article{f, title = {T}, year = {2018}}
"""
    records, problems = parse_bibtex(text, "x.bib")
    r = by_key(records)
    assert r["a"].extra_fields["journal"] == "Journal of Things"
    assert r["a"].published == dt.date(2019, 4, 1)
    assert r["b"].published == dt.date(2019, 9, 1)
    assert r["c"].published == dt.date(2019, 11, 1)
    assert r["d"].published == dt.date(2021, 3, 4)
    assert r["e"].published is None and r["e"].extra_fields["year"] == "in press"
    assert r["f"].published == dt.date(2018, 1, 1) and "month" not in r["f"].extra_fields
    assert problems == ["x.bib: line 6: entry 'e': year 'in press' is not a year; kept as text"]


def test_keywords_become_tags():
    records, _ = parse_bibtex("@misc{a, title={T}, keywords={llm, RL; agents ,llm}}", "x.bib")
    assert records[0].tags == ["llm", "RL", "agents"]


@pytest.mark.parametrize(
    ("fields", "arxiv", "primary"),
    [
        ("eprint = {2509.01234v2}, archivePrefix = {arXiv}, primaryClass = {cs.CL}", "2509.01234", "cs.CL"),
        ("eprint = {hep-th/9901001}, eprinttype = {arxiv}, eprintclass = {hep-th}", "hep-th/9901001", "hep-th"),
        ("url = {https://arxiv.org/abs/2401.00001v3}", "2401.00001", None),
        ("url = {http://arxiv.org/pdf/2401.00001}", "2401.00001", None),
        ("doi = {10.48550/arXiv.2301.12345}", "2301.12345", None),
        ("eprint = {12345}, eprinttype = {pubmed}", None, None),
    ],
)
def test_arxiv_ids_are_found(fields, arxiv, primary):
    records, _ = parse_bibtex("@misc{a, title = {T}, " + fields + "}", "x.bib")
    assert records[0].arxiv_id == arxiv
    assert records[0].primary_class == primary


def test_url_in_howpublished_becomes_the_url():
    records, _ = parse_bibtex(r"@misc{a, title = {T}, howpublished = {\url{https://e.org/a_b}}}", "x.bib")
    assert records[0].url == "https://e.org/a_b"
    assert "howpublished" not in records[0].extra_fields


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"M{\"u}ller", "Müller"),
        (r"Bostr\"{o}m", "Boström"),
        (r"{\L}ukasz {\ss} H{\aa}kan", "Łukasz ß Håkan"),
        (r"Nguy{\~{{\^{e}}}}n", "Nguyễn"),
        (r"{\textcommabelow{s}}", "ș"),
        (r"{{DocThinker}}: {MLLMs}", "DocThinker: MLLMs"),
        (r"50\% \& \_ \$", "50% & _ $"),
        (r"{$\Sigma$}-Net {$\leq$} 2", "Σ-Net ≤ 2"),
        (r"\textit{Procolophon}", "Procolophon"),
        (r"\textbackslash{}input\textbraceleft{}x\textbraceright{}", r"\input{x}"),
        ("two\n  lines", "two lines"),
        ("unbalanced { brace", "unbalanced brace"),
        # Braces, dashes, ties and TeX quotes only (the fast path): as pylatexenc decodes them.
        ("pages 12--34, 1990---2000", "pages 12\u201334, 1990\u20142000"),
        ("``Quoted''~{A}", "\u201cQuoted\u201d A"),
        # Braces keep a ligature from forming: two hyphens, as the exporter writes "--" (hypothesis found it).
        ("-{}-", "--"),
        # An unescaped & is a character the user wrote: kept (pylatexenc dropped it).
        ("{A} & B", "A & B"),
    ],
)
def test_latex_is_decoded(latex, text):
    assert decode_latex(latex) == text


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Bengio, Yoshua", "Yoshua Bengio"),
        ("{OpenAI Team}", "OpenAI Team"),
        ("{{OpenAI Team}}", "OpenAI Team"),
        ("von Hippel, Eric", "Eric von Hippel"),
        ("Reagle, Jr., Joseph M.", "Joseph M. Reagle Jr."),
        ("Garcia Marquez, Gabriel", "Garcia Marquez, Gabriel"),  # would not split back
        ("{St-Charles}, Pierre-Luc", "Pierre-Luc St-Charles"),
        (r"M{\"u}ller, J{\"o}rg", "Jörg Müller"),
        ("Ana Smith", "Ana Smith"),
    ],
)
def test_names_are_decoded(raw, name):
    assert decode_name(raw) == name


# ---------------------------------------------------------------- export again


def _import_samples():
    records = []
    for path in SAMPLES:
        found, _ = parse_bibtex(path.read_text(encoding="utf-8"), path.name)
        records += found
    papers = [paper_from_record(r, i) for i, r in enumerate(records, 1)]
    keys = {key: record for (_, key), record in zip(citation_keys(papers), records)}
    return papers, keys


# Warnings that describe data missing (or malformed) in the source entries
# themselves; each is checked against the imported record before it is allowed.
_BIBTEX_EMPTY = re.compile(r"^bibtex/\w+: Warning--empty (\w+) in (\S+)$")
_BIBTEX_VOLUME_NUMBER = re.compile(r"^bibtex/\w+: Warning--can't use both volume and number fields in (\S+)$")
_BIBER_MISSING = re.compile(
    r"^(?:biber-tool|biblatex/biber): WARN - Datamodel: Entry '([^']+)' \(refs\.bib\): Missing mandatory field (?:'(\w+)'|- one of 'date, year' must be defined)$"
)
_BIBER_NOT_INTEGER = re.compile(
    r"^(?:biber-tool|biblatex/biber): WARN - Datamodel: Entry '([^']+)' \(refs\.bib\): Invalid value of field '(\w+)' must be datatype 'integer' - ignoring field$"
)
# BibTeX and biblatex names of the same data.
_SAME_AS = {
    "journaltitle": "journal",
    "institution": "school",
    "school": "institution",
    "journal": "journaltitle",
    "date": "year",
}


def _source_lacks(record, field: str) -> bool:
    if field == "author":
        return not record.authors
    if field == "title":
        return not record.title
    if field == "year" and record.published:
        return False
    names = {field, _SAME_AS.get(field, field)}
    return not any(record.extra_fields.get(n, "").strip() for n in names)


def source_data_problem(problem: str, records: dict) -> bool:
    """Whether ``problem`` only reports data the imported entry itself lacks."""
    if m := _BIBTEX_EMPTY.match(problem):
        return _source_lacks(records[m[2]], m[1])
    if m := _BIBTEX_VOLUME_NUMBER.match(problem):
        extra = records[m[1]].extra_fields
        return bool(extra.get("volume") and extra.get("number"))
    if m := _BIBER_MISSING.match(problem):
        return _source_lacks(records[m[1]], m[2] or "year")
    if m := _BIBER_NOT_INTEGER.match(problem):
        return not records[m[1]].extra_fields.get(m[2], "").isdigit()
    if m := _BARE_ENTRY.match(problem):
        # An entry with a month and nothing else (JabRef's month test): exported as it came.
        record = records[m[1] or m[2]]
        return record.bibtex is not None and [n.lower() for n, _ in record.bibtex.fields] == ["month"]
    return False


_BARE_ENTRY = re.compile(
    r"^(?:bibtex/\w+: Warning--(?:to sort, need author or key|there's a month but no year) in (\S+)"
    r"|(?:biber-tool|biblatex/biber): WARN - legacy month field '\w+' in entry '([^']+)' is not an integer.*)$"
)


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_real_world_samples_round_trip_through_the_real_tools(tmp_path, fmt):
    require_tex()
    papers, records = _import_samples()
    path = tmp_path / "round-trip.bib"
    assert export_to_file(papers, fmt, path) == len(papers) == len(records)
    # Kept as UTF-8 (never dropped): U+200E marks, and in biblatex Greek such as Δ, which
    # pdflatex with T1 cannot print; everything else is checked.
    problems = check_bib(path, utf8=fmt == "biblatex", unicode_ok=True)
    unexpected = [p for p in problems if not source_data_problem(p, records)]
    assert unexpected == []
    if fmt == "bibtex":
        # ASCII but for characters with no LaTeX form.
        kept = {c for c in path.read_text(encoding="utf-8") if not c.isascii()}
        assert kept and all(to_latex(c) == c for c in kept)
    # Nothing reference managers keep for themselves comes along by default.
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"(?m)^  (groups|timestamp|file|owner|bibsource|biburl|urldate|bdsk-url-1) = ", text)


def test_round_trip_keeps_the_data(tmp_path):
    papers, _ = _import_samples()
    path = tmp_path / "again.bib"
    export_to_file(papers, "biblatex", path)
    again, problems = parse_bibtex(path.read_text(encoding="utf-8"), path.name)
    assert problems == []
    assert len(again) == len(papers)
    for before, after in zip(papers, again):
        # What LaTeX cannot hold (U+200E marks, a minus sign as "-") changes the
        # same way in the file as in one to_latex/decode_latex step.
        assert after.title == decode_latex(to_latex(before.title, utf8=True))
        assert after.authors == before.authors
        assert after.arxiv_id == before.arxiv_id
        # BibTeX has no day field (biblatex drops "day"): year and month survive.
        assert (after.published and after.published.replace(day=1)) == (
            before.published and before.published.replace(day=1)
        )
        assert after.tags == before.tags


def test_string_problems_are_reported():
    text = "@string{a = {x}}\n@string{a = {y}}\n@string{broken = {x}\n@misc{k, title = a}\n"
    records, problems = parse_bibtex(text, "x.bib")
    assert [r.title for r in records] == ["x"]
    assert problems == [
        "x.bib: line 2: @string 'a' is defined twice; the first is used",
        "x.bib: line 3: @string 'broken' cannot be read: not closed (a '}' or ',' is missing) before the next entry",
    ]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_imports_without_crashing(text):
    records, problems = parse_bibtex(text, "x.bib")
    assert all(isinstance(p, str) and "\n" not in p for p in problems)
    assert all(r.title for r in records)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_damaged_real_files_import_without_crashing(data):
    text = next(p for p in SAMPLES if p.name == "complex.bib").read_text(encoding="utf-8")
    for _ in range(data.draw(st.integers(1, 5))):
        i = data.draw(st.integers(0, len(text) - 1))
        text = text[:i] + data.draw(st.sampled_from(["", "{", "}", "@", '"', ",", "\\", "#", "="])) + text[i + 1 :]
    records, problems = parse_bibtex(text, "complex.bib")
    assert len(records) + len(problems) >= 1


# ---------------------------------------------------------------- one odd value never loses other entries

# As Zotero writes an article's printed "Key words" line: one keyword of 145 characters.
ZOTERO_KEYWORDS = (
    "Key words: Program verification – Java – Refinement calculus – Hoare logic – "
    "Specification languages – Separation logic – Model checking"
)


def test_a_keyword_too_long_for_a_tag_is_kept_whole_in_the_keywords_field():
    text = f"@article{{leino2004, title = {{Verification}}, keywords = {{{ZOTERO_KEYWORDS}}}}}\n"
    text += "@article{other, title = {Other}, keywords = {short one; " + ZOTERO_KEYWORDS + "}}\n"
    reading = read_bibtex(text, "zotero.bib")
    first, second = reading.records
    assert first.tags == [] and first.extra_fields["keywords"] == ZOTERO_KEYWORDS
    assert second.tags == ["short one"] and second.extra_fields["keywords"] == ZOTERO_KEYWORDS
    assert reading.skipped == []
    assert reading.warnings == [
        f"zotero.bib: line {n}: entry '{key}': keyword 'Key words: Program verification – Java –…' "
        "is longer than 100 characters: kept in the keywords field, not as a tag"
        for n, key in ((1, "leino2004"), (2, "other"))
    ]


def test_kept_entries_are_warnings_and_only_entries_not_imported_are_skipped():
    reading = read_bibtex(BROKEN, "refs.bib")
    assert [r.citation_key for r in reading.records] == ["good1", "good2", "dupfield", None, "undefined"]
    assert [m.split(": ", 2)[1] for m in reading.skipped] == ["line 11", "line 29", "line 34"]
    assert all("not imported" in m for m in reading.skipped)
    assert [m.split(": ", 2)[1] for m in reading.warnings] == ["line 22", "line 26", "line 32"]
    assert not any("not imported" in m for m in reading.warnings)


def test_long_values_are_kept_as_latex_source_instead_of_decoded_slowly():
    value = r"{\em x} \"o " * 20_000  # 220 KB of LaTeX: pylatexenc takes seconds on this
    started = time.perf_counter()
    reading = read_bibtex("@misc{big, title = {T}, abstract = {" + value + '}, note = {M{\\"u}ller}}', "x.bib")
    assert time.perf_counter() - started < 2
    (record,) = reading.records
    assert record.abstract == " ".join(value.split())  # every character kept
    assert record.extra_fields["note"] == "Müller"  # short values are still decoded
    assert reading.warnings == [
        "x.bib: line 1: entry 'big': field 'abstract' is longer than 64 KiB: kept as LaTeX source, not decoded"
    ]


def test_a_month_that_is_not_a_month_is_kept_as_text(library, tmp_path):
    """'Spring' is not a month macro, but it is the user's data: warned about, kept, written back."""
    from papershelf.core import exporters

    bib = tmp_path / "spring.bib"
    bib.write_text(
        "@inproceedings{k1,\n  title = {A Paper},\n  author = {Doe, Jane},\n  year = {2020},\n"
        "  month = {Spring},\n  booktitle = {Proc. X}\n}\n"
    )
    result = library.import_file(bib)
    assert any("kept as text" in w for w in result.warnings)
    out = "".join(exporters.render(library.iter_papers(library.search_ids("")), "bibtex"))
    assert "month = {Spring}" in out


def test_tex_logos_and_unknown_commands_keep_their_text():
    """The petsc library's `The {\\TeX}{Book}` was imported as "The Book": pylatexenc drops what it does not know."""
    from papershelf.core.importers.bibtex import parse_bibtex

    petsc = Path(__file__).parents[1] / "fixtures" / "bib-corpus" / "project-petsc.bib"
    text = petsc.read_text(encoding="utf-8")
    start = text.index("@Book{            knuth1986,")
    entry = text[start : text.index("\n}\n", start) + 3]
    (record,), _ = parse_bibtex(entry, "petsc.bib")
    assert record.title == "The TeXBook"

    def title(raw: str) -> str:
        (found,), _ = parse_bibtex("@article{k, title = {" + raw + "}}", "t.bib")
        return found.title

    assert title(r"About {\TeX} and \LaTeX, with \BibTeX") == "About TeX and LaTeX, with BibTeX"
    assert title(r"A \mbox{well-boxed} \hbox{word}") == "A well-boxed word"  # the argument was dropped whole
    assert title(r"The \itshape{}Deep \noopsort{b}network") == "The Deep network"  # switches and sort keys go
    assert title(r"Uses \mycustommacro here") == r"Uses \mycustommacro here"  # kept as written, not dropped
