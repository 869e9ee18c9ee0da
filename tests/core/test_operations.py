"""Every change is one operation: one transaction, and an inverse that puts back exactly what was there."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papershelf.core import operations as ops
from papershelf.core.errors import PapershelfError
from papershelf.core.library import Library

SEP11 = dt.date(2025, 9, 11)


def dump(library: Library) -> dict[str, list]:
    """Every row a user's data lives in, with tag and list ids replaced by names (ids are not user data)."""
    with library.engine.connect() as conn:  # either backend: the library's own engine
        con = conn.exec_driver_sql
        rows = {}
        for table in ("paper", "paper_abstract", "bibtex_source", "note", "sighting", "saved_search"):
            result = con(f"SELECT * FROM {table}")
            # A row's version counts its changes, an undo's too: bookkeeping, not user data.
            kept = [i for i, column in enumerate(result.keys()) if column != "version"]
            rows[table] = sorted((tuple(row[i] for i in kept) for row in result), key=repr)
        rows["tags"] = sorted(
            con("SELECT pt.paper_id, t.name FROM paper_tag pt JOIN tag t ON t.id = pt.tag_id").fetchall()
        )
        rows["tag_names"] = sorted(r[0] for r in con("SELECT name FROM tag"))
        rows["lists"] = sorted(con("SELECT name, created_at FROM reading_list").fetchall())
        rows["entries"] = sorted(
            con(
                "SELECT l.name, e.paper_id, e.position FROM list_entry e JOIN reading_list l ON l.id = e.list_id"
            ).fetchall()
        )
        # The search index must follow too: what each word finds.
        rows["search"] = [(q, library.search_ids(q)) for q in ("fav", "later", "attention", "remember", "status:read")]
        return rows


@pytest.fixture
def shelf(library, sample_text):
    library.import_file(sample_text, listing_date=SEP11)
    ids = library.search_ids("")
    library.add_tags(ids[:3], ["fav"])
    library.add_to_list("Group", ids[2:6], create=True)
    library.add_note(ids[4], "remember this")
    library.set_status(ids[1:3], "read")
    library.save_search("Mine", "tag:fav")
    return library


def operations(ids: list[int]) -> st.SearchStrategy[ops.Operation]:
    some = st.lists(st.sampled_from(ids[:8]), min_size=1, max_size=4).map(tuple)
    tag = st.sampled_from(["fav", "Fav", "later", "später"])
    return st.one_of(
        st.builds(ops.SetStatus, some, st.sampled_from(["unread", "reading", "read"])),
        st.builds(ops.SetPriority, some, st.integers(0, 3)),
        st.builds(ops.AddTags, some, st.lists(tag, min_size=1, max_size=2).map(tuple)),
        st.builds(ops.RemoveTags, some, st.lists(tag, min_size=1, max_size=2).map(tuple)),
        st.builds(ops.AddToList, st.sampled_from(["Group", "New one"]), some, st.just(True)),
        st.builds(ops.RemoveFromList, st.just("Group"), some),
        st.builds(ops.DeletePapers, some),
        st.builds(ops.AddNote, st.sampled_from(ids[:8]), st.sampled_from(["remember", "a note"])),
        st.builds(ops.SetTitle, st.sampled_from(ids[:8]), st.sampled_from(["A new title", "Attention again"])),
        st.builds(ops.SetCitationKey, st.sampled_from(ids[:8]), st.sampled_from(["mykey2025", "other:key"])),
        st.builds(ops.SaveSearch, st.sampled_from(["Mine", "Theirs"]), st.sampled_from(["tag:later", "attention"])),
        st.builds(ops.DeleteSavedSearch, st.sampled_from(["Mine", "Theirs"])),
        st.builds(ops.RenameList, st.just("Group"), st.sampled_from(["Group 2", "group"])),
        st.builds(ops.DeleteList, st.sampled_from(["Group", "New one"])),
        st.builds(ops.CreateList, st.sampled_from(["Group", "Empty"])),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_undo_puts_back_exactly_what_was_there_and_redo_does_it_again(shelf, data):
    """Any sequence of changes, undone in reverse, leaves every row as it was; redone, as it became."""
    ids = shelf.search_ids("")
    start = dump(shelf)
    history: list[ops.Operation] = []
    for op in data.draw(st.lists(operations(ids), min_size=1, max_size=6)):
        try:
            outcome = shelf.run(op)
        except PapershelfError:
            continue  # refused (a paper deleted earlier, a list that exists): nothing to undo
        history.append(outcome.inverse)
    end = dump(shelf)

    redo: list[ops.Operation] = []
    for inverse in reversed(history):
        redo.append(shelf.run(inverse).inverse)
    assert dump(shelf) == start

    undo_again = [shelf.run(again).inverse for again in reversed(redo)]
    assert dump(shelf) == end
    # Undo it all once more as one batch, so the next example starts from the same library.
    shelf.run(ops.Batch(tuple(reversed(undo_again))))
    assert dump(shelf) == start


def test_undoing_the_delete_of_a_saved_search_puts_it_back_as_it_was(shelf):
    """Found by the test above: the search came back under a new row id."""
    shelf.run(ops.SaveSearch("Mine", "tag:fav"))
    shelf.run(ops.SaveSearch("Other", "status:read"))
    start = dump(shelf)
    shelf.run(shelf.run(ops.DeleteSavedSearch("Mine")).inverse)
    assert dump(shelf) == start


def test_a_failing_step_changes_nothing(shelf):
    """A batch is one transaction: when its last step is refused, the first ones are not kept either."""
    ids = shelf.search_ids("")
    before = dump(shelf)
    batch = ops.Batch(
        (ops.SetStatus((ids[0],), "read"), ops.AddTags((ids[0],), ("later",)), ops.SetPriority((ids[0],), 9))
    )
    with pytest.raises(PapershelfError, match="priority 9"):
        shelf.run(batch)
    assert dump(shelf) == before


def test_undo_of_a_tag_on_many_papers_is_one_transaction(shelf, monkeypatch):
    """The old undo removed a tag in one transaction per tag; a crash between two left half of it."""
    ids = shelf.search_ids("")
    outcome = shelf.run(ops.AddTags(tuple(ids[:10]), ("later", "soon")))
    commits = []
    from papershelf.core import db

    shelf_write = db.write

    def counting(engine):
        commits.append(1)
        return shelf_write(engine)

    monkeypatch.setattr(db, "write", counting)
    shelf.run(outcome.inverse)
    assert len(commits) == 1
    assert ("later", 10) not in shelf.tags() and shelf.search_ids("soon") == []


def test_undoing_a_tag_keeps_the_ones_papers_already_had(shelf):
    ids = shelf.search_ids("")
    had = shelf.search_ids("tag:fav")
    outcome = shelf.run(ops.AddTags(tuple(ids[:6]), ("FAV",)))
    assert sorted(shelf.search_ids("tag:fav")) == sorted(ids[:6])
    shelf.run(outcome.inverse)
    assert sorted(shelf.search_ids("tag:fav")) == sorted(had)
    # and the tag keeps the spelling it had before
    assert ("fav", 3) in shelf.tags()


def test_changes_say_what_the_views_must_refresh(shelf):
    ids = shelf.search_ids("")
    status = shelf.run(ops.SetStatus((ids[0],), "read")).changes
    assert status.papers == {ids[0]} and status.statuses and status.sidebar and not status.notes
    priority = shelf.run(ops.SetPriority((ids[0],), 2)).changes
    assert priority.papers == {ids[0]} and not priority.sidebar
    note = shelf.run(ops.AddNote(ids[0], "x")).changes
    assert note.notes and note.papers == {ids[0]} and not note.sidebar
    deleted = shelf.run(ops.DeletePapers((ids[0], ids[1])))
    assert deleted.changes.removed == {ids[0], ids[1]} and deleted.changes.sidebar
    back = shelf.run(deleted.inverse).changes
    assert back.papers == back.added == {ids[0], ids[1]} and not back.removed


def test_the_list_order_comes_back_after_removing_from_the_middle(shelf):
    group = shelf.list_paper_ids("Group")
    outcome = shelf.run(ops.RemoveFromList("Group", (group[1], group[2])))
    assert outcome.result == 2
    shelf.add_to_list("Group", [group[1]])  # re-added at the end meanwhile
    shelf.run(ops.RemoveFromList("Group", (group[1],)))
    shelf.run(outcome.inverse)
    assert shelf.list_paper_ids("Group") == group


def test_a_key_imported_as_is_comes_back_on_undo_even_when_a_user_could_not_type_it(shelf):
    ids = shelf.search_ids("")
    shelf.run(ops.SetCitationKey(ids[0], "odd key", check=False))
    outcome = shelf.run(ops.SetCitationKey(ids[0], "clean2025"))
    shelf.run(outcome.inverse)
    assert shelf.get(ids[0]).citation_key == "odd key"


def _listing(path, items) -> object:
    path.write_text(json.dumps([{"paper": item} for item in items]), encoding="utf-8")
    return path


def test_an_import_is_undone_as_one_operation_and_redone_exactly(library, sample_text, tmp_path):
    """An import that fills in library papers (ids, authors, an abstract, a sighting) and adds others, undone."""
    library.import_file(sample_text, listing_date=SEP11)
    bare = _listing(
        tmp_path / "bare.json",
        [{"id": "2509.00001", "title": "A paper with no abstract yet", "submittedOnDailyAt": "2025-09-12T00:00:00Z"}],
    )
    library.import_file(bare)
    ids = library.search_ids("")
    library.add_tags(ids[:2], ["fav"])
    library.add_note(ids[0], "remember")
    titles = [library.get(pid).title for pid in ids[:3]]
    later = [
        {
            "id": f"2509.1000{i}",
            "title": title,
            "authors": [{"name": "Ada Lovelace"}],
            "publishedAt": "2025-09-10T00:00:00Z",
            "submittedOnDailyAt": "2025-09-14T00:00:00Z",
        }
        for i, title in enumerate(titles)
    ]
    later += [
        {
            "id": "2509.00001",
            "title": "A paper with no abstract yet",
            "summary": "Now it has one.",
            "submittedOnDailyAt": "2025-09-12T00:00:00Z",
        },
        {"id": "2509.20000", "title": "Something new", "submittedOnDailyAt": "2025-09-14T00:00:00Z"},
    ]
    before = dump(library)
    result = library.import_file(_listing(tmp_path / "later.json", later))
    assert (result.added, result.existing) == (1, 4)
    after = dump(library)
    assert after != before
    assert "Import" in result.undo.label

    redo = library.run(result.undo).inverse
    assert dump(library) == before
    library.run(redo)
    assert dump(library) == after


def test_undoing_an_import_keeps_what_the_user_did_since_to_other_papers(library, sample_text, tmp_path):
    library.import_file(sample_text, listing_date=SEP11)
    result = library.import_file(
        _listing(
            tmp_path / "new.json",
            [{"id": "2509.20000", "title": "Something new", "submittedOnDailyAt": "2025-09-14T00:00:00Z"}],
        )
    )
    old = library.search_ids("")[0]
    library.set_status([old], "read")
    library.run(result.undo)
    assert library.get(old).status == "read"
    assert library.count() == 49


def test_a_preview_has_nothing_to_undo(library, sample_text):
    assert library.import_file(sample_text, listing_date=SEP11, dry_run=True).undo is None


def _two_papers(library: Library, tmp_path) -> tuple[int, int]:
    library.import_file(
        _listing(
            tmp_path / "two.json",
            [
                {"id": "2509.00001", "title": "First paper", "submittedOnDailyAt": "2025-09-12T00:00:00Z"},
                {"id": "2509.00002", "title": "Second paper", "submittedOnDailyAt": "2025-09-12T00:00:00Z"},
            ],
        )
    )
    first, second = sorted(library.search_ids(""))
    return first, second


def _replace_newest(library: Library, tmp_path, pid: int, monkeypatch) -> None:
    """Another program deletes the newest paper and imports a new one, which SQLite gives the same id.

    The new one is added a day later (the guard tells papers apart by id and the second they were added).
    """
    from papershelf.core import library as library_module

    monkeypatch.setattr(library_module, "_now", lambda: dt.datetime(2031, 1, 2, 3, 4, 5))
    library.delete_papers([pid])
    library.import_file(
        _listing(
            tmp_path / "other.json",
            [{"id": "2509.99999", "title": "Completely different paper", "submittedOnDailyAt": "2025-09-13T00:00:00Z"}],
        )
    )
    assert library.get(pid).title == "Completely different paper"  # the id was reused


@pytest.mark.sqlite_only("SQLite gives a deleted paper's id to the next one; a PostgreSQL sequence never does")
def test_undo_refuses_a_paper_that_another_program_replaced_under_the_same_id(library, tmp_path, monkeypatch):
    _first, second = _two_papers(library, tmp_path)
    outcome = library.run(ops.SetStatus((second,), "read"))
    _replace_newest(library, tmp_path, second, monkeypatch)
    library.set_status([second], "reading")
    before = dump(library)
    with pytest.raises(PapershelfError, match=f"paper {second} was deleted or replaced"):
        library.run(outcome.inverse)
    assert dump(library) == before
    assert library.get(second).status == "reading"


@pytest.mark.sqlite_only("SQLite gives a deleted paper's id to the next one; a PostgreSQL sequence never does")
def test_undoing_a_delete_whose_id_was_taken_is_one_clear_refusal(library, tmp_path):
    _first, second = _two_papers(library, tmp_path)
    library.add_note(second, "mine")
    deleted = library.run(ops.DeletePapers((second,)))
    library.import_file(
        _listing(
            tmp_path / "other.json",
            [{"id": "2509.99999", "title": "Completely different paper", "submittedOnDailyAt": "2025-09-13T00:00:00Z"}],
        )
    )
    before = dump(library)
    with pytest.raises(PapershelfError, match=f"paper {second} was replaced"):
        library.run(deleted.inverse)
    assert dump(library) == before


@pytest.fixture
def tokyo_time(monkeypatch):
    """The process's local time zone is UTC+9 (the library stores local times)."""
    import time

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_changes_are_stamped_with_local_time_as_before(tokyo_time, library, sample_text):
    """Operations stamped notes, read dates and lists in UTC, where the library had always used local time."""
    library.import_file(sample_text, listing_date=SEP11)
    pid = library.search_ids("")[0]
    library.add_note(pid, "when?")
    library.set_status([pid], "read")
    library.create_list("Now")
    local = dt.datetime.now()
    paper = library.get(pid)
    for stamp in (paper.notes[0].created, paper.read_at, paper.added_at):
        assert abs(stamp - local) < dt.timedelta(minutes=5)
