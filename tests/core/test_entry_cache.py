"""The entry cache (exporters/cache.py): an export from it is byte for byte the export without it.

Each test compares an export of :class:`LibraryPapers` (which reads the cache
and fills it) with the same papers rendered from scratch, on the real corpus
files and on generated papers, after every kind of change a paper can get.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.generate import write_json
from papershelf.core import db, exporters, schema
from papershelf.core import operations as ops
from papershelf.core.exporters import cache
from papershelf.core.exporters.common import ExportReport
from papershelf.core.library import Library

pytestmark = pytest.mark.sqlite_only("the export cache is SQLite's: a shared library encodes every entry")

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "bib-corpus"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
VARIANTS = [
    ("bibtex", {}),
    ("biblatex", {}),
    ("bibtex", {"notes": True, "all_fields": True}),
    ("biblatex", {"abstract": False, "notes": True}),
]


def generated(folder: Path, count: int = 300) -> Path:
    """A listing of ``count`` synthetic papers (bench/generate.py: realistic titles, abstracts, authors)."""
    return write_json(folder / "generated.json", count, seed=7)


def cold(library: Library, fmt: str = "bibtex", ids=None, **opts) -> tuple[str, list[str]]:
    """The export rendered from the papers, never from the cache, and its warnings."""
    report = ExportReport()
    ids = library.bibtex_order(library.search_ids("") if ids is None else ids)
    return "".join(exporters.render(library.iter_papers(ids), fmt, report=report, **opts)), report.warnings()


def cached(library: Library, fmt: str = "bibtex", ids=None, **opts) -> tuple[str, list[str]]:
    """The export the CLI writes: from the cache, filling it."""
    report = ExportReport()
    ids = library.bibtex_order(library.search_ids("") if ids is None else ids)
    papers = exporters.LibraryPapers(library, ids)
    return "".join(exporters.render(papers, fmt, report=report, **opts)), report.warnings()


def cache_rows(library: Library) -> int:
    with db.read(library.engine) as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM entry_cache").scalar_one()


def assert_same(library: Library, fmt: str = "bibtex", **opts) -> None:
    expected = cold(library, fmt, **opts)
    assert cached(library, fmt, **opts) == expected  # the export that fills the cache
    assert cached(library, fmt, **opts) == expected  # and the one that reads it


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.bib")))
def test_a_warm_export_of_each_corpus_file_is_the_cold_one_byte_for_byte(library, name):
    library.import_file(CORPUS / name)
    for fmt, opts in VARIANTS:
        assert_same(library, fmt, **opts)
    assert cache_rows(library) > 0


def test_a_warm_export_of_generated_papers_is_the_cold_one(library, tmp_path):
    library.import_file(generated(tmp_path))
    library.import_file(FIXTURES / "hf-daily-papers-api-sample.json")
    library.import_file(CORPUS / "dblp-cvc5.bib")
    first = library.search_ids("")[0]
    library.run(ops.AddNote(first, "a note with {braces} & 50%"))
    library.run(ops.AddTags((first,), ("Reading group",)))
    for fmt, opts in VARIANTS:
        assert_same(library, fmt, **opts)
    with db.read(library.engine) as conn:
        stored = conn.exec_driver_sql("SELECT count(*) FROM entry_cache WHERE abstract_at IS NOT NULL").scalar_one()
    assert stored > 0  # abstracts are stored once, in paper_abstract


def test_the_export_uses_what_the_cache_holds(library, tmp_path):
    """White box: the text of a warm export comes from entry_cache (so the tests above test the cache)."""
    library.import_file(generated(tmp_path, 20))
    text, _ = cached(library)
    with db.write(library.engine) as conn:
        conn.exec_driver_sql("UPDATE entry_cache SET text = replace(text, 'title', 'TITLE')")
    assert cached(library)[0] == text.replace("title", "TITLE")


def test_rows_of_another_version_of_the_exporter_are_not_used(library, monkeypatch, tmp_path):
    library.import_file(generated(tmp_path, 20))
    expected, _ = cached(library)
    with db.write(library.engine) as conn:
        conn.exec_driver_sql("UPDATE entry_cache SET text = replace(text, 'title', 'TITLE')")
    monkeypatch.setattr(cache, "STAMP", "a-new-version")
    assert cached(library)[0] == expected
    with db.read(library.engine) as conn:  # and they are gone, the new version's in their place
        variants = {v for (v,) in conn.exec_driver_sql("SELECT DISTINCT variant FROM entry_cache")}
    assert variants == {cache.variant("bibtex")}
    assert variants == {"bibtex:a--:a-new-version"}


def test_two_papers_with_one_key_get_their_own_keys_from_the_cache(library, tmp_path):
    """Keys are made unique per export: a cached entry is used only under the key it was written with."""
    from papershelf.core.exporters.common import entry_key

    library.import_file(generated(tmp_path, 20))
    a, b, c = library.search_ids("")[:3]
    with db.write(library.engine) as conn:  # a key bibtex cannot use: a's entry gets one made from its data
        conn.exec_driver_sql("UPDATE paper SET citation_key = 'not a key' WHERE id = ?", (a,))
    made = entry_key(library.get(a))
    with db.write(library.engine) as conn:  # and b has that very key
        conn.exec_driver_sql("UPDATE paper SET citation_key = ? WHERE id = ?", (made.upper(), b))
    for ids in ([b], [a, b], [b, a], [a, b, c], [c, a, b], [a], [b, a]):
        assert cached(library, ids=ids) == cold(library, ids=ids)
    assert (made + "a,").lower() in cold(library, ids=[a, b])[0].lower()  # there was a clash to resolve


def test_warnings_of_a_warm_export_are_those_of_a_cold_one(library, tmp_path):
    bib = tmp_path / "odd.bib"
    bib.write_text(
        "@misc{cjk, title = {\u738b\u5c0f\u660e}, author = {\u738b, \u5c0f\u660e}}\n"
        "@misc{doi, title = {Odd DOI}, doi = {10.1/a b}}\n"
        "@misc{run, title = {Runs}, execute = {\\immediate\\write18{ls}}}\n",
        encoding="utf-8",
    )
    library.import_file(bib)
    for fmt, opts in VARIANTS:
        text, warnings = cold(library, fmt, **opts)
        assert cached(library, fmt, **opts) == (text, warnings)
        assert cached(library, fmt, **opts) == (text, warnings)
    assert cold(library)[1]  # there were warnings to compare


# --- After every kind of change, the export is the cold one -------------------------


CROSSREF = (
    "@inproceedings{child, title = {A child}, crossref = {conf}, author = {Doe, Jane}, pages = {1--2}}\n"
    "@proceedings{conf, title = {Proceedings of Somewhere}, year = {2020}, booktitle = {Somewhere}}\n"
)


def fill(library: Library, folder: Path) -> Library:
    """Real and generated entries, and a crossref child with its parent."""
    library.import_file(generated(folder, 100))
    library.import_file(FIXTURES / "hf-daily-papers-api-sample.json")
    library.import_file(CORPUS / "dblp-cvc5.bib")
    library.import_file(CORPUS / "jabref-chocolate.bib")
    bib = folder / "crossref.bib"
    bib.write_text(CROSSREF, encoding="utf-8")
    library.import_file(bib)
    return library


@pytest.fixture
def warm(library, tmp_path):
    """The library of :func:`fill`, its cache filled in every variant."""
    fill(library, tmp_path)
    for fmt, opts in VARIANTS:
        cached(library, fmt, **opts)
    assert cache_rows(library) > 0
    return library


def every_variant_is_cold(library: Library) -> None:
    for fmt, opts in VARIANTS:
        assert cached(library, fmt, **opts) == cold(library, fmt, **opts), (fmt, opts)


def by_key(library: Library, key: str) -> int:
    return library.resolve(key)


EDITS = {
    "title": lambda lib: lib.run(ops.SetTitle(by_key(lib, "child"), "A renamed child")),
    "title of a listed paper": lambda lib: lib.run(ops.SetTitle(lib.search_ids("")[-1], "New {GPT} title")),
    "key": lambda lib: lib.run(ops.SetCitationKey(by_key(lib, "child"), "kid2020")),
    "crossref parent key": lambda lib: lib.run(ops.SetCitationKey(by_key(lib, "conf"), "conf2020")),
    "tags": lambda lib: lib.run(ops.AddTags(tuple(lib.search_ids("")[:5]), ("Thesis", "zeta"))),
    "tags removed": lambda lib: lib.run(ops.RemoveTags(tuple(lib.search_ids("")), ("Thesis",))),
    "note": lambda lib: lib.run(ops.AddNote(by_key(lib, "child"), "Read §2 & the appendix")),
    "cite as": lambda lib: lib.run(ops.SetCiteAs(tuple(lib.search_ids("")), "preprint")),
    "status and priority": lambda lib: (
        lib.run(ops.SetStatus(tuple(lib.search_ids("")[:3]), "read")),
        lib.run(ops.SetPriority(tuple(lib.search_ids("")[:3]), 2)),
    ),
    "delete": lambda lib: lib.run(ops.DeletePapers((by_key(lib, "child"),))),
    "pinned keys": lambda lib: lib.run(ops.PinKeys(tuple(lib.search_ids("")), pinned=False)),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_after_each_kind_of_edit_the_export_is_the_cold_one(warm, edit):
    outcome = EDITS[edit](warm)
    every_variant_is_cold(warm)
    for done in outcome if isinstance(outcome, tuple) else (outcome,):
        warm.run(done.inverse)  # and after undoing it
    every_variant_is_cold(warm)


def test_after_notes_edited_and_deleted_the_export_is_the_cold_one(warm):
    pid = by_key(warm, "child")
    note = warm.run(ops.AddNote(pid, "first")).result
    every_variant_is_cold(warm)
    warm.run(ops.UpdateNote(note, "second {thought}"))
    every_variant_is_cold(warm)
    warm.run(ops.DeleteNote(note))
    every_variant_is_cold(warm)


def test_after_a_completion_the_export_is_the_cold_one(warm):
    pid = warm.search_ids("")[0]
    done = ops.Completion(
        pid, "crossref", doi="10.1000/xyz", abstract="Filled in.", extra={"journal": "Journal of Things"}
    )
    outcome = warm.run(ops.CompletePapers((done,)))
    every_variant_is_cold(warm)
    warm.run(outcome.inverse)
    every_variant_is_cold(warm)


def test_after_an_edit_of_fields_the_export_is_the_cold_one(warm):
    pid = by_key(warm, "child")
    outcome = warm.run(ops.EditFields.of(pid, {"pages": "3--4", "publisher": "ACM"}))
    every_variant_is_cold(warm)
    warm.run(outcome.inverse)
    every_variant_is_cold(warm)


def test_after_a_key_alias_and_a_tag_renamed_the_export_is_the_cold_one(warm):
    """Writes no operation makes yet (a merge's alias, a tag's new spelling): the triggers see them too."""
    pid = by_key(warm, "child")
    warm.run(ops.AddTags((pid,), ("Alpha",)))
    every_variant_is_cold(warm)
    with db.write(warm.engine) as conn:
        conn.exec_driver_sql("INSERT INTO key_alias (key, paper_id) VALUES ('oldchild', ?)", (pid,))
    every_variant_is_cold(warm)
    with db.write(warm.engine) as conn:
        conn.exec_driver_sql("UPDATE tag SET name = 'ALPHA' WHERE name = 'Alpha'")
    every_variant_is_cold(warm)


def test_after_a_reimport_that_fills_in_fields_the_export_is_the_cold_one(warm, tmp_path):
    bib = tmp_path / "more.bib"
    bib.write_text("@inproceedings{child, title = {A child}, crossref = {conf}, note = {Now with a note}}\n")
    warm.import_file(bib)
    every_variant_is_cold(warm)


def test_after_delete_and_undo_the_export_is_the_cold_one(warm):
    ids = tuple(warm.search_ids("")[:4])
    outcome = warm.run(ops.DeletePapers(ids))
    every_variant_is_cold(warm)
    warm.run(outcome.inverse)
    every_variant_is_cold(warm)


_EDIT_NAMES = sorted(EDITS)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(_EDIT_NAMES), st.booleans()), min_size=1, max_size=4))
def test_any_sequence_of_edits_and_undos_keeps_the_export_cold(steps, tmp_path_factory):
    folder = tmp_path_factory.mktemp("seq")
    with Library(folder / "lib.sqlite3") as lib:
        fill(lib, folder)
        cached(lib, notes=True)
        for name, undo in steps:
            try:
                outcome = EDITS[name](lib)
            except Exception:  # a step that no longer applies (its paper deleted or renamed)
                continue
            if undo:
                for done in outcome if isinstance(outcome, tuple) else (outcome,):
                    lib.run(done.inverse)
            assert cached(lib, notes=True) == cold(lib, notes=True)


# --- Stale rows, read-only and busy libraries ---------------------------------------


def test_a_change_committed_during_an_export_leaves_no_stale_row(library):
    library.import_file(CORPUS / "dblp-cvc5.bib")
    ids = library.bibtex_order(library.search_ids(""))
    chunks = exporters.render(exporters.LibraryPapers(library, ids), "bibtex")
    next(chunks)  # the papers are read, their entries being encoded
    library.run(ops.SetTitle(ids[-1], "Changed while exporting"))  # another connection commits
    list(chunks)
    assert cache_rows(library) == 0  # nothing encoded from the old read was stored
    assert cached(library) == cold(library)


def test_an_export_while_another_program_writes_is_not_held_up_and_stores_nothing(library, library_path):
    library.import_file(CORPUS / "dblp-cvc5.bib")
    other = sqlite3.connect(library_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock for the whole export
        assert cached(library) == cold(library)
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert cache_rows(library) == 0


def test_an_export_without_storing_leaves_the_cache_as_it_was(library):
    library.import_file(CORPUS / "dblp-cvc5.bib")
    ids = library.search_ids("")
    text = "".join(exporters.render(exporters.LibraryPapers(library, ids, store=False), "bibtex"))
    assert cache_rows(library) == 0
    assert text == cold(library, ids=ids)[0]


def test_other_formats_of_library_papers_are_as_before(library):
    library.import_file(CORPUS / "dblp-cvc5.bib")
    ids = library.search_ids("")
    for fmt in ("csl-json", "ris", "markdown"):
        papers = exporters.LibraryPapers(library, ids)
        assert "".join(exporters.render(papers, fmt)) == "".join(exporters.render(library.iter_papers(ids), fmt))
        assert papers.count == len(ids)


def test_export_to_file_counts_the_papers_written_from_the_cache(library, tmp_path):
    library.import_file(CORPUS / "dblp-cvc5.bib")
    ids = library.search_ids("")
    for _ in range(2):
        assert exporters.export_to_file(
            exporters.LibraryPapers(library, ids + [10_000]), "bibtex", tmp_path / "a.bib"
        ) == len(ids)


# --- Invalidation cannot be forgotten ----------------------------------------------

#: Paper columns no BibTeX entry is made of (a new column is either watched by the trigger or named here).
NOT_EXPORTED_COLUMNS = {
    "id", "title_key", "first_author", "code_urls", "project_url", "listed_on", "added_at", "status",
    "read_at", "priority", "title_edited", "key_pinned", "version",
}  # fmt: skip
#: Tables with a paper_id no BibTeX entry is made of.
NOT_EXPORTED_TABLES = {"list_entry", "field_source", "not_duplicate", "entry_cache", "attachment", "download"}


def test_every_part_of_a_paper_an_entry_may_be_made_of_drops_its_cached_entries(library):
    with db.read(library.engine) as conn:
        triggers = dict(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all())
    paper_trigger = triggers["entry_cache_paper"]
    for column in schema.P.c:
        if column.name not in NOT_EXPORTED_COLUMNS:
            assert f"NEW.{column.name}" in paper_trigger, f"paper.{column.name} is not watched"
    for table in schema.Base.metadata.sorted_tables:
        refers = any(fk.column.table.name == "paper" for fk in table.foreign_keys)
        if refers and table.name not in NOT_EXPORTED_TABLES:
            for event in ("insert", "delete", "update"):
                assert f"entry_cache_{table.name}_{event}" in triggers, f"{table.name} ({event}) is not watched"


def test_the_exporters_read_no_paper_attribute_the_cache_does_not_watch():
    """The Paper attributes bibtex.py and written.py read are all watched (so a new one is not forgotten)."""
    import re

    watched = {
        "title", "abstract", "authors", "arxiv_id", "url", "published", "primary_class", "citation_key",
        "entry_type", "extra_fields", "tags", "notes", "sightings", "bibtex", "cite_as", "metadata", "aliases", "id",
    }  # fmt: skip
    folder = Path(exporters.__file__).parent
    for name in ("bibtex.py", "written.py", "common.py", "citekeys.py", "latex.py", "datamodel.py"):
        read = set(re.findall(r"\bpaper\.([a-z_]+)", (folder / name).read_text(encoding="utf-8")))
        assert read <= watched, f"{name} reads {read - watched}: watch it in migration 0005's triggers"


def test_a_stored_row_keeps_the_key_and_variant_it_was_made_for(library):
    library.import_file(CORPUS / "dblp-cvc5.bib")
    cached(library, "biblatex", notes=True)
    with db.read(library.engine) as conn:
        variants = {v for (v,) in conn.exec_driver_sql("SELECT DISTINCT variant FROM entry_cache")}
    assert variants == {cache.variant("biblatex", notes=True)}
    assert cache.STAMP in cache.variant("bibtex")


def test_the_cached_row_of_a_deleted_paper_goes_with_it(library):
    library.import_file(CORPUS / "dblp-cvc5.bib")
    cached(library)
    before = cache_rows(library)
    library.run(ops.DeletePapers((library.search_ids("")[0],)))
    assert cache_rows(library) == before - 1


def test_an_unchanged_day_keeps_the_cache(library):
    """Writes that change nothing an entry is made of (a re-import of the same file, pinning keys) keep it."""
    library.import_file(CORPUS / "dblp-cvc5.bib")
    cached(library)
    before = cache_rows(library)
    library.run(ops.PinKeys(tuple(library.search_ids(""))))
    library.run(ops.SetStatus(tuple(library.search_ids("")), "read"))
    assert cache_rows(library) == before


@pytest.mark.parametrize("fmt", ["bibtex", "ris"])
def test_progress_is_told_as_papers_are_written_and_can_stop_the_export(library, tmp_path, fmt):
    library.import_file(generated(tmp_path, 450))
    ids = library.search_ids("")
    told: list[int] = []
    exporters.export_to_file(exporters.LibraryPapers(library, ids, progress=told.append), fmt, tmp_path / "a")
    assert told == list(range(200, len(ids) + 1, 200))

    class Stop(Exception):
        pass

    def stop(done: int) -> None:
        raise Stop

    (tmp_path / "b").write_text("before", encoding="utf-8")
    with pytest.raises(exporters.ExportError):
        exporters.export_to_file(exporters.LibraryPapers(library, ids, progress=stop), fmt, tmp_path / "b")
    assert (tmp_path / "b").read_text(encoding="utf-8") == "before"


@pytest.mark.parametrize("table", ["paper", "entry_cache"])
def test_damage_met_by_an_export_is_one_line_and_nothing_is_written(library_path, tmp_path, table):
    from papershelf.core.errors import PapershelfError
    from tests.core.test_damage import damage_table, damaged_message, detach

    with Library(library_path) as lib:
        lib.import_file(generated(tmp_path, 30))
        cached(lib)
    lib = Library(library_path)
    try:
        detach(lib)
        damage_table(library_path, table)
        damaged = library_path.read_bytes()
        with pytest.raises(PapershelfError) as info:
            "".join(exporters.render(exporters.LibraryPapers(lib, range(1, 31)), "bibtex"))
        assert str(info.value) == damaged_message(library_path)
        with pytest.raises(PapershelfError, match="damaged"):
            lib.create_list("To read")
    finally:
        lib.close()
    assert library_path.read_bytes() == damaged


def test_entries_with_strings_come_from_the_cache_and_clashing_ones_do_not(library, tmp_path):
    """An entry's @strings are written before the first entry that needs them, from the cache too."""
    one, two = tmp_path / "one.bib", tmp_path / "two.bib"
    one.write_text(
        "@string{jfa = {Journal of Functional Analysis}}\n@string{mar = {March}}\n"
        "@article{a1, title = {One}, journal = jfa, year = 2001, month = mar}\n"
        "@article{a2, title = {Two}, journal = jfa, year = 2002, month = apr}\n",
        encoding="utf-8",
    )
    two.write_text(  # the same name, another journal
        "@string{jfa = {Journal of Fluid Acoustics}}\n@article{b1, title = {Three}, journal = jfa, year = 2003}\n",
        encoding="utf-8",
    )
    library.import_file(one)
    library.import_file(two)
    library.import_file(CORPUS / "dblp-cvc5.bib")
    a1, a2, b1 = (library.resolve(k) for k in ("a1", "a2", "b1"))
    orders = [[a1, a2, b1], [b1, a1, a2], [a2, b1, a1], [b1, a2], [a2, a1], None]
    for ids in orders * 2:  # the first time fills the cache, in one order or another
        for fmt, opts in VARIANTS:
            assert cached(library, fmt, ids=ids, **opts) == cold(library, fmt, ids=ids, **opts), (ids, fmt)
    with db.read(library.engine) as conn:
        stored = conn.exec_driver_sql("SELECT count(*) FROM entry_cache WHERE strings IS NOT NULL").scalar_one()
    assert stored > 0
