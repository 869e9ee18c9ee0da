"""Editing a paper's fields (the entry editor and `papershelf edit`): every field, checks, undo, lossless export, names."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from papershelf.core import db, names
from papershelf.core import operations as ops
from papershelf.core.errors import ConflictError
from papershelf.core.names import Name
from papershelf.core.operations.edit import InvalidField, date_changes, parse_change
from papershelf.core.schema import FS

from ..texcheck import check_bib, require_tex
from .test_bibtex_lossless import CORPUS, diff, export, paper_by_key


@pytest.fixture
def dblp(library):
    library.import_file(CORPUS / "dblp-cvc5.bib")
    return library


def edit(library, pid, **changes):
    return library.run(ops.EditFields.of(pid, changes))


def state(library, pid):
    """Everything the library keeps about a paper, and its field sources."""
    with db.read(library.engine) as conn:
        snap = ops.snapshot(conn, [pid])
        for table in ("paper", "note"):  # a row's version counts its changes, an undo's too: not user data
            for row in snap[table]:
                row.pop("version")
        snap["sources"] = [dict(r._mapping) for r in conn.execute(select(FS).where(FS.c.paper_id == pid))]
    return snap


# --- Every field -----------------------------------------------------------------------------


def test_every_field_can_be_set_and_shows_in_the_paper_and_its_export(dblp):
    pid = dblp.resolve("MengRTB17")
    edit(
        dblp,
        pid,
        type="article",
        author=("Baoluo Meng", "Ludwig van Beethoven", "{Alphabet Mobility}"),
        editor="de Moura, Leonardo and Turing, Alan",
        title="Relational Constraints",
        year="2018",
        journal="Journal of Automated Reasoning",
        volume="12",
        number="3",
        pages="148--166",
        publisher="Springer Nature",
        doi="https://doi.org/10.1007/ABC.1",
        url="https://example.org/paper",
        note="An extra field",
        abstract="What it says.",
    )
    paper = dblp.get(pid)
    assert paper.entry_type == "article"
    assert paper.authors == ["Baoluo Meng", "Ludwig van Beethoven", "{Alphabet Mobility}"]
    assert paper.title == "Relational Constraints"
    assert paper.published == dt.date(2018, 1, 1)
    assert paper.url == "https://example.org/paper"
    assert paper.abstract == "What it says."
    extra = paper.extra_fields
    assert extra["editor"] == "Leonardo de Moura and Alan Turing"
    assert (extra["journal"], extra["volume"], extra["number"]) == ("Journal of Automated Reasoning", "12", "3")
    assert extra["pages"] == "148–166"  # decoded, as an import keeps it
    assert extra["publisher"] == "Springer Nature"
    assert extra["doi"] == "10.1007/ABC.1"
    assert extra["note"] == "An extra field"
    text = export(dblp, ids=[pid])
    assert text.startswith("@article{MengRTB17,")
    for line in (
        # joined as the file joined its names, one a line
        "  author = {Baoluo Meng and\n               van Beethoven, Ludwig and\n               {Alphabet Mobility}},",
        "  editor = {Leonardo de Moura and Turing, Alan},",  # the untouched name as written
        "  title = {Relational Constraints},",
        "  year = {2018},",
        "  pages = {148--166},",
        "  doi = {10.1007/ABC.1},",
        "  journal = {Journal of Automated Reasoning},",
    ):
        assert line in text


def test_removing_an_extra_field_and_the_result_says_what_changed(dblp):
    pid = dblp.resolve("MengRTB17")
    outcome = edit(dblp, pid, series=None, volume="10396")
    assert "series" not in dblp.get(pid).extra_fields
    assert outcome.result == [
        ("series", "Lecture Notes in Computer Science", ""),
        ("volume", "10395", "10396"),
    ]
    assert pid in outcome.changes.papers  # the entry cache and the views drop it
    assert "series" not in export(dblp, ids=[pid])


def test_a_full_date_sets_year_month_and_day_of_an_entry_with_a_year(dblp):
    paper = paper_by_key(dblp, "MengRTB17")
    changes = date_changes(paper.extra_fields, "2017-08-06")
    assert changes == {"month": "8", "day": "6"}  # the year is as it was
    dblp.run(ops.EditFields.of(paper.id, changes))
    assert dblp.get(paper.id).published == dt.date(2017, 8, 6)
    assert "  month = aug\n" in export(dblp, ids=[paper.id])


def test_a_full_date_keeps_its_day_where_the_format_has_one(dblp, tmp_path):
    pid = dblp.resolve("MengRTB17")
    before = {f: export(dblp, ids=[pid], fmt=f) for f in ("bibtex", "biblatex")}
    dblp.run(ops.EditFields.of(pid, [("date", "2025-06-21")]))
    bibtex = export(dblp, ids=[pid], fmt="bibtex")  # bibtex has no day: year and month
    doi = "  doi = {10.1007/978-3-319-63046-5_10}"
    assert diff(before["bibtex"], bibtex) == [
        "-  year = {2017},",
        "-" + doi,
        "+  year = {2025},",
        f"+{doi},",
        "+  month = jun",
    ]
    biblatex = export(dblp, ids=[pid], fmt="biblatex")
    assert diff(before["biblatex"], biblatex) == ["-  year = {2017},", "-" + doi, f"+{doi},", "+  date = {2025-06-21}"]
    assert '"issued": {"date-parts": [[2025, 6, 21]]}' in export(dblp, ids=[pid], fmt="csl-json")
    require_tex()
    bib = tmp_path / "day.bib"
    bib.write_text(biblatex, encoding="utf-8")
    assert check_bib(bib, utf8=True) == []


def test_a_date_field_is_edited_as_a_date(library):
    pid = library.import_file(_bib(library, "@article{a, title={A}, date={2019-05-03}}")).paper_ids[0]
    assert library.get(pid).published == dt.date(2019, 5, 3)
    before = export(library, ids=[pid])
    changes = date_changes(library.get(pid).extra_fields, "2020-02")
    assert changes == {"date": "2020-02"}
    library.run(ops.EditFields.of(pid, changes))
    paper = library.get(pid)
    assert paper.published == dt.date(2020, 2, 1)
    assert "day" not in paper.extra_fields  # read from the old date, gone with it
    # An export writes a changed date as year and month.
    assert diff(before, export(library, ids=[pid])) == ["-  date = {2019-05-03}", "+  year = {2020},", "+  month = feb"]


def test_a_key_edit_pins_the_key_and_renames_crossref_children(library):
    ids = library.import_file(
        _bib(library, "@inproceedings{child, title={C}, crossref={conf}}\n@proceedings{conf, title={Conf}}")
    ).paper_ids
    child, parent = ids
    library.run(ops.PinKeys((parent,), False))
    edit(library, parent, key="conf2024")
    assert library.get(parent).citation_key == "conf2024"
    assert library.get(parent).key_pinned
    assert library.get(child).extra_fields["crossref"] == "conf2024"


def test_a_taken_key_is_refused_and_nothing_changes(dblp):
    pid = dblp.resolve("MengRTB17")
    before = state(dblp, pid)
    with pytest.raises(ConflictError, match="already used"):
        edit(dblp, pid, title="Changed", key="ReynoldsB15")
    assert state(dblp, pid) == before


def test_search_finds_a_paper_by_its_edited_title_and_authors(dblp):
    pid = dblp.resolve("MengRTB17")
    edit(dblp, pid, title="Quasicrystal tilings", author="Beethoven, Ludwig van")
    assert dblp.search_ids("quasicrystal") == [pid]
    assert dblp.search_ids("beethoven") == [pid]
    assert dblp.search_ids("relational constraint solving") == []


def test_editing_a_field_an_online_source_filled_makes_it_the_users(library):
    pid = library.import_file(_bib(library, "@misc{a, title={A}}")).paper_ids[0]
    library.run(ops.CompletePapers((ops.Completion(pid, "arxiv", doi="10.1000/x1", url="https://a.org/x"),)))
    assert set(library.get(pid).filled_by) == {"doi", "url"}
    outcome = edit(library, pid, doi="10.1000/x2")
    assert set(library.get(pid).filled_by) == {"url"}
    library.run(outcome.inverse)
    assert set(library.get(pid).filled_by) == {"doi", "url"}


# --- Checks -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("year", "20x1", "year '20x1'"),
        ("year", "3024", "year '3024'"),
        ("date", "2020-13-01", "date '2020-13-01'"),
        ("month", "Smarch", "month 'Smarch'"),
        ("doi", "doi.org/whatever", "doi 'doi.org/whatever'"),
        ("doi", "11.1000/x", "doi '11.1000/x'"),
        ("pages", "twelve", "pages 'twelve'"),
        ("pages", "12--", "pages '12--'"),
        ("url", "javascript:alert(1)", "url 'javascript:alert(1)'"),
        ("url", "https://a b", "url 'https://a b'"),
        ("type", "in proceedings", "type 'in proceedings'"),
        ("key", "has space", "key 'has space'"),
        ("title", "  ", "title: cannot be empty"),
        ("keywords", "x", "keywords are the paper's tags"),
        ("eprint", "2101.00001", "arXiv id"),
        ("bad field", "x", "field 'bad field'"),
        ("author", "Smith, John and {Unclosed", "author:"),
        ("editor", "{Barnes and Noble}", "editor: a name holding 'and' can only be an author"),
        ("author", "and and", "author 'and and': a name is empty"),
        ("author", "Smith, John and and Doe, Jane", "a name is empty"),
        ("editor", "Smith, John and", "a name is empty"),
        ("pages", "12--10", "the range 12--10 runs backwards"),
        ("pages", "1--20, 40--30", "the range 40--30 runs backwards"),
        ("ids", "BansalBRT17", "ids holds the paper's other citation keys"),
        # The exports would drop it: refused here rather than lost in the .bib (review finding, issue 14).
        ("title", "Bell\x07 Labs", "title: holds the control character U+0007"),
        ("note", "escape \x1b[31m red", "note: holds the control character U+001B"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_field_and_changes_nothing(dblp, field, value, message):
    pid = dblp.resolve("MengRTB17")
    before = state(dblp, pid)
    with pytest.raises(InvalidField) as caught:
        dblp.run(ops.EditFields.of(pid, [("volume", "99"), (field, value)]))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert state(dblp, pid) == before


@pytest.mark.parametrize(
    ("field", "value", "kept"),
    [
        ("pages", "12--34", "12–34"),
        ("pages", "e123", "e123"),
        ("pages", "S1-S5", "S1-S5"),
        ("pages", "19:1--19:52", "19:1–19:52"),
        ("pages", "xi--xv, 1--20", "xi–xv, 1–20"),
        ("doi", "https://doi.org/10.1145/3230639", "10.1145/3230639"),
        ("doi", "doi:10.1145/3230639", "10.1145/3230639"),
        ("year", "1999", "1999"),
        ("url", "http://example.org/a?b=c#d", "http://example.org/a?b=c#d"),
        ("type", "InProceedings", "inproceedings"),
    ],
)
def test_good_values_are_kept_in_the_librarys_form(field, value, kept):
    assert parse_change(field, value) == (field, kept)


def test_an_empty_value_removes_a_field_on_the_command_line():
    assert parse_change("note", "") == ("note", None)
    assert parse_change("Author", "") == ("author", ())


# --- Undo -----------------------------------------------------------------------------------


def test_undo_restores_everything_exactly_and_redo_does_it_again(dblp):
    pid = dblp.resolve("MengRTB17")
    dblp.run(ops.PinKeys((pid,), False))
    before = state(dblp, pid)
    before_export = export(dblp)
    outcome = edit(
        dblp,
        pid,
        key="Meng2017",
        title="New",
        author="Turing, Alan",
        year="2020",
        pages="1--2",
        series=None,
        url="https://example.org/x",
        abstract="New abstract",
        type="article",
    )
    after = state(dblp, pid)
    redo = dblp.run(outcome.inverse)
    assert state(dblp, pid) == before
    assert export(dblp) == before_export
    assert dblp.search_ids("relational") == [pid]
    dblp.run(redo.inverse)
    assert state(dblp, pid) == after


def test_an_edit_is_one_undo_step_with_a_label(dblp):
    pid = dblp.resolve("MengRTB17")
    operation = ops.EditFields.of(pid, {"title": "T", "year": "2019"})
    assert operation.label == "Edit the title and year"
    outcome = dblp.run(operation)
    assert outcome.inverse.label == "Edit the title and year"
    assert ops.EditFields.of(pid, {"type": "book", "pages": "1", "key": "k"}).label == (
        "Edit the entry type, pages and citation key"
    )


# --- Lossless ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"pages": "148--166"}, ["-  pages = {148--165},", "+  pages = {148--166},"]),
        ({"volume": "10396"}, ["-  volume = {10395},", "+  volume = {10396},"]),
        ({"year": "2019"}, ["-  year = {2018},", "+  year = {2019},"]),
        ({"doi": "10.1007/x"}, ["-  doi = {10.1145/3230639}", "+  doi = {10.1007/x}"]),
    ],
)
def test_editing_one_field_of_a_real_entry_changes_that_field_only(dblp, changes, expected):
    key = "MengRTB17" if "pages" in changes or "volume" in changes else "DBLP:journals/tocl/CimattiGIRS18"
    before = export(dblp)
    dblp.run(ops.EditFields.of(dblp.resolve(key), changes))
    assert diff(before, export(dblp)) == expected


def test_an_edited_author_list_keeps_every_untouched_name_as_written(dblp):
    paper = paper_by_key(dblp, "MengRTB17")
    before = export(dblp)
    authors = list(paper.authors)
    authors[1] = names.stored(Name("Andrew J.", "", "Reynolds"))
    dblp.run(ops.EditFields.of(paper.id, {"author": tuple(authors)}))
    # Joined as dblp joins them, one name a line: the diff is the one name (it was the whole field on one line).
    assert diff(before, export(dblp)) == [
        "-               Andrew Reynolds and",
        "+               Reynolds, Andrew J. and",
    ]


def test_an_edit_that_changes_nothing_leaves_the_export_as_it_was(dblp):
    paper = paper_by_key(dblp, "MengRTB17")
    before = export(dblp)
    outcome = dblp.run(
        ops.EditFields.of(paper.id, {"author": tuple(paper.authors), "title": paper.title, "volume": "10395"})
    )
    assert outcome.result == []
    assert export(dblp) == before


# --- Names ---------------------------------------------------------------------------------


NAMES = [
    Name("Ludwig", "van", "Beethoven"),
    Name("Jean-Paul", "de la", "Fontaine"),
    Name("Martin Luther", "", "King", "Jr."),
    Name("Gabriel", "", "García Márquez"),
    Name("Ali", "", "Özgür"),
    Name("Qingyao", "", "Ai"),
    Name.org("Google DeepMind"),
    Name.org("Alphabet Mobility"),
    Name.org("Barnes and Noble"),
    Name("", "", "Plato"),  # a mononym: a person with a last name only
    Name("", "", "Ζεύς"),
    Name.org("Plato"),  # ticked as an organisation: kept in braces
    Name.org("Anthropic"),
]


@pytest.mark.parametrize("name", NAMES, ids=str)
def test_a_name_kept_by_the_library_gives_back_its_parts(name):
    assert names.from_stored(names.stored(name)) == name


def test_a_one_word_name_is_a_person_and_biblatex_writes_it_in_utf8(dblp):
    pid = dblp.resolve("MengRTB17")
    _, names_added = parse_change("author", "Meng, Baoluo and Ζεύς and Plato")
    assert [names.from_stored(n) for n in names_added] == [
        Name("Baoluo", "", "Meng"),
        Name(last="Ζεύς"),
        Name(last="Plato"),
    ]
    dblp.run(ops.EditFields.of(pid, [("author", names_added)]))
    biblatex = export(dblp, ids=[pid], fmt="biblatex")
    assert (
        "  author = {Baoluo Meng and\n               {Ζεύς} and\n               {Plato}}," in biblatex
    )  # UTF-8, not LaTeX
    assert names.from_stored("OpenAI Team") == Name.org("OpenAI Team")  # the import's heuristic still holds


def test_a_name_that_bibtex_would_read_otherwise_is_refused():
    assert names.check(Name("Vincent", "Van", "Gogh")) is not None
    assert names.check(Name("Jan", "", "van Dijk")) is not None
    assert names.check(Name("", "", "")) is not None
    assert names.check(Name.org("")) is not None


def test_a_bibtex_name_list_is_read_into_parts():
    assert names.parse_name_list(
        r"van Beethoven, Ludwig and {Google DeepMind} and M{\"u}ller, J. and King, Jr., M."
    ) == [
        Name("Ludwig", "van", "Beethoven"),
        Name.org("Google DeepMind"),
        Name("J.", "", "Müller"),
        Name("M.", "", "King", "Jr."),
    ]


def test_a_name_as_its_entry_wrote_it_gives_its_exact_parts():
    assert names.from_stored("Leonardo de Moura", "Leonardo de Moura") == Name("Leonardo", "de", "Moura")
    assert names.from_stored("OpenAI Team", "{OpenAI Team}") == Name.org("OpenAI Team")


_PARTS_BST = r"""ENTRY { author } { } { }
INTEGERS { n i }
FUNCTION {names}
{ author num.names$ 'n :=
  #1 'i :=
  { i n #1 + < }
  { author i "{ff}|{vv}|{ll}|{jj}" format.name$ write$ newline$
    i #1 + 'i := }
  while$
}
READ
ITERATE {names}
"""


def test_bibtex_reads_every_exported_name_as_the_parts_given(library, tmp_path):
    require_tex()
    pid = library.import_file(_bib(library, "@misc{a, title={Names}}")).paper_ids[0]
    library.run(ops.EditFields.of(pid, {"author": tuple(names.stored(n) for n in NAMES)}))
    (tmp_path / "refs.bib").write_text(export(library, ids=[pid]), encoding="utf-8")
    (tmp_path / "parts.bst").write_text(_PARTS_BST, encoding="ascii")
    (tmp_path / "doc.aux").write_text("\\citation{*}\n\\bibstyle{parts}\n\\bibdata{refs}\n", encoding="ascii")
    subprocess.run(["bibtex", "doc"], cwd=tmp_path, capture_output=True, check=False)
    lines = (tmp_path / "doc.bbl").read_text(encoding="utf-8").splitlines()
    got = [line.replace("~", " ").split("|") for line in lines if line]  # bibtex ties words with ~
    assert got[:6] == [
        ["Ludwig", "van", "Beethoven", ""],
        ["Jean-Paul", "de la", "Fontaine", ""],
        ["Martin Luther", "", "King", "Jr."],
        ["Gabriel", "", "Garc{\\'i}a M{\\'a}rquez", ""],
        ["Ali", "", '{\\"O}zg{\\"u}r', ""],
        ["Qingyao", "", "Ai", ""],
    ]
    # An organisation is one last name, braces and all (never split into first and last).
    # A one-word name too, a person's or an organisation's: a last name alone.
    assert [parts[:2] + parts[3:] for parts in got[6:]] == [["", "", ""]] * 7
    assert [parts[2] for parts in got[6:]][:3] == ["{Google DeepMind}", "{Alphabet Mobility}", "{Barnes and Noble}"]
    assert [parts[2] for parts in got[9:]][:1] + [parts[2] for parts in got[11:]] == [
        "{Plato}",
        "{Plato}",
        "{Anthropic}",
    ]


def _bib(library, text: str) -> Path:
    path = Path(library.path).parent / f"in-{abs(hash(text))}.bib"
    path.write_text(text + "\n", encoding="utf-8")
    return path
