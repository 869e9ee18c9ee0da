"""Attached PDFs: stored by hash or linked, undo, the trash on delete, files changed or moved outside the app."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from papershelf.core import attachments as att
from papershelf.core import operations as ops
from papershelf.core.errors import PapershelfError
from papershelf.core.library import Library
from papershelf.core.records import PaperRecord

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pdfs"
#: Real PDFs from mozilla/pdf.js's test suite (see tests/fixtures/pdfs/SOURCES.md).
HELLO = FIXTURES / "asciihexdecode.pdf"
LOOP = FIXTURES / "Pages-tree-refs.pdf"


@pytest.fixture
def shelf(library: Library, tmp_path: Path) -> Library:
    records = [
        PaperRecord(title="Attention Is All You Need", authors=["Ashish Vaswani"], arxiv_id="1706.03762"),
        PaperRecord(title="A Paper With a DOI", authors=["Ada Lovelace"], extra_fields={"doi": "10.1000/XYZ123"}),
        PaperRecord(title="Third Paper", authors=["Alan Turing"]),
    ]
    _import(library, records, tmp_path)
    return library


def _import(library: Library, records: list[PaperRecord], tmp_path: Path) -> None:
    """The papers as a BibTeX file (it carries arXiv ids and DOIs), imported."""
    entries = []
    for n, r in enumerate(records, 1):
        fields = [f"title = {{{r.title}}}", f"author = {{{' and '.join(r.authors)}}}", "year = {2017}"]
        if r.arxiv_id:
            fields += [f"eprint = {{{r.arxiv_id}}}", "archiveprefix = {arXiv}"]
        if "doi" in r.extra_fields:
            fields.append(f"doi = {{{r.extra_fields['doi']}}}")
        entries.append(f"@article{{p{n},\n  " + ",\n  ".join(fields) + "\n}\n")
    bib = tmp_path / "shelf.bib"
    bib.write_text("\n".join(entries), encoding="utf-8")
    library.import_file(bib)


def ids(library: Library) -> list[int]:
    return library.search_ids("")


def pdf_copy(tmp_path: Path, source: Path = HELLO, name: str | None = None) -> Path:
    target = tmp_path / "incoming" / (name or source.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def stored_files(library: Library) -> list[str]:
    root = att.files_dir(library)
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and not p.name.startswith(".attach-")
    )


# --- Storing and linking ------------------------------------------------------------------


def test_a_stored_pdf_is_copied_by_its_hash_and_recorded(shelf, tmp_path):
    source = pdf_copy(tmp_path)
    pid = ids(shelf)[0]
    a = att.attach(shelf, pid, source)
    sha = "17cc92aa58ec48f75b01c6b6e7f8c8bade0a36f7295d0f833a16bafae854dc79"
    assert a.kind == "stored" and a.sha256 == sha and a.size == 743 and a.name == "asciihexdecode.pdf"
    assert a.path == att.files_dir(shelf) / sha[:2] / f"{sha}.pdf"
    assert a.path.read_bytes() == HELLO.read_bytes()
    assert source.exists()  # the user's file stays where it was
    assert not a.missing and a.text_state == "pending"
    assert att.pdf_for(shelf, pid) == a.path
    # Nothing but the stored file is left in the folder (no temporary file).
    assert stored_files(shelf) == [f"{sha[:2]}/{sha}.pdf"]


def test_the_same_file_twice_on_one_paper_changes_nothing(shelf, tmp_path):
    pid = ids(shelf)[0]
    first, done = att.attach_file(shelf, pid, pdf_copy(tmp_path))
    again, done_again = att.attach_file(shelf, pid, pdf_copy(tmp_path, name="renamed.pdf"))
    assert (done, done_again) == (att.ATTACHED, att.UNCHANGED) and again.id == first.id
    assert len(att.attachments_of(shelf, [pid])[pid]) == 1


def test_one_file_on_two_papers_is_stored_once(shelf, tmp_path):
    a, b = ids(shelf)[:2]
    first = att.attach(shelf, a, pdf_copy(tmp_path))
    second = att.attach(shelf, b, pdf_copy(tmp_path))
    assert first.path == second.path and len(stored_files(shelf)) == 1


def test_a_linked_pdf_stays_where_it_is(shelf, tmp_path):
    source = pdf_copy(tmp_path)
    pid = ids(shelf)[0]
    a = att.attach(shelf, pid, source, link=True)
    assert a.kind == "linked" and a.path == source
    assert stored_files(shelf) == []


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: d / "nothing.pdf", "no such file"),
        (lambda d: d, "is a folder"),
        (lambda d: (d / "notes.txt").write_text("%PD but not a PDF") and d / "notes.txt", "not a PDF"),
    ],
)
def test_what_is_not_a_pdf_is_refused_in_one_line_naming_it(shelf, tmp_path, make, message):
    bad = make(tmp_path)
    with pytest.raises(PapershelfError) as caught:
        att.attach(shelf, ids(shelf)[0], bad)
    assert message in str(caught.value) and str(bad) in str(caught.value)
    assert "\n" not in str(caught.value)
    assert att.attachments_of(shelf, ids(shelf)) == {}
    assert not att.files_dir(shelf).exists() or stored_files(shelf) == []


def test_a_damaged_pdf_is_still_attached(shelf, tmp_path):
    """Pages-tree-refs.pdf has a loop in its page tree: attaching only stores it; reading it is the sandbox's job."""
    a = att.attach(shelf, ids(shelf)[0], pdf_copy(tmp_path, LOOP))
    assert a.path.read_bytes() == LOOP.read_bytes()


def test_a_paper_that_does_not_exist_gets_nothing_and_nothing_is_stored(shelf, tmp_path):
    with pytest.raises(PapershelfError, match="no paper with id 999"):
        att.attach(shelf, 999, pdf_copy(tmp_path))
    assert not att.files_dir(shelf).exists() or stored_files(shelf) == []


def test_a_stored_file_edited_in_place_is_not_overwritten_by_a_new_copy(shelf, tmp_path):
    a, b = ids(shelf)[:2]
    first = att.attach(shelf, a, pdf_copy(tmp_path))
    edited = first.path.read_bytes() + b"%% a viewer saved highlights here\n"
    first.path.write_bytes(edited)
    second = att.attach(shelf, b, pdf_copy(tmp_path))
    assert first.path.read_bytes() == edited  # the edited file is kept as it is
    assert second.path != first.path and second.path.read_bytes() == HELLO.read_bytes()


# --- Undo, and the trash --------------------------------------------------------------------


def test_attach_is_undone_and_redone_and_the_file_goes_to_the_trash_and_back(shelf, tmp_path):
    pid = ids(shelf)[0]
    operation = att.prepare_attach(shelf, pid, pdf_copy(tmp_path))
    outcome = shelf.run(operation)
    stored = att.attachments_of(shelf, [pid])[pid][0].path
    undo = shelf.run(outcome.inverse)
    assert att.attachments_of(shelf, [pid]) == {}
    assert not stored.exists()
    trashed = att.files_dir(shelf) / ".trash" / stored.relative_to(att.files_dir(shelf))
    assert trashed.read_bytes() == HELLO.read_bytes()  # never deleted
    shelf.run(undo.inverse)
    assert stored.read_bytes() == HELLO.read_bytes() and not trashed.exists()
    assert att.attachments_of(shelf, [pid])[pid][0].path == stored


def test_deleting_a_paper_trashes_its_stored_pdf_and_undo_brings_it_back(shelf, tmp_path):
    a, b = ids(shelf)[:2]
    stored = att.attach(shelf, a, pdf_copy(tmp_path)).path
    linked_source = pdf_copy(tmp_path, LOOP)
    att.attach(shelf, a, linked_source, link=True)
    outcome = shelf.run(ops.DeletePapers((a,)))
    assert not stored.exists()
    assert linked_source.read_bytes() == LOOP.read_bytes()  # a linked file is never moved
    shelf.run(outcome.inverse)
    assert stored.read_bytes() == HELLO.read_bytes()
    restored = att.attachments_of(shelf, [a])[a]
    assert [x.kind for x in restored] == ["stored", "linked"]
    assert all(x.text_state == "pending" for x in restored)  # the text is read again
    del b


def test_a_file_another_paper_still_uses_stays_when_one_paper_is_deleted(shelf, tmp_path):
    a, b = ids(shelf)[:2]
    stored = att.attach(shelf, a, pdf_copy(tmp_path)).path
    att.attach(shelf, b, pdf_copy(tmp_path))
    shelf.delete_papers([a])
    assert stored.exists()
    shelf.delete_papers([b])
    assert not stored.exists()


def test_a_failed_delete_moves_no_file(shelf, tmp_path):
    a = ids(shelf)[0]
    stored = att.attach(shelf, a, pdf_copy(tmp_path)).path
    with pytest.raises(PapershelfError):
        shelf.run(ops.Batch((ops.DeletePapers((a,)), ops.SetStatus((a,), "read"))))  # the second step fails
    assert stored.exists()
    assert att.attachments_of(shelf, [a])[a][0].path == stored


def test_the_gui_undo_path_settles_files_too(shelf, tmp_path):
    """The app's undo runs the inverse through Library.run on its worker, as here through the runner's job."""
    from papershelf.gui.operations import _Running as _running

    a = ids(shelf)[0]
    stored = att.attach(shelf, a, pdf_copy(tmp_path)).path
    outcome = _running(ops.DeletePapers((a,)))(shelf)
    assert outcome is not None and not stored.exists()
    _running(outcome.inverse)(shelf)
    assert stored.exists()


def test_detach_trashes_and_its_undo_restores(shelf, tmp_path):
    a = ids(shelf)[0]
    first = att.attach(shelf, a, pdf_copy(tmp_path))
    outcome = shelf.run(ops.DetachPdf(first.id))
    assert not first.path.exists() and att.attachments_of(shelf, [a]) == {}
    shelf.run(outcome.inverse)
    assert first.path.exists() and att.attachments_of(shelf, [a])[a][0].id == first.id


# --- verify: files changed or moved outside the app -----------------------------------------


def test_verify_says_nothing_when_all_is_well(shelf, tmp_path):
    att.attach(shelf, ids(shelf)[0], pdf_copy(tmp_path))
    assert att.verify(shelf) == []


def test_a_changed_file_gets_its_new_hash_and_its_text_read_again(shelf, tmp_path):
    a = ids(shelf)[0]
    source = pdf_copy(tmp_path)
    first = att.attach(shelf, a, source, link=True)
    source.write_bytes(LOOP.read_bytes())
    lines = att.verify(shelf)
    assert len(lines) == 1 and "changed outside the app" in lines[0] and "asciihexdecode.pdf" in lines[0]
    now = att.attachments_of(shelf, [a])[a][0]
    assert now.id == first.id and now.sha256 == att.sha256_of(source) and now.size == LOOP.stat().st_size
    assert now.text_state == "pending"
    assert att.verify(shelf) == []


def test_a_missing_file_is_marked_never_dropped_and_found_again(shelf, tmp_path):
    a = ids(shelf)[0]
    source = pdf_copy(tmp_path)
    att.attach(shelf, a, source, link=True)
    hidden = tmp_path / "elsewhere-entirely.bin"
    source.rename(hidden)
    lines = att.verify(shelf)
    assert len(lines) == 1 and "missing" in lines[0] and str(source) in lines[0]
    assert att.attachments_of(shelf, [a])[a][0].missing
    assert att.pdf_for(shelf, a) is None
    hidden.rename(source)
    assert "found again" in att.verify(shelf)[0]
    assert att.pdf_for(shelf, a) == source


def test_a_linked_file_moved_to_a_neighbouring_folder_is_relinked(shelf, tmp_path):
    a = ids(shelf)[0]
    papers = tmp_path / "papers"
    (papers / "to-read").mkdir(parents=True)
    (papers / "done").mkdir()
    source = papers / "to-read" / "hello.pdf"
    shutil.copyfile(HELLO, source)
    att.attach(shelf, a, source, link=True)
    # A decoy with the same name but other content is not taken for it.
    shutil.copyfile(LOOP, papers / "hello.pdf")
    moved = papers / "done" / "hello.pdf"
    source.rename(moved)
    lines = att.verify(shelf)
    assert len(lines) == 1 and "found at" in lines[0] and str(moved) in lines[0]
    assert att.pdf_for(shelf, a) == moved
    assert att.verify(shelf) == []


def test_a_stored_file_deleted_by_hand_comes_back_from_the_trash_by_its_hash(shelf, tmp_path):
    a = ids(shelf)[0]
    stored = att.attach(shelf, a, pdf_copy(tmp_path)).path
    trash = att.files_dir(shelf) / ".trash" / stored.relative_to(att.files_dir(shelf))
    trash.parent.mkdir(parents=True)
    stored.rename(trash)
    lines = att.verify(shelf)
    assert len(lines) == 1 and "found" in lines[0]
    assert stored.read_bytes() == HELLO.read_bytes()


# --- Dropped PDFs ---------------------------------------------------------------------------


def _identified(monkeypatch, **fields):
    from papershelf.core.pdf import sandbox

    values = {"title": "", "authors": [], "doi": None, "arxiv_id": None} | fields
    content = SimpleNamespace(**values)
    calls: list[Path] = []

    def identify(path, **_):
        calls.append(Path(path))
        return content

    monkeypatch.setattr(sandbox, "identify", identify)
    return calls


def test_a_dropped_pdf_with_a_known_arxiv_id_goes_to_that_paper(shelf, tmp_path, monkeypatch):
    calls = _identified(monkeypatch, arxiv_id="1706.03762v5", title="Attention")
    target = shelf.resolve("1706.03762")
    dropped = att.drop(shelf, pdf_copy(tmp_path))
    assert calls and (dropped.paper_id, dropped.created) == (target, False)
    assert dropped.matched_by == "arXiv id 1706.03762"
    assert len(att.attachments_of(shelf, [target])[target]) == 1


def test_a_dropped_pdf_with_a_known_doi_in_another_case_goes_to_that_paper(shelf, tmp_path, monkeypatch):
    _identified(monkeypatch, doi="10.1000/xyz123")
    target = next(pid for pid in ids(shelf) if shelf.get(pid).title == "A Paper With a DOI")
    assert att.attach_dropped(shelf, pdf_copy(tmp_path)) == (target, False)


def test_a_dropped_pdf_nothing_matches_makes_a_paper_undone_as_one(shelf, tmp_path, monkeypatch):
    _identified(
        monkeypatch,
        title="A  Brand\nNew Result",
        authors=["Grace Hopper", "Edsger Dijkstra"],
        arxiv_id="2501.01234",
        doi="10.5555/new",
    )
    before = ids(shelf)
    operation, _ = att.prepare_dropped(shelf, pdf_copy(tmp_path))
    outcome = shelf.run(operation)
    pid, aid = outcome.result
    paper = shelf.get(pid)
    assert paper.title == "A Brand New Result" and paper.authors == ["Grace Hopper", "Edsger Dijkstra"]
    assert paper.arxiv_id == "2501.01234" and paper.extra_fields.get("doi") == "10.5555/new"
    stored = att.attachments_of(shelf, [pid])[pid][0]
    assert stored.id == aid
    shelf.run(outcome.inverse)
    assert ids(shelf) == before and not stored.path.exists()


def test_a_dropped_pdf_without_a_title_is_named_after_its_file(shelf, tmp_path, monkeypatch):
    _identified(monkeypatch)
    pid, created = att.attach_dropped(shelf, pdf_copy(tmp_path, name="my_great_paper.pdf"))
    assert created and shelf.get(pid).title == "my great paper"


def test_a_dropped_pdf_is_identified_by_the_real_sandbox(shelf, tmp_path):
    pytest.importorskip("papershelf.core.pdf.sandbox")
    pid, created = att.attach_dropped(shelf, pdf_copy(tmp_path))
    assert created and shelf.get(pid).title  # "Hello world" from the page, or the file's name
    assert att.pdf_for(shelf, pid) is not None


def test_a_dropped_file_that_is_not_a_pdf_changes_nothing(shelf, tmp_path):
    bad = tmp_path / "photo.pdf"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(64))
    before = ids(shelf)
    with pytest.raises(PapershelfError, match="not a PDF"):
        att.attach_dropped(shelf, bad)
    assert ids(shelf) == before


def test_a_damaged_dropped_pdf_is_still_attached_to_a_paper_named_after_it(shelf, tmp_path):
    """The sandbox cannot identify it (its page tree loops): it is not lost, it gets a paper of its own."""
    pid, created = att.attach_dropped(shelf, pdf_copy(tmp_path, LOOP))
    assert created and shelf.get(pid).title == "Pages-tree-refs"
    assert att.attachments_of(shelf, [pid])[pid][0].name == "Pages-tree-refs.pdf"


# --- Merging, and files that must not be lost ----------------------------------------------------


def test_merging_papers_keeps_their_pdfs_and_undo_gives_them_back(shelf, tmp_path):
    keep, other, third = ids(shelf)
    kept_file = att.attach(shelf, keep, pdf_copy(tmp_path)).path
    att.attach(shelf, other, pdf_copy(tmp_path))  # the same file: KEEP has it already
    moved = att.attach(shelf, other, pdf_copy(tmp_path, LOOP))
    outcome = shelf.run(ops.MergePapers(keep, (other,)))
    after = att.attachments_of(shelf, [keep])[keep]
    assert sorted(a.name for a in after) == ["Pages-tree-refs.pdf", "asciihexdecode.pdf"]
    assert kept_file.exists() and moved.path.exists()
    shelf.run(outcome.inverse)
    back = att.attachments_of(shelf, [keep, other])
    assert [a.name for a in back[keep]] == ["asciihexdecode.pdf"]
    assert sorted(a.name for a in back[other]) == ["Pages-tree-refs.pdf", "asciihexdecode.pdf"]
    assert kept_file.exists() and moved.path.exists()
    del third


def test_a_file_already_in_the_trash_with_other_bytes_is_moved_aside_not_overwritten(shelf, tmp_path):
    a, b = ids(shelf)[:2]
    first = att.attach(shelf, a, pdf_copy(tmp_path))
    edited = first.path.read_bytes() + b"%% highlights saved by a viewer\n"
    first.path.write_bytes(edited)
    att.verify(shelf)  # the library learns the new content (the path stays)
    shelf.delete_papers([a])
    trashed = att.files_dir(shelf) / ".trash" / first.path.relative_to(att.files_dir(shelf))
    assert trashed.read_bytes() == edited
    second = att.attach(shelf, b, pdf_copy(tmp_path))  # the original bytes, stored anew under the same name
    assert second.path == first.path
    shelf.delete_papers([b])
    assert trashed.read_bytes() == HELLO.read_bytes()
    assert trashed.with_name(trashed.stem + ".1.pdf").read_bytes() == edited  # kept, never overwritten


def test_a_stored_copy_a_failed_attach_did_not_keep_goes_to_the_trash(shelf, tmp_path):
    pid = ids(shelf)[0]
    operation = att.prepare_attach(shelf, pid, pdf_copy(tmp_path))
    shelf.delete_papers([pid])  # gone meanwhile (the app attaches on its worker)
    with pytest.raises(PapershelfError):
        att.run_attaching(shelf, operation, operation.row)
    assert [p.split("/")[0] for p in stored_files(shelf)] == [".trash"]


def test_a_linked_copy_of_a_file_the_paper_has_stored_leaves_no_stray_file(shelf, tmp_path):
    pid = ids(shelf)[0]
    att.attach(shelf, pid, pdf_copy(tmp_path), link=True)
    again, done = att.attach_file(shelf, pid, pdf_copy(tmp_path))
    assert done == att.UNCHANGED and again.kind == "linked"
    assert stored_files(shelf) == []  # not copied in, then to the trash: not copied at all


def test_a_file_a_paper_has_already_is_not_copied_into_the_files_folder(shelf, tmp_path, monkeypatch):
    """Review: an attach that said 'nothing changed' still copied the file in and then to .trash/."""
    pid = ids(shelf)[0]
    att.attach(shelf, pid, pdf_copy(tmp_path), link=True)
    copies: list[Path] = []
    real_store = att.store_file
    monkeypatch.setattr(att, "store_file", lambda library, source: copies.append(source) or real_store(library, source))
    assert att.attach_file(shelf, pid, pdf_copy(tmp_path, name="again.pdf"))[1] == att.UNCHANGED
    _identified(monkeypatch)  # dropped: found by its content hash
    dropped = att.drop(shelf, pdf_copy(tmp_path, name="dropped.pdf"))
    assert (dropped.paper_id, dropped.attached) == (pid, False)
    assert copies == [] and stored_files(shelf) == []


# --- A missing PDF attached again: found again, not refused --------------------------------------


def test_a_missing_linked_pdf_attached_again_from_elsewhere_is_relinked(shelf, tmp_path):
    """Review: `attach --link 3 elsewhere.pdf` with the missing file's content said 'already has this file'."""
    pid = ids(shelf)[0]
    source = pdf_copy(tmp_path)
    first = att.attach(shelf, pid, source, link=True)
    source.unlink()
    elsewhere = tmp_path / "elsewhere" / "moved.pdf"
    elsewhere.parent.mkdir()
    shutil.copyfile(HELLO, elsewhere)
    operation = att.prepare_attach(shelf, pid, elsewhere, link=True)
    outcome = att.run_attaching(shelf, operation, operation.row)
    now = att.attachments_of(shelf, [pid])[pid]
    assert [(a.id, a.kind, a.path, a.missing, a.name) for a in now] == [
        (first.id, "linked", elsewhere, False, "asciihexdecode.pdf")
    ]
    assert att.pdf_for(shelf, pid) == elsewhere
    shelf.run(outcome.inverse)  # one undoable step: the library points to the old place again
    assert att.attachments_of(shelf, [pid])[pid][0].path == source


def test_a_missing_stored_pdf_attached_again_puts_the_stored_copy_back(shelf, tmp_path):
    pid = ids(shelf)[0]
    stored = att.attach(shelf, pid, pdf_copy(tmp_path)).path
    stored.unlink()  # deleted by hand
    again, done = att.attach_file(shelf, pid, pdf_copy(tmp_path, name="from-a-backup.pdf"))
    assert done == att.FOUND_AGAIN and again.kind == "stored" and again.path == stored and not again.missing
    assert stored.read_bytes() == HELLO.read_bytes()
    assert len(att.attachments_of(shelf, [pid])[pid]) == 1


def test_a_dropped_pdf_finds_its_papers_missing_linked_pdf_again(shelf, tmp_path, monkeypatch):
    _identified(monkeypatch)  # no arXiv id, no DOI: found by its content hash
    pid = ids(shelf)[1]
    source = pdf_copy(tmp_path)
    first = att.attach(shelf, pid, source, link=True)
    source.unlink()
    dropped_file = pdf_copy(tmp_path, name="found.pdf")
    dropped = att.drop(shelf, dropped_file)
    assert (dropped.paper_id, dropped.attachment_id, dropped.found_again) == (pid, first.id, True)
    now = att.attachments_of(shelf, [pid])[pid][0]
    assert (now.kind, now.path, now.missing) == ("linked", dropped_file, False)  # kept as it was: linked
    assert stored_files(shelf) == []


# --- A file inside the files folder ------------------------------------------------------------------


def test_linking_a_file_inside_the_files_folder_takes_it_as_stored(shelf, tmp_path):
    """Review: such a link went missing when the stored copy it pointed to moved to the trash."""
    a, b = ids(shelf)[:2]
    stored = att.attach(shelf, a, pdf_copy(tmp_path)).path
    second = att.attach(shelf, b, stored, link=True)
    assert second.kind == "stored" and second.path == stored
    shelf.delete_papers([a])
    assert stored.read_bytes() == HELLO.read_bytes()  # b still uses it
    assert not att.attachments_of(shelf, [b])[b][0].missing


@pytest.mark.skipif(os.name != "posix", reason="file names are bytes on POSIX only")
def test_a_file_name_that_is_not_utf8(shelf, tmp_path):
    source = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9.pdf"))
    shutil.copyfile(HELLO, source)
    pid = ids(shelf)[0]
    with pytest.raises(PapershelfError, match="not valid UTF-8"):
        att.attach(shelf, pid, source, link=True)
    stored = att.attach(shelf, pid, source)
    assert stored.name == "caf\ufffd.pdf" and stored.path.read_bytes() == HELLO.read_bytes()


def test_a_linked_file_renamed_in_its_folder_is_relinked(shelf, tmp_path):
    a = ids(shelf)[0]
    source = pdf_copy(tmp_path)
    att.attach(shelf, a, source, link=True)
    renamed = source.with_name("Vaswani 2017 - Attention.pdf")
    source.rename(renamed)
    lines = att.verify(shelf)
    assert len(lines) == 1 and f"found at {renamed}" in lines[0]
    assert att.pdf_for(shelf, a) == renamed


def test_dropping_a_file_the_library_has_goes_to_its_paper_not_to_a_new_one(shelf, tmp_path, monkeypatch):
    _identified(monkeypatch)  # no arXiv id, no DOI
    pid = ids(shelf)[2]
    att.attach(shelf, pid, pdf_copy(tmp_path))
    before = ids(shelf)
    dropped = att.drop(shelf, pdf_copy(tmp_path, name="copy.pdf"))
    assert (dropped.paper_id, dropped.created, dropped.attached) == (pid, False, False)
    assert dropped.matched_by == "content hash" and ids(shelf) == before


def test_the_library_file_and_its_wal_are_refused_without_being_opened(shelf, tmp_path, monkeypatch):
    import builtins

    opened: list[str] = []
    real_open = builtins.open

    def watching(file, *args, **kwargs):
        opened.append(os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", watching)
    for name, what in ((shelf.path, "the library itself"), (Path(f"{shelf.path}-wal"), "write-ahead log")):
        if not name.exists():
            continue
        with pytest.raises(PapershelfError, match=what):
            att.attach(shelf, ids(shelf)[0], name)
    assert not any(path.startswith(str(shelf.path)) for path in opened)


# --- Something else in a stored file's place (attack review, finding 3) -------------------------------


def test_a_stored_file_replaced_by_a_link_is_left_as_it_is_and_never_taken(shelf, tmp_path):
    """Review: files --verify took a link to /etc/passwd for the stored PDF (recorded its hash and size)."""
    pid = ids(shelf)[0]
    first = att.attach(shelf, pid, pdf_copy(tmp_path))
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/sh\n", encoding="utf-8")
    first.path.unlink()
    first.path.symlink_to(secret)
    lines = att.verify(shelf)
    assert len(lines) == 1
    assert lines[0].startswith(f"paper {pid}: asciihexdecode.pdf: {first.path} was replaced by a link; left as it is")
    now = att.attachments_of(shelf, [pid])[pid][0]
    assert (now.sha256, now.size) == (first.sha256, first.size) and now.missing
    assert att.pdf_for(shelf, pid) is None  # never handed to a viewer
    assert first.path.is_symlink() and secret.read_text(encoding="utf-8").startswith("root:")
    # The link gone, the PDF is found again by its content (here: attached again).
    first.path.unlink()
    _, done = att.attach_file(shelf, pid, pdf_copy(tmp_path))
    assert done == att.FOUND_AGAIN and att.pdf_for(shelf, pid) == first.path
    assert att.verify(shelf) == []


def test_a_link_in_a_stored_files_place_is_not_taken_even_to_the_same_bytes(shelf, tmp_path):
    pid = ids(shelf)[0]
    first = att.attach(shelf, pid, pdf_copy(tmp_path))
    elsewhere = pdf_copy(tmp_path, name="same-bytes.pdf")
    first.path.unlink()
    first.path.symlink_to(elsewhere)
    assert "replaced by a link" in att.verify(shelf)[0]
    assert att.attachments_of(shelf, [pid])[pid][0].missing


def test_a_stored_file_replaced_by_a_file_that_is_not_a_pdf_keeps_its_hash_and_counts_as_missing(shelf, tmp_path):
    pid = ids(shelf)[0]
    first = att.attach(shelf, pid, pdf_copy(tmp_path))
    trash = att.files_dir(shelf) / ".trash" / first.path.relative_to(att.files_dir(shelf))
    trash.parent.mkdir(parents=True)
    first.path.rename(trash)  # the PDF is in the trash, something else took its place
    first.path.write_bytes(b"#!/bin/sh\necho pwned\n")
    lines = att.verify(shelf)
    assert lines == [
        f"paper {pid}: asciihexdecode.pdf: {first.path} was replaced by a file that is not a PDF; left as it is, "
        "and the PDF counts as missing until it is found again by its content"
    ]
    now = att.attachments_of(shelf, [pid])[pid][0]
    assert now.sha256 == first.sha256 and now.missing and att.pdf_for(shelf, pid) is None
    assert first.path.read_bytes() == b"#!/bin/sh\necho pwned\n" and trash.exists()  # nothing moved
    # Once it is out of the way, the PDF comes back from the trash by its hash.
    first.path.unlink()
    assert "found at" in att.verify(shelf)[0]
    assert first.path.read_bytes() == HELLO.read_bytes() and not att.attachments_of(shelf, [pid])[pid][0].missing


def test_a_linked_file_overwritten_with_something_that_is_not_a_pdf_is_not_taken(shelf, tmp_path):
    pid = ids(shelf)[0]
    source = pdf_copy(tmp_path)
    first = att.attach(shelf, pid, source, link=True)
    source.write_text("not a pdf at all\n", encoding="utf-8")
    lines = att.verify(shelf)
    assert len(lines) == 1 and "was replaced by a file that is not a PDF; left as it is" in lines[0]
    assert att.attachments_of(shelf, [pid])[pid][0].sha256 == first.sha256
    assert att.pdf_for(shelf, pid) is None


# --- Which PDF Enter and `open` open (attack review, finding 14) ---------------------------------------


def test_enter_opens_the_readable_pdf_before_one_that_could_not_be_read(shelf, tmp_path):
    """Review: `open 2` opened trunc.pdf ("could not read: damaged") though the paper had a readable PDF."""
    from papershelf.core.pdf.indexing import index_pending
    from tests.core import pdf_helpers

    pid = ids(shelf)[0]
    locked = tmp_path / "incoming" / "locked.pdf"
    locked.parent.mkdir(parents=True)
    locked.write_bytes(pdf_helpers.encrypted())
    first = att.attach(shelf, pid, locked)
    readable = att.attach(shelf, pid, pdf_copy(tmp_path))
    list(index_pending(shelf, [first.id, readable.id]))
    states = [a.text_state for a in att.attachments_of(shelf, [pid])[pid]]
    assert states == ["failed", "done"]
    assert att.pdf_for(shelf, pid) == readable.path
    # The readable one gone: the one that could not be read is still opened (a viewer may ask its password).
    readable.path.unlink()
    assert att.pdf_for(shelf, pid) == first.path
    first.path.unlink()
    assert att.pdf_for(shelf, pid) is None


# --- The app's attach: the copy settled after the change (attack review, finding 13) ----------------------------


def test_settle_copies_trashes_a_copy_a_failed_or_needless_attach_did_not_keep(shelf, tmp_path):
    """The app prepares on a worker, then runs the operation as an undoable step, then settles (as here)."""
    a, b = ids(shelf)[:2]
    # Failed: the paper went between the copy and the change.
    failing = att.prepare_attach(shelf, a, pdf_copy(tmp_path))
    shelf.delete_papers([a])
    with pytest.raises(PapershelfError):
        shelf.run(failing)
    att.settle_copies(shelf, failing)
    assert stored_files(shelf) == [".trash/" + failing.row["path"]]
    # Needless: a linked attach of the same bytes landed first (both prepared before either ran).
    linked = att.prepare_attach(shelf, b, pdf_copy(tmp_path, LOOP), link=True)
    stored = att.prepare_attach(shelf, b, pdf_copy(tmp_path, LOOP, "again.pdf"))
    shelf.run(linked)
    assert shelf.run(stored).result[1] is False
    att.settle_copies(shelf, stored)
    assert not (att.files_dir(shelf) / stored.row["path"]).exists()
    # Kept: a copy the change references stays where it is.
    kept = att.prepare_attach(shelf, b, pdf_copy(tmp_path, name="kept.pdf"))
    shelf.run(kept)
    att.settle_copies(shelf, kept)
    assert (att.files_dir(shelf) / kept.row["path"]).read_bytes() == HELLO.read_bytes()
