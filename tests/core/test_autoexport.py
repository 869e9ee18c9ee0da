"""Live .bib files: a bound list, tag or saved search follows every change, and is not touched otherwise."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

import pytest

from papershelf.core import autoexport
from papershelf.core import operations as ops
from papershelf.core.errors import ConflictError, ExportError
from papershelf.core.fsutil import Protected
from papershelf.core.library import Library
from tests.texcheck import check_bib, require_tex

SEP11 = dt.date(2025, 9, 11)


@pytest.fixture
def shelf(library: Library, sample_text) -> Library:
    library.import_file(sample_text, listing_date=SEP11)
    ids = library.search_ids("")
    library.add_to_list("Thesis", ids[:3], create=True)
    return library


def bind(library: Library, path: Path | str, kind: str = "list", name: str = "Thesis", fmt: str = "bibtex") -> int:
    result: int = library.run(autoexport.prepare(kind, name, path, fmt)).result
    return result


def keys(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [line.split("{", 1)[1].rstrip(",") for line in text.splitlines() if line.startswith("@")]


def key_of(library: Library, pid: int) -> str:
    return library.get(pid).citation_key


def stamp(path: Path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_ino, st.st_mtime_ns


def synced(library: Library) -> list[str]:
    return [result.status for result in autoexport.sync(library)]


def test_a_bound_list_follows_adds_removes_edits_key_changes_deletes_and_undo(shelf, tmp_path):
    ids = shelf.search_ids("")
    refs = tmp_path / "refs.bib"
    bind(shelf, refs)
    assert synced(shelf) == ["written"]
    assert keys(refs) == [key_of(shelf, pid) for pid in ids[:3]]

    added = shelf.run(ops.AddToList("Thesis", (ids[5],)))
    synced(shelf)
    assert keys(refs)[-1] == key_of(shelf, ids[5])

    shelf.run(added.inverse)  # undo the add
    synced(shelf)
    assert key_of(shelf, ids[5]) not in keys(refs)

    shelf.run(ops.RemoveFromList("Thesis", (ids[0],)))
    synced(shelf)
    assert keys(refs) == [key_of(shelf, pid) for pid in ids[1:3]]

    titled = shelf.run(ops.SetTitle(ids[1], "A Title Edited by Hand"))
    synced(shelf)
    assert "A Title Edited by Hand" in refs.read_text()
    shelf.run(titled.inverse)
    synced(shelf)
    assert "A Title Edited by Hand" not in refs.read_text()

    shelf.run(ops.SetCitationKey(ids[2], "mythesis2025"))
    synced(shelf)
    assert "mythesis2025" in keys(refs)

    deleted = shelf.run(ops.DeletePapers((ids[2],)))
    synced(shelf)
    assert "mythesis2025" not in keys(refs)
    shelf.run(deleted.inverse)
    synced(shelf)
    assert "mythesis2025" in keys(refs)


def test_a_live_file_follows_the_entry_editor_and_its_undo(shelf, tmp_path):
    ids = shelf.search_ids("")
    refs = tmp_path / "refs.bib"
    bind(shelf, refs)
    synced(shelf)
    edited = shelf.run(
        ops.EditFields.of(
            ids[0], {"type": "article", "journal": "Journal of Tests", "pages": "12--34", "key": "edited2025"}
        )
    )
    assert synced(shelf) == ["written"]
    assert "edited2025" in keys(refs) and "pages = {12--34}" in refs.read_text()
    shelf.run(edited.inverse)
    assert synced(shelf) == ["written"]
    assert "edited2025" not in keys(refs) and "12--34" not in refs.read_text()


def test_a_live_file_follows_a_merge_and_its_undo_and_the_old_key_still_resolves(shelf, tmp_path):
    ids = shelf.search_ids("")
    refs = tmp_path / "refs.bib"
    bind(shelf, refs, fmt="biblatex")
    synced(shelf)
    gone = key_of(shelf, ids[1])
    merged = shelf.run(ops.MergePapers(ids[0], (ids[1],)))
    assert synced(shelf) == ["written"]
    assert keys(refs) == [key_of(shelf, ids[0]), key_of(shelf, ids[2])]
    assert f"ids = {{{gone}}}" in refs.read_text()  # \cite{old key} still works with biber
    assert shelf.resolve(gone) == ids[0]
    shelf.run(merged.inverse)
    assert synced(shelf) == ["written"]
    assert keys(refs) == [key_of(shelf, pid) for pid in ids[:3]]


def test_a_file_is_not_rewritten_when_its_content_would_not_change(shelf, tmp_path):
    ids = shelf.search_ids("")
    refs = tmp_path / "refs.bib"
    bind(shelf, refs)
    synced(shelf)
    before = stamp(refs)
    shelf.run(ops.SetTitle(ids[10], "A paper not in the list"))  # not in Thesis
    shelf.add_tags([ids[10]], ["unrelated"])
    shelf.set_status([ids[0]], "read")  # the read status is not in a .bib
    shelf.add_note(ids[0], "private")  # nor are notes, unless asked for
    assert synced(shelf) == ["unchanged"]
    assert stamp(refs) == before
    written = autoexport.bindings(shelf)[0].written_at
    assert synced(shelf) == ["unchanged"] and autoexport.bindings(shelf)[0].written_at == written


def test_the_output_is_deterministic(shelf, tmp_path):
    bind(shelf, tmp_path / "refs.bib")
    binding = autoexport.bindings(shelf)[0]
    first, _ = autoexport.render(shelf, binding)
    second, _ = autoexport.render(shelf, binding)
    assert first == second
    assert str(dt.date.today().year) + "-" not in first.split("@", 1)[0]  # no dated header before the entries


def test_exported_keys_are_pinned_once_without_a_write_each_sync(shelf, tmp_path, monkeypatch):
    ids = shelf.search_ids("")
    bind(shelf, tmp_path / "refs.bib")
    synced(shelf)
    assert all(shelf.get(pid).key_pinned for pid in ids[:3])
    assert not shelf.get(ids[10]).key_pinned
    runs: list[ops.Operation] = []
    real = shelf.run
    monkeypatch.setattr(shelf, "run", lambda op: runs.append(op) or real(op))
    synced(shelf)
    assert runs == []  # keys already pinned: a sync that changes nothing writes nothing


def test_a_tag_binding_follows_tagging_and_the_last_untag(shelf, tmp_path):
    ids = shelf.search_ids("")
    shelf.add_tags([ids[4]], ["cite-me"])
    out = tmp_path / "tagged.bib"
    bind(shelf, out, "tag", "cite-me", "biblatex")
    synced(shelf)
    assert keys(out) == [key_of(shelf, ids[4])]
    shelf.add_tags([ids[7]], ["Cite-Me"])
    synced(shelf)
    assert keys(out) == [key_of(shelf, ids[4]), key_of(shelf, ids[7])]
    shelf.remove_tags([ids[4], ids[7]], ["cite-me"])  # the tag disappears with its last paper
    assert synced(shelf) == ["written"]
    assert keys(out) == []
    assert autoexport.bindings(shelf)[0].error is None


def test_a_saved_search_binding_follows_its_query(shelf, tmp_path):
    ids = shelf.search_ids("")
    shelf.save_search("Read ones", "status:read")
    out = tmp_path / "read.bib"
    bind(shelf, out, "search", "Read ones")
    synced(shelf)
    assert keys(out) == []
    shelf.set_status([ids[3]], "read")
    synced(shelf)
    assert keys(out) == [key_of(shelf, ids[3])]


def test_a_renamed_list_keeps_its_binding_and_a_deleted_one_comes_back_with_undo(shelf, tmp_path):
    ids = shelf.search_ids("")
    refs = tmp_path / "refs.bib"
    bind(shelf, refs)
    synced(shelf)
    renamed = shelf.run(ops.RenameList("Thesis", "PhD"))
    assert autoexport.bindings(shelf)[0].name == "PhD"
    shelf.add_to_list("PhD", [ids[8]])
    synced(shelf)
    assert key_of(shelf, ids[8]) in keys(refs)
    shelf.run(renamed.inverse)
    assert autoexport.bindings(shelf)[0].name == "Thesis"

    deleted = shelf.run(ops.DeleteList("Thesis"))
    content = refs.read_bytes()
    assert autoexport.sync(shelf) == []  # the binding went with the list
    assert refs.read_bytes() == content  # the file keeps its last content
    shelf.run(deleted.inverse)
    assert synced(shelf) == ["unchanged"]
    assert autoexport.bindings(shelf)[0].error is None


def test_a_symlinked_target_keeps_its_link_and_the_target_gets_the_content(shelf, tmp_path):
    real = tmp_path / "shared" / "refs.bib"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "paper" / "refs.bib"
    link.parent.mkdir()
    link.symlink_to(real)
    bind(shelf, link)
    assert autoexport.bindings(shelf)[0].path == str(link)  # stored as given, not resolved
    assert synced(shelf) == ["written"]
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert keys(real) == keys(link) and len(keys(real)) == 3


def test_the_path_is_stored_absolute_with_home_expanded(shelf, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert autoexport.prepare("list", "Thesis", "~/a.bib", "bibtex").path == str(tmp_path / "a.bib")
    assert autoexport.prepare("list", "Thesis", "b.bib", "bibtex").path == str(tmp_path / "b.bib")


def test_a_fifo_a_folder_a_device_and_the_library_are_refused_at_bind_time(shelf, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    protect = Protected.library(shelf.path)
    for target, reason in (
        (fifo, "is not a regular file"),
        (tmp_path, "is a folder"),
        (Path("/dev/null"), "is not a regular file"),
        (shelf.path, "the library itself"),
    ):
        with pytest.raises(ExportError) as caught:
            autoexport.prepare("list", "Thesis", target, "bibtex", protect=protect)
        message = str(caught.value)
        assert reason in message and str(target) in message and "\n" not in message
    assert autoexport.bindings(shelf) == []


def test_a_path_bound_to_another_list_is_refused_and_the_same_list_rebinds(shelf, tmp_path):
    ids = shelf.search_ids("")
    shelf.add_to_list("Other", ids[5:6], create=True)
    refs = tmp_path / "refs.bib"
    first = bind(shelf, refs)
    with pytest.raises(ConflictError, match="already kept updated from the reading list 'Thesis'"):
        bind(shelf, refs, name="Other")
    with pytest.raises(ConflictError):
        autoexport.check_free(shelf, autoexport.prepare("list", "Other", refs, "bibtex"))
    rebound = shelf.run(autoexport.prepare("list", "thesis", refs, "biblatex"))
    assert rebound.result == first
    assert [b.format for b in autoexport.bindings(shelf)] == ["biblatex"]
    shelf.run(rebound.inverse)
    assert [b.format for b in autoexport.bindings(shelf)] == ["bibtex"]


def test_unbind_is_undoable_and_leaves_the_file(shelf, tmp_path):
    refs = tmp_path / "refs.bib"
    bind(shelf, refs)
    synced(shelf)
    before = autoexport.bindings(shelf)
    removed = shelf.run(autoexport.unbind(shelf, str(refs)))
    assert autoexport.bindings(shelf) == [] and refs.exists()
    shelf.run(removed.inverse)
    assert autoexport.bindings(shelf) == before  # same id, times and state


def test_a_missing_folder_is_an_error_stored_and_the_other_bindings_still_run(shelf, tmp_path):
    ids = shelf.search_ids("")
    gone = tmp_path / "gone"
    gone.mkdir()
    bind(shelf, gone / "a.bib")
    bind(shelf, tmp_path / "b.bib")
    synced(shelf)
    gone.joinpath("a.bib").unlink()
    gone.rmdir()
    shelf.add_to_list("Thesis", [ids[9]])
    results = autoexport.sync(shelf)
    assert [r.status for r in results] == ["failed", "written"]
    assert results[0].error == f"{gone / 'a.bib'}: the folder does not exist"
    assert [b.error for b in autoexport.bindings(shelf)] == [results[0].error, None]
    assert key_of(shelf, ids[9]) in keys(tmp_path / "b.bib")
    gone.mkdir()  # the folder is back: the next sync writes it and clears the error
    assert synced(shelf) == ["written", "unchanged"]
    assert [b.error for b in autoexport.bindings(shelf)] == [None, None]


def test_permission_denied_is_an_error_not_an_exception(shelf, tmp_path, monkeypatch):
    bind(shelf, tmp_path / "refs.bib")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", denied)  # what a read-only folder does (root may write anywhere)
    [result] = autoexport.sync(shelf)
    assert result.status == "failed" and result.error == f"{tmp_path / 'refs.bib'}: permission denied"


def test_a_full_disk_is_an_error_and_the_old_file_stays(shelf, tmp_path, monkeypatch):
    ids = shelf.search_ids("")
    refs = tmp_path / "out" / "refs.bib"
    refs.parent.mkdir()
    bind(shelf, refs)
    synced(shelf)
    before = refs.read_bytes()
    shelf.add_to_list("Thesis", [ids[9]])

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    [result] = autoexport.sync(shelf)
    assert result.status == "failed" and result.error == f"{refs}: the disk is full"
    assert refs.read_bytes() == before
    assert [p.name for p in refs.parent.iterdir()] == ["refs.bib"]  # no temporary file left


@pytest.mark.sqlite_only("reads the SQLite file with sqlite3")
def test_the_binding_table_is_written_only_with_the_library_connection(shelf, tmp_path):
    bind(shelf, tmp_path / "refs.bib")
    synced(shelf)
    shelf.close()
    con = sqlite3.connect(f"file:{shelf.path}?mode=ro", uri=True)
    try:
        [(kind, name, fmt, written, error)] = con.execute(
            "SELECT kind, name, format, written_at, error FROM autoexport"
        ).fetchall()
    finally:
        con.close()
    assert (kind, name, fmt, error) == ("list", "Thesis", "bibtex", None) and written


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_the_live_file_is_accepted_by_bibtex_and_biber(shelf, tmp_path, fmt):
    require_tex()
    ids = shelf.search_ids("")
    shelf.add_to_list("Thesis", ids[3:12])
    refs = tmp_path / "refs.bib"
    bind(shelf, refs, fmt=fmt)
    synced(shelf)
    assert check_bib(refs, utf8=fmt == "biblatex", unicode_ok=True) == []


def test_two_paths_to_one_file_cannot_be_bound_to_two_lists(shelf, tmp_path):
    """Review 14.1: a relative spelling, a `..` detour or a symlink is still the same file."""
    ids = shelf.search_ids("")
    shelf.add_to_list("Other", ids[5:6], create=True)
    real = tmp_path / "real" / "refs.bib"
    real.parent.mkdir()
    (tmp_path / "paper").mkdir()
    bind(shelf, real)
    synced(shelf)
    link = tmp_path / "thesis" / "refs.bib"
    link.parent.mkdir()
    link.symlink_to(real)
    for other in (tmp_path / "paper" / ".." / "real" / "refs.bib", link):
        with pytest.raises(ConflictError, match="already kept updated from the reading list 'Thesis'"):
            autoexport.check_free(shelf, autoexport.prepare("list", "Other", other, "bibtex"))
        with pytest.raises(ConflictError, match="already kept updated"):
            bind(shelf, other, name="Other")
    assert len(autoexport.bindings(shelf)) == 1
    # A file not there yet: compared by its resolved path.
    fresh = tmp_path / "real" / "new.bib"
    bind(shelf, fresh)
    with pytest.raises(ConflictError):
        bind(shelf, tmp_path / "thesis" / ".." / "real" / "new.bib", name="Other")


def test_a_bound_link_turned_to_the_library_is_refused_before_it_is_read(shelf, tmp_path, monkeypatch):
    """Review 14.2: the unchanged-comparison must not open the library (or its -wal/-shm)."""
    link = tmp_path / "link.bib"
    bind(shelf, link)
    synced(shelf)
    link.unlink()
    link.symlink_to(shelf.path)
    opened: list[str] = []
    real_open = open

    def watching(file, *args, **kwargs):
        opened.append(os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", watching)
    [result] = autoexport.sync(shelf, protect=Protected.library(shelf.path))
    assert result.status == "failed"
    assert result.error is not None and result.error.startswith(f"{link}: is the library itself")
    assert "\n" not in result.error
    assert not [name for name in opened if Path(name).resolve() == Path(shelf.path).resolve()]


def test_a_deleted_list_takes_its_binding_along_and_undo_brings_both_back(shelf, tmp_path):
    """Review 14.6: a new list of the same name must not adopt the old binding and empty the file."""
    refs = tmp_path / "refs.bib"
    bind(shelf, refs)
    synced(shelf)
    content = refs.read_bytes()
    before = autoexport.bindings(shelf)
    deleted = shelf.run(ops.DeleteList("Thesis"))
    assert autoexport.bindings(shelf) == []
    shelf.run(ops.CreateList("Thesis"))
    assert synced(shelf) == []
    assert refs.read_bytes() == content
    shelf.run(ops.DeleteList("Thesis"))
    shelf.run(deleted.inverse)
    assert autoexport.bindings(shelf) == before
    assert synced(shelf) == ["unchanged"]


def test_a_deleted_saved_search_takes_its_binding_along_and_undo_brings_it_back(shelf, tmp_path):
    refs = tmp_path / "found.bib"
    shelf.run(ops.SaveSearch("Mine", "tag:mine"))
    shelf.add_tags(shelf.search_ids("")[:2], ["mine"])
    bind(shelf, refs, kind="search", name="Mine")
    synced(shelf)
    content = refs.read_bytes()
    before = autoexport.bindings(shelf)
    deleted = shelf.run(ops.DeleteSavedSearch("Mine"))
    assert autoexport.bindings(shelf) == []
    shelf.run(ops.SaveSearch("Mine", "tag:nothing"))
    assert synced(shelf) == []
    assert refs.read_bytes() == content
    shelf.run(ops.DeleteSavedSearch("Mine"))
    shelf.run(deleted.inverse)
    assert autoexport.bindings(shelf) == before


def test_a_bound_file_is_found_and_rebound_by_any_path_to_it(shelf, tmp_path):
    real = tmp_path / "real.bib"
    link = tmp_path / "link.bib"
    link.symlink_to(real)
    first = bind(shelf, link)
    synced(shelf)
    assert autoexport.find(shelf, str(real)).id == first
    assert shelf.run(autoexport.prepare("list", "Thesis", real, "biblatex")).result == first  # no second binding
    assert [(b.path, b.format) for b in autoexport.bindings(shelf)] == [(str(link), "biblatex")]
    shelf.run(autoexport.unbind(shelf, str(real)))
    assert autoexport.bindings(shelf) == []
