"""What the user did not change goes back out exactly as it came in (issue 12).

Most entries here are real ones from the corpus in tests/fixtures/bib-corpus/
(sources and licences in its SOURCES.md); the rest are written to show one
rule each (a hostile value, two files defining one @string differently).
"""

from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path

import bibtexparser
import pytest

from papershelf.core import exporters
from papershelf.core import operations as ops
from papershelf.core.exporters.bibtex import render_entry

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "bib-corpus"


def export(library, fmt: str = "bibtex", ids=None, **opts) -> str:
    ids = library.search_ids("") if ids is None else ids
    return "".join(exporters.render(library.iter_papers(library.bibtex_order(ids)), fmt, **opts))


def diff(before: str, after: str) -> list[str]:
    """The changed lines of a unified diff, without its headers."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in lines if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def paper_by_key(library, key: str):
    return library.get(library.resolve(key))


@pytest.fixture
def dblp(library):
    library.import_file(CORPUS / "dblp-cvc5.bib")
    return library


def test_editing_the_title_of_one_entry_changes_that_line_only(dblp):
    before = export(dblp)
    paper = paper_by_key(dblp, "DBLP:journals/tocl/CimattiGIRS18")
    dblp.run(ops.SetTitle(paper.id, "Incremental Linearization for SMT"))
    assert diff(before, export(dblp)) == [
        "-  title = {Incremental Linearization for Satisfiability and Verification Modulo",
        "-               Nonlinear Arithmetic and Transcendental Functions},",
        "+  title = {Incremental Linearization for {SMT}},",
    ]


def test_a_new_tag_changes_only_the_keywords_and_keeps_the_ones_written(library, tmp_path):
    source = tmp_path / "refs.bib"
    source.write_text(
        "@article{a,\n  title = {A},\n  keywords = {Zeta functions; {L}-functions},\n  year = {2020}\n}\n",
        encoding="utf-8",
    )
    library.import_file(source)
    before = export(library)
    library.run(ops.AddTags((library.resolve("a"),), ("to read",)))
    assert diff(before, export(library)) == [
        "-  keywords = {Zeta functions; {L}-functions},",
        "+  keywords = {Zeta functions, {L}-functions, to read},",
    ]
    library.run(ops.RemoveTags((library.resolve("a"),), ("Zeta functions", "to read")))
    assert "  keywords = {{L}-functions}," in export(library)


def test_a_changed_name_list_keeps_every_name_the_user_did_not_touch_as_written(dblp):
    paper = paper_by_key(dblp, "DBLP:journals/tocl/CimattiGIRS18")
    assert paper.authors[:2] == ["Alessandro Cimatti", "Alberto Griggio"]
    edited = dataclasses.replace(paper, authors=[paper.authors[1], "Ada Lovelace", paper.authors[0]])
    entry = render_entry(edited)
    sep = " and\n               "  # dblp's: one name a line
    assert "  author = {Alberto Griggio" + sep + "Lovelace, Ada" + sep + "Alessandro Cimatti}," in entry
    # Everything else as it came.
    assert "  journal = {{ACM} Trans. Comput. Log.}," in entry


def test_keys_bibtex_accepts_are_kept_as_written(library, tmp_path):
    source = tmp_path / "keys.bib"
    source.write_text(
        "@book{alp.isa:14*1, title = {Isabelle}, year = 2014}\n@misc{国家标准2015, title = {标准}, year = 2015}\n",
        encoding="utf-8",
    )
    library.import_file(source)
    keys = [e.key for e in bibtexparser.parse_string(export(library)).entries]
    assert keys == ["alp.isa:14*1", "国家标准2015"]


def test_strings_crossrefs_and_braces_come_back_as_written(dblp, tmp_path):
    text = export(dblp)
    # dblp's @string macros, each once, before the first entry using it.
    assert text.count('@string{cav = "Computer Aided Verification (CAV)"}') == 1
    assert text.index("@string{cav") < text.index("booktitle = cav")
    parsed = bibtexparser.parse_string(text)
    original = bibtexparser.parse_file(str(CORPUS / "dblp-cvc5.bib"))
    assert {e.key: e.fields_dict["title"].value for e in parsed.entries} == {
        e.key: e.fields_dict["title"].value for e in original.entries
    }


def test_exporting_a_crossref_child_brings_its_parent_after_it(library, tmp_path):
    source = tmp_path / "proc.bib"
    source.write_text(
        "@proceedings{conf, title = {Proceedings of {X}}, year = 2015}\n"
        "@inproceedings{child, title = {A child}, crossref = {conf}, author = {Doe, Jane}}\n"
        "@misc{other, title = {Other}}\n",
        encoding="utf-8",
    )
    library.import_file(source)
    child = library.resolve("child")
    assert [e.key for e in bibtexparser.parse_string(export(library, ids=[child])).entries] == ["child", "conf"]
    # In a whole export the parent moves after its child, as bibtex requires.
    assert [e.key for e in bibtexparser.parse_string(export(library)).entries] == ["child", "other", "conf"]


def test_undoing_a_delete_brings_back_the_entry_as_written(dblp):
    before = export(dblp)
    paper = paper_by_key(dblp, "IEEE754")
    dblp.run(dblp.run(ops.DeletePapers((paper.id,))).inverse)
    assert export(dblp) == before


def test_an_import_of_the_export_gives_the_same_file(dblp, tmp_path):
    first = export(dblp)
    again = tmp_path / "again.bib"
    again.write_text(first, encoding="utf-8")
    from papershelf.core.library import Library

    with Library(tmp_path / "other.sqlite3") as other:
        other.import_file(again)
        assert export(other) == first


def test_tex_that_touches_files_is_never_written_as_tex(library, tmp_path):
    source = tmp_path / "evil.bib"
    source.write_text(
        "@misc{evil, title = {Nice \\input{/etc/passwd} title}, year = 2020, note = {\\immediate\\write18{x}}}\n",
        encoding="utf-8",
    )
    library.import_file(source)
    report = exporters.ExportReport()
    text = export(library, report=report)
    assert "\\input{" not in text and "\\write18" not in text and "\\immediate" not in text
    assert report.not_as_written == ["evil"]
    assert "evil" in report.warnings()[-1]


def test_two_files_defining_one_string_differently_both_keep_their_meaning(library, tmp_path):
    first, second = tmp_path / "a.bib", tmp_path / "b.bib"
    first.write_text('@string{pami = "IEEE PAMI"}\n@article{a, title = {A}, journal = pami}\n', encoding="utf-8")
    second.write_text(
        '@string{pami = "Pattern Analysis"}\n@article{b, title = {B}, journal = pami}\n', encoding="utf-8"
    )
    library.import_file(first)
    library.import_file(second)
    parsed = bibtexparser.parse_string(export(library))
    assert {e.key: e.fields_dict["journal"].value for e in parsed.entries} == {
        "a": "IEEE PAMI",
        "b": "Pattern Analysis",
    }


def test_a_month_with_a_day_reads_as_that_date(library, tmp_path):
    source = tmp_path / "day.bib"
    source.write_text('@misc{d, title = {D}, year = 2010, month = jun # "~21"}\n', encoding="utf-8")
    result = library.import_file(source)
    assert result.warnings == []
    paper = paper_by_key(library, "d")
    assert str(paper.published) == "2010-06-21"
    assert '  month = jun # "~21"' in export(library)
