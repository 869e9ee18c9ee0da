"""`papershelf edit ID FIELD=VALUE…`: one change, what changed printed, a bad field or value refused whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from papershelf.core.library import Library

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "bib-corpus"


@pytest.fixture
def dblp(run):
    assert run("import", str(CORPUS / "dblp-cvc5.bib"))[0] == 0


def export(run, tmp_path, ident: str) -> str:
    out = tmp_path / "out.bib"
    assert run("export", "--ids", ident, "-o", str(out))[0] == 0
    return out.read_text(encoding="utf-8")


def test_edit_sets_fields_and_prints_what_changed(run, dblp, tmp_path):
    code, out, err = run(
        "edit",
        "MengRTB17",
        "pages=148--166",
        "author=Meng, Baoluo and van Beethoven, Ludwig and {Alphabet Mobility}",
        "series=",
        "doi=https://doi.org/10.1007/978-3-319-63046-5_11",
    )
    assert code == 0, err
    assert out.splitlines() == [
        "MengRTB17: pages: '148–165' -> '148–166'",
        "MengRTB17: author: 'Baoluo Meng and Andrew Reynolds and Cesare Tinelli and Clark W. Barrett'"
        " -> 'Baoluo Meng and Ludwig van Beethoven and {Alphabet Mobility}'",
        "MengRTB17: series: 'Lecture Notes in Computer Science' -> ''",
        "MengRTB17: doi: '10.1007/978-3-319-63046-5_10' -> '10.1007/978-3-319-63046-5_11'",
    ]
    text = export(run, tmp_path, "MengRTB17")
    sep = " and\n               "  # joined as dblp joined them
    assert "  author = {Baoluo Meng" + sep + "van Beethoven, Ludwig" + sep + "{Alphabet Mobility}}," in text
    assert "  pages = {148--166}," in text
    assert "series" not in text
    assert "  doi = {10.1007/978-3-319-63046-5_11}" in text


def test_a_key_edit_renames_and_pins_the_key(run, dblp, library_path):
    code, out, _ = run("edit", "MengRTB17", "key=Meng2017", "type=article", "journal=J. Autom. Reason.")
    assert code == 0
    assert out.startswith("Meng2017: ")  # printed under the new key
    assert "Meng2017: citation key: 'MengRTB17' -> 'Meng2017'" in out
    with Library(library_path) as library:
        paper = library.get(library.resolve("Meng2017"))
    assert paper.key_pinned and paper.entry_type == "article"
    assert paper.extra_fields["journal"] == "J. Autom. Reason."


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["year=20x1"], "year '20x1'"),
        (["pages=twelve"], "pages 'twelve'"),
        (["doi=10.x/1"], "doi '10.x/1'"),
        (["url=ftp://a.org/x"], "url 'ftp://a.org/x'"),
        (["title="], "title: cannot be empty"),
        (["keywords=a, b"], "field 'keywords': keywords are the paper's tags"),
        (["pages"], "'pages' is not FIELD=VALUE"),
        (["=1"], "'=1' is not FIELD=VALUE"),
        (["bad field=1"], "field 'bad field'"),
        (["author=and and"], "author 'and and': a name is empty"),
        (["pages=12--10"], "pages '12--10': the range 12--10 runs backwards"),
        (["ids=ReynoldsB15"], "field 'ids': ids holds the paper's other citation keys"),
        # Given twice, one value would silently lose (review finding, issue 14); volume=1 comes first in argv.
        (["Volume=2"], "volume is given twice; give each field once"),
    ],
)
def test_a_bad_field_or_value_is_one_line_exit_2_and_nothing_changes(run, dblp, tmp_path, argv, message):
    before = export(run, tmp_path, "MengRTB17")
    code, out, err = run("edit", "MengRTB17", "volume=1", *argv)
    assert code == 2
    assert out == ""
    assert f"papershelf: error: edit: {message}" in err
    assert err.count("\n") == 1  # one line: a bad value is not a bad command line, so no usage
    assert export(run, tmp_path, "MengRTB17") == before


def test_long_values_are_printed_shortened(run, dblp):
    run("edit", "MengRTB17", "note=" + "a" * 5000)
    code, out, _ = run("edit", "MengRTB17", "note=" + "b" * 120_000)
    assert code == 0
    assert out == f"MengRTB17: note: '{'a' * 120}… (5000 characters)' -> '{'b' * 120}… (120000 characters)'\n"


def test_a_date_with_a_day_notes_that_bibtex_has_no_day(run, dblp, tmp_path):
    code, out, err = run("edit", "MengRTB17", "date=2025-06-21")
    assert code == 0
    assert err == "papershelf: note: bibtex has no day field: its export keeps the year and month\n"
    assert "  month = jun" in export(run, tmp_path, "MengRTB17")
    assert run("edit", "MengRTB17", "date=2024-05")[2] == ""


def test_a_taken_key_or_unknown_paper_is_exit_1_and_nothing_changes(run, dblp, tmp_path):
    before = export(run, tmp_path, "MengRTB17")
    code, _, err = run("edit", "MengRTB17", "volume=1", "key=ReynoldsB15")
    assert code == 1 and "already used by paper" in err
    assert export(run, tmp_path, "MengRTB17") == before
    code, _, err = run("edit", "NoSuchKey", "volume=1")
    assert code == 1 and "no paper" in err


def test_an_edit_that_changes_nothing_says_so(run, dblp):
    code, out, _ = run("edit", "MengRTB17", "volume=10395")
    assert (code, out) == (0, "MengRTB17: nothing changed\n")


def test_edit_help_names_the_fields(run):
    with pytest.raises(SystemExit):
        run("edit", "--help")
