"""Copying a library into an empty one (core.copy): every row, both directions, a reading list, and refusals."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from papershelf.core import attachments, copy, db, stored_files
from papershelf.core import operations as ops
from papershelf.core.errors import NotFoundError
from papershelf.core.library import Library
from papershelf.core.online import pdfs
from papershelf.core.operations.downloads import QueueDownloads
from papershelf.core.pdf.indexing import index_pending
from papershelf.core.schema import AT, A, Base, N, P
from tests.conftest import FIXTURES, PG_TEMPLATE, SAMPLE_TEXT, _make_template
from tests.core import pdf_helpers

BIB_CORPUS = sorted((FIXTURES / "bib-corpus").glob("*.bib"))
#: A PDF with text ("Hello world"): with a highlight and a sticky note added, the copy carries its text for
#: the search, its annotations and the note they are written into.
PDF = pdf_helpers.HELLO
MARKS = [
    pdf_helpers.Mark(page=1, kind="highlight", phrase="Hello", comment="greeting"),
    pdf_helpers.Mark(page=1, kind="note", comment="a sticky note"),
]


def fill(library: Library, tmp_path: Path, *, corpus: list[Path] = BIB_CORPUS) -> dict[str, int]:
    """Put into ``library`` a bit of everything a library holds; the paper ids the tests look at."""
    for bib in corpus:
        library.import_file(bib)
    library.import_file(SAMPLE_TEXT, listing_date=dt.date(2025, 9, 11))
    hf = library.search_ids("DocThinker")[0]  # from the listing: an arXiv id, a sighting, an abstract
    ids = [i for i in library.search_ids("") if i != hf]
    a, b, c, d = ids[:4]
    library.add_tags([a, hf], ["to-read", "Ünïcode tag"])
    library.add_tags([b], ["zeta"])
    library.add_note(a, "first note\nwith two lines")
    library.add_note(hf, "über-note: quarks")
    library.set_status([a], "read")
    library.set_status([c], "reading")
    library.set_priority([b], 3)
    library.add_to_list("Thesis", [c, a, hf], create=True)  # its order is not the ids' order
    library.add_to_list("Other", [d, a], create=True)
    library.save_search("unread ones", "status:unread")
    library.record_fetched_day(dt.date(2025, 9, 11), 49)
    library.run(ops.MarkNotDuplicate((ids[5], ids[6])))
    library.run(ops.MergePapers(ids[7], (ids[8],)))  # the merged paper's key stays as an alias
    pdfs.set_auto_download(library, ("tag", "to-read"))  # a library-wide setting
    library.run(QueueDownloads((hf,)))
    source = tmp_path / "incoming" / "paper.pdf"
    source.parent.mkdir(parents=True, exist_ok=True)
    pdf_helpers.annotate(PDF, source, MARKS)
    attachments.attach(library, hf, source)
    index_pending(library)  # its text for the search, its annotation, and the note they are written into
    return {"hf": hf, "a": a, "b": b, "c": c, "d": d}


def dump(library: Library) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table a copy writes, in primary key order, as the column types read them."""
    with db.read(library.engine) as conn:
        return {
            table.name: [dict(row._mapping) for row in conn.execute(select(table).order_by(*table.primary_key))]
            for table in copy.tables()
        }


def pdf_texts(library: Library) -> dict[int, str | None]:
    with db.read(library.engine) as conn:
        return {aid: db.pdf_fts_body(conn, aid) for aid in conn.execute(select(AT.c.id)).scalars()}


QUERIES = [
    "",
    "explainable",
    "tag:to-read",
    "über",
    "quarks",
    "world",
    "list:Thesis",
    "has:pdf",
    "has:notes",
    "-status:unread",
]


def searches(library: Library) -> dict[str, list[int]]:
    return {query: library.search_ids(query) for query in QUERIES}


@pytest.fixture
def new_location(tmp_path, request):
    """``new_location(kind)``: where an empty library of that kind goes (a new file; an empty database)."""
    made = iter(range(1, 100))

    def make(kind: str) -> Path | str:
        if kind == "sqlite":
            return tmp_path / f"copy-{next(made)}.sqlite3"
        template = request.getfixturevalue("pg_cluster").ensure_template(PG_TEMPLATE, _make_template)
        return request.getfixturevalue("pg_database")(template=template)  # the tables made, no rows

    return make


def _other(backend: str) -> str:
    return "postgresql" if backend == "sqlite" else "sqlite"


def test_every_table_is_copied_or_left_out_on_purpose():
    copied = {t.name for t in copy.tables()}
    assert copied | set(copy.SKIPPED) == set(Base.metadata.tables)
    assert not copied & set(copy.SKIPPED)
    assert set(copy.LIBRARY_WIDE) <= copied


def test_a_copy_to_the_other_backend_and_back_keeps_every_row(library, backend, tmp_path, new_location):
    marks = fill(library, tmp_path)
    before, found, texts = dump(library), searches(library), pdf_texts(library)
    assert all(before[name] for name in ("paper", "note", "tag", "list_entry", "sighting", "key_alias"))
    assert all(before[name] for name in ("not_duplicate", "attachment", "pdf_annotation", "setting", "download"))
    assert texts and all(texts.values()) and found["quarks"] == [marks["hf"]] and marks["hf"] in found["world"]
    there = Library(new_location(_other(backend)), create=True)
    back = Library(new_location(backend), create=True)
    try:
        report = copy.copy_library(library, there)
        assert report.rows["paper"] == len(before["paper"]) and report.files_copied == 1
        assert dump(there) == before
        assert searches(there) == found  # the search index was rebuilt there, PDF text included
        assert pdf_texts(there) == texts
        copy.copy_library(there, back)
        assert dump(back) == before
        assert searches(back) == found
        assert pdf_texts(back) == texts
        for target in (there, back):  # the PDF is in each copy's own files folder, with its time
            (attachment,) = attachments.all_attachments(target)
            assert not attachment.missing and stored_files.sha256_of(attachment.path) == attachment.sha256
            assert attachment.path.is_relative_to(stored_files.files_dir(target))
            assert os.stat(attachment.path).st_mtime == before["attachment"][0]["mtime"]
    finally:
        there.close()
        back.close()


def test_new_rows_after_a_copy_get_new_ids(library, backend, tmp_path, new_location):
    """PostgreSQL's id sequences go on after the copied ids (SQLite's rowids do by themselves)."""
    marks = fill(library, tmp_path, corpus=BIB_CORPUS[:1])
    with Library(new_location(_other(backend)), create=True) as there:
        copy.copy_library(library, there)
        highest = dump(there)
        note = there.add_note(marks["a"], "a note made after the copy")
        assert note > max(row["id"] for row in highest["note"])
        there.import_file(FIXTURES / "hf-daily-papers-api-sample.json")
        there.create_list("After")
        there.add_tags([marks["b"]], ["new tag"])
        with db.read(there.engine) as conn:
            assert conn.execute(select(func.max(P.c.id))).scalar_one() > max(r["id"] for r in highest["paper"])


def test_a_reading_list_copy_takes_its_papers_with_what_they_carry(library, backend, tmp_path, new_location):
    marks = fill(library, tmp_path, corpus=BIB_CORPUS[:2])
    source = dump(library)
    with Library(new_location(_other(backend)), create=True) as there:
        report = copy.copy_library(library, there, list_name="thesis")  # names ignore case, as everywhere
        assert report.rows["paper"] == 3 and report.files_copied == 1
        rows = dump(there)
        papers = [marks["c"], marks["a"], marks["hf"]]
        assert there.list_paper_ids("Thesis") == papers  # in the list's order
        assert there.lists() == [("Thesis", 3)]  # not the other lists, even where its papers are in them too
        assert sorted(r["id"] for r in rows["paper"]) == sorted(papers)
        assert rows["paper"] == [r for r in source["paper"] if r["id"] in papers]
        assert rows["note"] == [r for r in source["note"] if r["paper_id"] in papers]
        assert rows["sighting"] == [r for r in source["sighting"] if r["paper_id"] in papers]
        assert rows["pdf_annotation"] == source["pdf_annotation"]
        assert [t for t, _ in there.tags()] == ["to-read", "Ünïcode tag"]  # not "zeta": none of its papers has it
        assert there.search_ids("quarks") == [marks["hf"]]
        for name in copy.LIBRARY_WIDE + ("not_duplicate", "key_alias"):
            assert rows[name] == [], name
    with Library(new_location(backend), create=True) as other, pytest.raises(NotFoundError):
        copy.copy_library(library, other, list_name="No such list")


def test_a_destination_that_holds_anything_is_refused_and_left_as_it_was(library, backend, tmp_path, new_location):
    fill(library, tmp_path, corpus=[])
    with Library(new_location(_other(backend)), create=True) as there:
        there.create_list("Mine")  # no paper, but not empty
        with pytest.raises(copy.CopyError) as info:
            copy.copy_library(library, there)
        assert str(info.value) == (
            f"copy: {there.name} is not empty (it holds reading lists); a copy goes into a new library file or an "
            "empty shared library (papershelf init-shared URL); nothing was copied"
        )
        assert dump(there)["paper"] == [] and there.lists() == [("Mine", 0)]
    with pytest.raises(copy.CopyError, match="is both the source and the destination"):
        copy.copy_library(library, library)


def test_a_value_postgresql_cannot_hold_stops_the_copy_and_nothing_is_copied(tmp_path, pg_database):
    """SQLite keeps a NUL character in a note; PostgreSQL's text cannot: one line, the shared library stays empty."""
    with Library(tmp_path / "local.sqlite3") as local:
        local.import_file(SAMPLE_TEXT, listing_date=dt.date(2025, 9, 11))
        with db.write(local.engine) as conn:
            conn.execute(N.insert().values(paper_id=1, text="a\x00b", created_at=ops.now(), updated_at=ops.now()))
        with Library(pg_database(), create=True) as shared:
            with pytest.raises(copy.CopyError) as info:
                copy.copy_library(local, shared)
            message = str(info.value)
            assert message.startswith(f"copy: {shared.name}: ") and "NUL" in message and "\n" not in message
            assert all(rows == [] for rows in dump(shared).values())


def test_stored_pdfs_not_on_this_computer_are_counted_and_their_rows_kept(library, backend, tmp_path, new_location):
    marks = fill(library, tmp_path, corpus=[])
    (attachment,) = attachments.all_attachments(library)
    attachment.path.unlink()  # stored by another member of a shared library, or lost
    with Library(new_location(_other(backend)), create=True) as there:
        report = copy.copy_library(library, there)
        assert report.files_copied == 0 and report.files_missing == [stored_files.stored_name(attachment.sha256)]
        (copied,) = attachments.all_attachments(there)
        assert copied.paper_id == marks["hf"] and copied.missing


def test_a_copy_into_a_shared_library_leaves_the_planner_its_statistics(tmp_path, new_location):
    # Bench: until autovacuum came, a freshly copied shared library was searched with plans for an empty one.
    with Library(tmp_path / "local.sqlite3") as local, Library(new_location("postgresql")) as there:
        fill(local, tmp_path, corpus=BIB_CORPUS[:1])
        copy.copy_library(local, there)
        with there.engine.connect() as conn:
            analyzed = conn.exec_driver_sql(
                "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'paper_fts'"
            ).scalar()
    assert analyzed


def _bad_tag(conn) -> None:
    from papershelf.core.schema import PT, T

    tag = conn.execute(T.insert().values(name="to\x00read")).inserted_primary_key[0]
    conn.execute(PT.insert().values(paper_id=3, tag_id=tag))


def _bad_list(conn) -> None:
    from papershelf.core.schema import RL

    conn.execute(RL.insert().values(name="Thesis\x00", created_at=ops.now()))


@pytest.mark.parametrize(
    ("plant", "named"),
    [
        (
            lambda conn: conn.execute(
                N.insert().values(paper_id=1, text="a\x00b", created_at=ops.now(), updated_at=ops.now())
            ),
            "paper 1 ({key1}): its note 1 holds a NUL character (U+0000)",
        ),
        (
            lambda conn: conn.execute(P.update().where(P.c.id == 2).values(title="A\x00title")),
            "paper 2 ({key2}): its title",
        ),
        (
            lambda conn: conn.execute(A.update().where(A.c.paper_id == 2).values(abstract="Abs\x00tract")),
            "paper 2 ({key2}): its abstract holds",
        ),
        (
            lambda conn: conn.execute(P.update().where(P.c.id == 2).values(extra_fields={"journal": "J\x00"})),
            "paper 2 ({key2}): its BibTeX field 'journal' holds",
        ),
        (
            lambda conn: conn.execute(P.update().where(P.c.id == 2).values(authors=["Ann\x00 Lee"])),
            "paper 2 ({key2}): its authors holds",
        ),
        (_bad_tag, "the tag 'to<U+0000>read' (on paper 3 ({key3})): its name holds"),
        (_bad_list, "the reading list 'Thesis<U+0000>': its name holds"),
    ],
    ids=["note", "title", "abstract", "bibtex-field", "authors", "tag", "list-name"],
)
def test_a_nul_character_is_named_with_its_paper_and_field_and_nothing_is_copied(tmp_path, pg_database, plant, named):
    # Review: a NUL in a note stopped the copy without saying which note; one in a JSON field went through
    # as \u0000. Every text a copy carries is checked, and the first NUL found is named: never dropped.
    with Library(tmp_path / "local.sqlite3") as local:
        local.import_file(SAMPLE_TEXT, listing_date=dt.date(2025, 9, 11))
        keys = {f"key{p.id}": p.citation_key for p in local.get_many([1, 2, 3])}
        with db.write(local.engine) as conn:
            plant(conn)
        with Library(pg_database(), create=True) as shared:
            with pytest.raises(copy.CopyError) as info:
                copy.copy_library(local, shared)
            message = str(info.value)
            assert message.startswith(f"copy: {shared.name}: {named.format(**keys)}"), message
            assert message.endswith("; nothing was copied") and "\n" not in message and "\x00" not in message
            assert all(rows == [] for rows in dump(shared).values())
