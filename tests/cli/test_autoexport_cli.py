"""Live files from the command line: export --keep-updated, autoexport list|remove|run, and the sync at exit."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from papershelf.core.library import Library

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "fixtures" / "hf-daily-papers-sep-11.txt"


@pytest.fixture
def thesis(run):
    assert run("import", str(SAMPLE), "--date", "2025-09-11")[0] == 0
    assert run("lists", "add", "Thesis", "1", "2", "3")[0] != 0  # no such list yet
    assert run("lists", "create", "Thesis")[0] == 0
    assert run("lists", "add", "Thesis", "1", "2", "3")[0] == 0


def keys(path: Path) -> list[str]:
    return [line.split("{", 1)[1].rstrip(",") for line in path.read_text().splitlines() if line.startswith("@")]


def key(run, ident: str) -> str:
    code, out, _ = run("key", ident)
    assert code == 0
    return out.strip()


def stamp(path: Path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_ino, st.st_mtime_ns


def test_a_live_file_follows_changes_made_from_the_cli(run, thesis, tmp_path):
    refs = tmp_path / "refs.bib"
    code, _, err = run("export", "--list", "Thesis", "-o", str(refs), "--keep-updated")
    assert code == 0 and "kept updated" in err
    assert keys(refs) == [key(run, "1"), key(run, "2"), key(run, "3")]

    assert run("lists", "add", "Thesis", "7")[0] == 0
    assert keys(refs)[-1] == key(run, "7")
    assert run("lists", "remove", "Thesis", "1")[0] == 0
    assert key(run, "1") not in keys(refs)
    assert run("key", "2", "smith2025live")[0] == 0
    assert "smith2025live" in keys(refs)
    assert run("delete", "3")[0] == 0
    assert keys(refs) == ["smith2025live", key(run, "7")]
    assert run("lists", "rename", "Thesis", "PhD")[0] == 0
    assert run("lists", "add", "PhD", "9")[0] == 0
    assert keys(refs)[-1] == key(run, "9")


def test_a_tag_binding_follows_tag_and_untag(run, thesis, tmp_path):
    out = tmp_path / "tagged.bib"
    assert run("tag", "4", "cite")[0] == 0
    assert run("export", "--tag", "cite", "-o", str(out), "--format", "biblatex", "--keep-updated")[0] == 0
    assert run("tag", "5", "cite")[0] == 0
    assert keys(out) == [key(run, "4"), key(run, "5")]
    assert run("untag", "4", "cite")[0] == 0
    assert keys(out) == [key(run, "5")]


def test_a_saved_search_can_be_exported_and_bound(run, thesis, tmp_path, library_path):
    with Library(library_path) as library:  # saved searches are made in the app
        library.save_search("Reading now", "status:reading")
    out = tmp_path / "reading.bib"
    assert run("export", "--search", "Reading now", "-o", str(out), "--keep-updated")[0] == 0
    assert keys(out) == []
    assert run("status", "6", "reading")[0] == 0
    assert keys(out) == [key(run, "6")]


def test_no_rewrite_when_a_change_does_not_touch_the_file(run, thesis, tmp_path):
    refs = tmp_path / "refs.bib"
    run("export", "--list", "Thesis", "-o", str(refs), "--keep-updated")
    before = stamp(refs)
    assert run("tag", "20", "elsewhere")[0] == 0
    assert run("status", "1", "read")[0] == 0
    assert run("note", "1", "a private note")[0] == 0
    assert run("autoexport", "run")[:2] == (0, f"unchanged: {refs} (3 papers)\n")
    assert stamp(refs) == before


def test_autoexport_list_remove_and_run(run, thesis, tmp_path):
    refs = tmp_path / "refs.bib"
    run("export", "--list", "Thesis", "-o", str(refs), "--keep-updated")
    code, out, _ = run("autoexport", "list")
    assert code == 0
    assert out.startswith(f"1  list 'Thesis'  bibtex  {refs}\n    last written: ")
    assert "error" not in out
    assert run("autoexport", "remove", str(refs))[:2] == (
        0,
        f"{refs}: no longer kept updated (the file stays as it is)\n",
    )
    assert refs.exists()
    assert run("autoexport")[1].startswith("no live files")
    assert run("lists", "add", "Thesis", "8")[0] == 0
    assert len(keys(refs)) == 3  # no longer followed
    code, _, err = run("autoexport", "remove", str(refs))
    assert code == 1 and err == f"papershelf: error: {refs}: not a live file (see papershelf autoexport list)\n"


def test_a_missing_folder_is_a_warning_listed_with_its_error_and_the_other_files_are_written(run, thesis, tmp_path):
    gone = tmp_path / "gone"
    gone.mkdir()
    kept = tmp_path / "kept.bib"
    assert run("export", "--list", "Thesis", "-o", str(gone / "a.bib"), "--keep-updated")[0] == 0
    assert run("export", "--list", "Thesis", "-o", str(kept), "--keep-updated")[0] == 0
    (gone / "a.bib").unlink()
    gone.rmdir()
    code, out, err = run("lists", "add", "Thesis", "7")
    assert code == 0 and out == "Thesis: 1 added\n"  # the command itself succeeded
    assert f"papershelf: warning: live file not updated: {gone / 'a.bib'}: the folder does not exist\n" in err
    assert keys(kept)[-1] == key(run, "7")
    code, out, _ = run("autoexport", "list")
    assert f"error: {gone / 'a.bib'}: the folder does not exist" in out
    code, out, _ = run("autoexport", "run")
    assert code == 1
    assert out.splitlines() == [f"failed: {gone / 'a.bib'}: the folder does not exist", f"unchanged: {kept} (4 papers)"]


def test_keep_updated_refuses_what_it_cannot_follow_before_writing(run, thesis, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code, _, err = run("export", "--list", "Thesis", "-o", str(fifo), "--keep-updated")
    assert code == 1 and err.count("\n") == 1 and "is not a regular file" in err
    code, _, err = run("export", "--list", "Thesis", "-o", str(tmp_path), "--keep-updated")
    assert code == 1 and err.count("\n") == 1 and "is a folder" in err
    code, _, err = run("export", "--query", "attention", "-o", str(tmp_path / "q.bib"), "--keep-updated")
    assert code == 1 and "--keep-updated works with --list, --tag or --search" in err
    assert not (tmp_path / "q.bib").exists()
    code, _, err = run("export", "--list", "Thesis", "-o", "-", "--keep-updated")
    assert code == 1 and "not standard output" in err
    refs = tmp_path / "refs.bib"
    run("export", "--list", "Thesis", "-o", str(refs), "--keep-updated")
    assert run("lists", "create", "Other")[0] == 0
    before = refs.read_bytes()
    code, _, err = run("export", "--list", "Other", "-o", str(refs), "--keep-updated")
    assert code == 1 and "already kept updated from the reading list 'Thesis'" in err
    assert refs.read_bytes() == before  # refused before anything was written
    assert run("export", "--list", "Thesis", "-o", str(refs), "--keep-updated")[0] == 0  # the same list: fine


def test_a_symlink_stays_a_symlink(run, thesis, tmp_path):
    real = tmp_path / "real.bib"
    link = tmp_path / "link.bib"
    link.symlink_to(real)
    assert run("export", "--list", "Thesis", "-o", str(link), "--keep-updated")[0] == 0
    assert run("lists", "add", "Thesis", "11")[0] == 0
    assert link.is_symlink() and len(keys(real)) == 4


def test_read_only_commands_do_not_sync(run, thesis, tmp_path, monkeypatch):
    refs = tmp_path / "refs.bib"
    run("export", "--list", "Thesis", "-o", str(refs), "--keep-updated")
    from papershelf.core import autoexport

    calls = []
    monkeypatch.setattr(autoexport, "sync", lambda *a, **k: calls.append(a) or [])
    for argv in (("list",), ("show", "1"), ("lists",), ("lists", "show", "Thesis"), ("autoexport", "list")):
        assert run(*argv)[0] == 0
    assert calls == []
    assert run("status", "1", "read")[0] == 0
    assert len(calls) == 1


def test_a_live_file_follows_papershelf_edit(run, thesis, tmp_path):
    refs = tmp_path / "refs.bib"
    run("export", "--list", "Thesis", "-o", str(refs), "--keep-updated")
    assert run("edit", "1", "title=Edited From The Command Line")[0] == 0
    assert "Edited From The Command Line" in refs.read_text()


def test_a_live_file_follows_papershelf_merge(run, thesis, tmp_path):
    refs = tmp_path / "refs.bib"
    run("export", "--list", "Thesis", "-o", str(refs), "--keep-updated")
    merged = key(run, "2")
    assert run("merge", "1", "2", "--force")[0] == 0  # two different papers: merge asks for --force now
    assert merged not in keys(refs)
    assert merged in refs.read_text()  # as an alias of the kept paper (ids), so \\cite{old} still works


def test_the_installed_command_updates_the_file_before_it_exits(tmp_path):
    env = {**os.environ, "PAPERSHELF_LIBRARY": str(tmp_path / "lib.sqlite3"), "PYTHONPATH": str(ROOT / "desktop")}

    def papershelf(*argv):
        done = subprocess.run([sys.executable, "-m", "papershelf", *argv], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done

    papershelf("import", str(SAMPLE), "--date", "2025-09-11")
    papershelf("lists", "create", "Thesis")
    papershelf("lists", "add", "Thesis", "1")
    refs = tmp_path / "refs.bib"
    papershelf("export", "--list", "Thesis", "-o", str(refs), "--keep-updated")
    assert len(keys(refs)) == 1
    papershelf("lists", "add", "Thesis", "2")
    assert len(keys(refs)) == 2


def test_autoexport_list_shows_a_vanished_folder_or_a_read_only_one_before_any_write(run, thesis, tmp_path):
    """Review 14.11: `autoexport list` checks each file now, cheaply, not only after a failed write."""
    gone = tmp_path / "gone"
    gone.mkdir()
    locked = tmp_path / "locked"
    locked.mkdir()
    assert run("export", "--list", "Thesis", "-o", str(gone / "a.bib"), "--keep-updated")[0] == 0
    assert run("export", "--list", "Thesis", "-o", str(locked / "b.bib"), "--keep-updated")[0] == 0
    (gone / "a.bib").unlink()
    gone.rmdir()
    locked.chmod(0o500)
    try:
        code, out, _ = run("autoexport", "list")
    finally:
        locked.chmod(0o700)
    assert code == 0
    assert f"error: {gone / 'a.bib'}: the folder does not exist" in out
    if os.geteuid() != 0:  # root may write anywhere
        assert f"error: {locked / 'b.bib'}: permission denied" in out
    assert run("autoexport", "list")[1].count("error") == 1


def test_export_counts_one_paper_and_expands_a_quoted_tilde(run, thesis, tmp_path, monkeypatch):
    """Review 14.12: '1 paper written', and -o '~/x.bib' (quoted, so no shell expands it) is in the home folder."""
    monkeypatch.setenv("HOME", str(tmp_path))
    assert run("lists", "create", "One")[0] == 0
    assert run("lists", "add", "One", "4")[0] == 0
    code, _, err = run("export", "--list", "One", "-o", "~/one.bib", "--keep-updated")
    assert code == 0
    assert err.splitlines()[0] == f"{tmp_path / 'one.bib'}: 1 paper written (bibtex)"
    assert keys(tmp_path / "one.bib") == [key(run, "4")]
    assert f"{tmp_path / 'one.bib'}" in run("autoexport", "list")[1]
    assert run("export", "--list", "Thesis", "-o", "~/plain.bib")[0] == 0
    assert len(keys(tmp_path / "plain.bib")) == 3


def test_deleting_a_bound_list_says_its_file_is_no_longer_kept_updated_and_a_new_list_does_not_empty_it(
    run, thesis, tmp_path
):
    """Review 14.6: `lists delete` took the binding along silently, then `lists create` of the name emptied the file."""
    refs = tmp_path / "refs.bib"
    assert run("export", "--list", "Thesis", "-o", str(refs), "--keep-updated")[0] == 0
    content = refs.read_bytes()
    code, out, err = run("lists", "delete", "Thesis")
    assert code == 0
    assert out == f"deleted list 'Thesis'\n{refs}: no longer kept updated (the file stays as it is)\n"
    assert "warning" not in err
    assert run("lists", "create", "Thesis")[0] == 0
    assert refs.read_bytes() == content
    assert run("autoexport", "list")[1].startswith("no live files")
