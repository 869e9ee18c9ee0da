"""Two members editing one paper or note at once: versions, field-level edits, and conflicts that are never silent.

Each test runs on both backends; ``member`` opens a second :class:`Library` on the same file or database, as
another member's Papershelf would (on PostgreSQL: another connection, another session).
"""

from __future__ import annotations

import threading

import pytest

from papershelf.core import db, textmerge
from papershelf.core import operations as ops
from papershelf.core.errors import EditConflict, NotFoundError
from papershelf.core.library import Library
from papershelf.core.operations.edit import seen_values

BIB = """
@article{smith2020,
  title = {A Study of Things},
  author = {Smith, Ann and Jones, Bob},
  journal = {Journal of Things},
  year = {2020},
  volume = {3},
}
"""
NOTE = "First line.\nSecond line.\nThird line.\n"


@pytest.fixture
def pid(library, tmp_path) -> int:
    path = tmp_path / "one.bib"
    path.write_text(BIB, encoding="utf-8")
    library.import_file(path)
    (found,) = library.search_ids("")
    return found


@pytest.fixture
def member(library_location, library):
    """Another member of the same library (opened after ``library``, which made it)."""
    other = Library(library_location)
    yield other
    other.close()


def version(library: Library, table: str, row_id: int) -> int:
    with library.engine.connect() as conn:
        return int(conn.exec_driver_sql(f"SELECT version FROM {table} WHERE id = {int(row_id)}").scalar_one())


def note_text(library: Library, note_id: int) -> str:
    (note,) = [n for p in library.get_many(library.search_ids("")) for n in p.notes if n.id == note_id]
    return note.text


# --- Versions ------------------------------------------------------------------------------------


def test_a_paper_and_a_note_start_at_version_one(library, pid):
    note_id = library.add_note(pid, NOTE)
    assert version(library, "paper", pid) == 1
    assert version(library, "note", note_id) == 1
    assert library.get(pid).notes[0].version == 1


def test_every_update_of_a_row_raises_its_version_by_one(library, pid):
    library.set_status([pid], "read")
    assert version(library, "paper", pid) == 2
    library.set_priority([pid], 3)
    library.run(ops.EditFields.of(pid, {"title": "Another Title"}))
    assert version(library, "paper", pid) == 4
    note_id = library.add_note(pid, NOTE)
    library.update_note(note_id, "changed")
    library.update_note(note_id, "changed again")
    assert version(library, "note", note_id) == 3
    assert library.get(pid).notes[0].version == 3


def test_a_papers_version_is_its_own_row_not_its_notes_or_tags(library, pid):
    note_id = library.add_note(pid, NOTE)
    library.update_note(note_id, "changed")
    library.add_tags([pid], ["fav"])
    library.add_to_list("Reading", [pid], create=True)
    assert version(library, "paper", pid) == 1
    assert version(library, "note", note_id) == 2


def test_the_database_raises_the_version_whatever_writes_the_row(library, pid):
    """Another program's UPDATE (psql, sqlite3) raises it too: the trigger, not Papershelf's code, counts."""
    note_id = library.add_note(pid, NOTE)
    with library.engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE paper SET priority = 2 WHERE id = {pid}")
        conn.exec_driver_sql(f"UPDATE note SET text = 'by hand' WHERE id = {note_id}")
        conn.exec_driver_sql(f"UPDATE note SET text = 'by hand again' WHERE id = {note_id}")
    assert version(library, "paper", pid) == 2
    assert version(library, "note", note_id) == 3


def test_a_version_never_goes_back(library, pid):
    """An undo puts a whole old row back (its old version too): the version still goes forward."""
    outcome = library.run(ops.EditFields.of(pid, {"title": "Another Title"}))
    assert version(library, "paper", pid) == 2
    library.run(outcome.inverse)
    assert library.get(pid).title == "A Study of Things"
    assert version(library, "paper", pid) == 3
    with library.engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE paper SET version = 1 WHERE id = {pid}")
    assert version(library, "paper", pid) == 4


def test_a_deleted_note_comes_back_with_its_version(library, pid):
    note_id = library.add_note(pid, NOTE)
    library.update_note(note_id, "changed")
    note = library.delete_note(note_id)
    library.restore_note(note)
    assert version(library, "note", note_id) == 2


# --- Two members, different fields: both succeed -------------------------------------------------


def test_two_members_editing_different_fields_of_one_paper_both_succeed(library, member, pid):
    mine, theirs = library.get(pid), member.get(pid)  # both open the entry editor
    member.run(ops.EditFields.of(pid, {"journal": "Things Quarterly"}, base=seen_values(theirs, ["journal"])))
    library.run(ops.EditFields.of(pid, {"title": "A Better Title"}, base=seen_values(mine, ["title"])))
    for lib in (library, member):
        paper = lib.get(pid)
        assert paper.title == "A Better Title"
        assert paper.extra_fields["journal"] == "Things Quarterly"


def test_a_field_only_the_other_member_changed_keeps_their_value(library, member, pid):
    """The editor sends a field the user left as it was (the year with the month): the other's change stays."""
    mine = library.get(pid)
    member.run(ops.EditFields.of(pid, {"year": "2021"}, base=seen_values(member.get(pid), ["year"])))
    library.run(ops.EditFields.of(pid, {"year": "2020", "volume": "4"}, base=seen_values(mine, ["year", "volume"])))
    paper = library.get(pid)
    assert (paper.extra_fields["year"], paper.extra_fields["volume"]) == ("2021", "4")


def test_both_members_making_the_same_change_is_no_conflict(library, member, pid):
    mine = library.get(pid)
    member.run(ops.EditFields.of(pid, {"volume": "7"}, base=seen_values(member.get(pid), ["volume"])))
    library.run(ops.EditFields.of(pid, {"volume": "7"}, base=seen_values(mine, ["volume"])))
    assert library.get(pid).extra_fields["volume"] == "7"


# --- Two members, the same field: the second is told, nothing is written ----------------------------


def test_the_same_field_changed_by_both_is_a_conflict_naming_every_field_and_nothing_is_saved(library, member, pid):
    mine = library.get(pid)
    member.run(
        ops.EditFields.of(
            pid, {"title": "Their Title", "volume": "5"}, base=seen_values(member.get(pid), ["title", "volume"])
        )
    )
    before = version(library, "paper", pid)
    edit = ops.EditFields.of(
        pid,
        {"title": "My Title", "volume": "6", "journal": "My Journal"},
        base=seen_values(mine, ["title", "volume", "journal"]),
    )
    with pytest.raises(EditConflict) as caught:
        library.run(edit)
    exc = caught.value
    assert [(c.field, c.base, c.theirs, c.mine) for c in exc.clashes] == [
        ("title", "A Study of Things", "Their Title", "My Title"),
        ("volume", "3", "5", "6"),
    ]
    assert exc.merged is None  # one line each: nothing to merge
    assert exc.paper_id == pid and exc.note_id is None
    assert str(exc) == (
        f"the title and volume of paper {pid} (smith2020) were changed by someone else while you edited them;"
        " nothing was saved"
    )
    paper = library.get(pid)
    assert (paper.title, paper.extra_fields["volume"], paper.extra_fields["journal"]) == (
        "Their Title",
        "5",
        "Journal of Things",
    )
    assert version(library, "paper", pid) == before
    # Keep Mine: the same edit against what the user has now seen.
    library.run(ops.EditFields.of(pid, edit.changes, base={c.field: c.theirs for c in exc.clashes}))
    assert library.get(pid).title == "My Title"


def test_a_long_field_changed_on_different_lines_offers_the_merge(library, member, pid):
    library.run(ops.EditFields.of(pid, {"abstract": NOTE}))
    mine = library.get(pid)
    member.run(
        ops.EditFields.of(
            pid, {"abstract": NOTE.replace("First", "1st")}, base=seen_values(member.get(pid), ["abstract"])
        )
    )
    with pytest.raises(EditConflict) as caught:
        library.run(
            ops.EditFields.of(pid, {"abstract": NOTE.replace("Third", "3rd")}, base=seen_values(mine, ["abstract"]))
        )
    assert caught.value.merged == "1st line.\nSecond line.\n3rd line."  # as the library keeps it: trimmed


def test_without_a_base_an_edit_is_written_as_before(library, member, pid):
    member.run(ops.EditFields.of(pid, {"title": "Their Title"}))
    library.run(ops.EditFields.of(pid, {"title": "My Title"}))
    assert library.get(pid).title == "My Title"


def test_undoing_an_edit_keeps_what_another_member_changed_since_in_other_fields(library, member, pid):
    outcome = library.run(
        ops.EditFields.of(pid, {"title": "My Title", "volume": "4"}, base=seen_values(library.get(pid), ["title"]))
    )
    member.run(ops.EditFields.of(pid, {"journal": "Their Journal"}, base=seen_values(member.get(pid), ["journal"])))
    member.set_status([pid], "read")
    redo = library.run(outcome.inverse).inverse
    paper = library.get(pid)
    assert (paper.title, paper.extra_fields["volume"]) == ("A Study of Things", "3")
    assert (paper.extra_fields["journal"], paper.status) == ("Their Journal", "read")
    library.run(redo)
    paper = library.get(pid)
    assert (paper.title, paper.extra_fields["volume"], paper.extra_fields["journal"]) == (
        "My Title",
        "4",
        "Their Journal",
    )


def rows(library: Library, pid: int) -> dict:
    """Everything the library keeps about the paper but the rows' versions (an undo is a change too)."""
    with db.read(library.engine) as conn:
        snap = ops.snapshot(conn, [pid])
    for table in ("paper", "note"):
        for row in snap[table]:
            row.pop("version")
    return snap


def test_undo_and_redo_of_an_edit_made_against_a_base_put_back_exactly_what_was_there(library, pid):
    changes = {
        "key": "Smith2020x",
        "title": "New",
        "author": "Turing, Alan",
        "year": "2021",
        "volume": None,
        "pages": "1--2",
        "url": "https://example.org/x",
        "abstract": "New abstract",
        "type": "inproceedings",
    }
    before = rows(library, pid)
    outcome = library.run(ops.EditFields.of(pid, changes, base=seen_values(library.get(pid), changes)))
    after = rows(library, pid)
    redo = library.run(outcome.inverse).inverse
    assert rows(library, pid) == before
    library.run(redo)
    assert rows(library, pid) == after


def test_undoing_an_edit_of_a_field_someone_else_changed_since_is_refused(library, member, pid):
    outcome = library.run(ops.EditFields.of(pid, {"title": "My Title"}, base=seen_values(library.get(pid), ["title"])))
    member.run(ops.EditFields.of(pid, {"title": "Their Title"}, base={"title": "My Title"}))
    with pytest.raises(EditConflict) as caught:
        library.run(outcome.inverse)
    clash = caught.value.clashes[0]
    assert (clash.field, clash.base, clash.theirs, clash.mine) == (
        "title",
        "My Title",
        "Their Title",
        "A Study of Things",
    )
    assert library.get(pid).title == "Their Title"


# --- Notes --------------------------------------------------------------------------------------


def test_the_second_edit_of_a_note_is_a_conflict_with_both_versions_and_their_merge(library, member, pid):
    note_id = library.add_note(pid, NOTE)
    theirs = NOTE.replace("First", "1st")
    mine = NOTE.replace("Third", "3rd")
    member.run(ops.UpdateNote(note_id, theirs, base=NOTE))
    before = version(library, "note", note_id)
    with pytest.raises(EditConflict) as caught:
        library.run(ops.UpdateNote(note_id, mine, base=NOTE))
    exc = caught.value
    assert (exc.base, exc.theirs, exc.mine) == (NOTE, theirs, mine)
    assert exc.merged == "1st line.\nSecond line.\n3rd line.\n"
    assert (exc.what, exc.note_id, exc.paper_id) == (f"note {note_id} of paper {pid}", note_id, pid)
    assert str(exc) == (
        f"note {note_id} of paper {pid} was changed by someone else while you edited it; nothing was saved"
    )
    assert note_text(library, note_id) == theirs
    assert version(library, "note", note_id) == before
    # Use Merged: saved against the text the user has now seen.
    library.run(ops.UpdateNote(note_id, exc.merged, base=exc.theirs))
    assert note_text(member, note_id) == "1st line.\nSecond line.\n3rd line.\n"


def test_the_same_lines_changed_by_both_offer_no_merge(library, member, pid):
    note_id = library.add_note(pid, NOTE)
    member.run(ops.UpdateNote(note_id, NOTE.replace("Second", "Their second"), base=NOTE))
    with pytest.raises(EditConflict) as caught:
        library.run(ops.UpdateNote(note_id, NOTE.replace("Second", "My second"), base=NOTE))
    assert caught.value.merged is None
    assert note_text(library, note_id) == NOTE.replace("Second", "Their second")


def test_the_same_text_written_by_both_is_no_conflict_and_writes_nothing(library, member, pid):
    note_id = library.add_note(pid, NOTE)
    member.run(ops.UpdateNote(note_id, "Same words.", base=NOTE))
    outcome = library.run(ops.UpdateNote(note_id, "Same words.", base=NOTE))
    assert not outcome.changes.papers
    assert version(library, "note", note_id) == 2


def test_a_note_deleted_meanwhile_is_a_conflict_that_keeps_the_text(library, member, pid):
    note_id = library.add_note(pid, NOTE)
    member.delete_note(note_id)
    with pytest.raises(EditConflict) as caught:
        library.run(ops.UpdateNote(note_id, "my words", base=NOTE))
    exc = caught.value
    assert exc.deleted and exc.theirs is None and exc.mine == "my words" and exc.merged is None
    assert str(exc) == f"note {note_id} was deleted by someone else while you edited it; nothing was saved"
    with pytest.raises(NotFoundError):  # an old caller, without a base: as before
        library.run(ops.UpdateNote(note_id, "my words"))


def test_without_a_base_the_last_note_edit_wins_as_before(library, member, pid):
    note_id = library.add_note(pid, NOTE)
    member.update_note(note_id, "theirs")
    library.update_note(note_id, "mine")
    assert note_text(member, note_id) == "mine"


def test_undoing_a_note_edit_never_overwrites_a_later_edit_by_someone_else(library, member, pid):
    note_id = library.add_note(pid, NOTE)
    outcome = library.run(ops.UpdateNote(note_id, "mine", base=NOTE))
    member.run(ops.UpdateNote(note_id, "theirs, later", base="mine"))
    with pytest.raises(EditConflict):
        library.run(outcome.inverse)
    assert note_text(library, note_id) == "theirs, later"


def test_an_undo_of_a_note_edit_nobody_touched_since_puts_the_text_back(library, pid):
    note_id = library.add_note(pid, NOTE)
    outcome = library.run(ops.UpdateNote(note_id, "mine", base=NOTE))
    redo = library.run(outcome.inverse).inverse
    assert note_text(library, note_id) == NOTE
    library.run(redo)
    assert note_text(library, note_id) == "mine"


def test_members_racing_on_one_note_one_wins_and_every_other_is_told(library_location, library, pid):
    """Eight members save their edit of the same text at once: exactly one lands, seven get a conflict."""
    note_id = library.add_note(pid, NOTE)
    members = [Library(library_location) for _ in range(8)]
    start = threading.Barrier(len(members))
    results: dict[int, str] = {}

    def edit(index: int, lib: Library) -> None:
        start.wait()
        try:
            lib.run(ops.UpdateNote(note_id, f"member {index}\n", base=NOTE))
            results[index] = "saved"
        except EditConflict as exc:
            results[index] = f"conflict: theirs={exc.theirs!r}"

    threads = [threading.Thread(target=edit, args=(i, lib)) for i, lib in enumerate(members)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for lib in members:
        lib.close()
    (winner,) = [i for i, result in results.items() if result == "saved"]
    assert len(results) == len(members)
    assert note_text(library, note_id) == f"member {winner}\n"
    assert all(r == f"conflict: theirs='member {winner}\\n'" for i, r in results.items() if i != winner)
    assert version(library, "note", note_id) == 2


# --- The merge ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "base, mine, theirs, merged",
    [
        ("a\nb\nc\n", "A\nb\nc\n", "a\nb\nC\n", "A\nb\nC\n"),  # different lines
        ("a\nb\nc\n", "A\nb\nc\n", "a\nB\nc\n", "A\nB\nc\n"),  # neighbouring lines
        ("a\nb\nc\n", "a\nB\nc\n", "a\nX\nc\n", None),  # the same line
        ("a\nb\n", "a\nb\nmine\n", "a\nb\ntheirs\n", None),  # both added at the end: which first?
        ("a\nb\nc\n", "a\nB\nc\n", "a\nB\nC\n", "a\nB\nC\n"),  # one change both made, taken once
        ("a\nb\nc", "A\nb\nc", "a\nb\nc\nd", "A\nb\nc\nd"),  # no final newline
        ("a\nb\nc\n", "a\nc\n", "a\nb\nc\nd\n", "a\nc\nd\n"),  # a line removed, one added
        ("a\nb\nc\nd\n", "a\nd\n", "a\nb\nX\nd\n", None),  # removed what the other changed
        ("x\n", "y\n", "x\n", "y\n"),
        ("x\n", "x\n", "z\n", "z\n"),
    ],
)
def test_merge3(base, mine, theirs, merged):
    assert textmerge.merge3(base, mine, theirs) == merged
