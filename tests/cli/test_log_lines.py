"""What a day's work leaves in the log: which library, what was imported, exported and backed up; never a note."""

from __future__ import annotations

from papershelf import logs

from ..conftest import SAMPLE_TEXT

NOTE = "my private thought about paper one"
ABSTRACT_WORDS = "catastrophic forgetting"  # from the first abstract of the sample listing


def test_the_log_says_what_happened_in_paths_and_counts_only(run, library_path, tmp_path):
    assert ABSTRACT_WORDS in SAMPLE_TEXT.read_text(encoding="utf-8")
    assert run("import", str(SAMPLE_TEXT))[0] == 0
    assert run("note", "1", NOTE)[0] == 0
    out = tmp_path / "out.bib"
    assert run("export", "--all", "--notes", "-o", str(out))[0] == 0
    assert NOTE in out.read_text(encoding="utf-8")  # the export carries it; the log must not
    code, backup_path, _ = run("backup")
    assert code == 0

    text = logs.log_file().read_text(encoding="utf-8")
    assert f"INFO papershelf.db: library opened: {library_path}" in text
    assert f"INFO papershelf.db: library closed: {library_path}" in text
    assert f"imported {SAMPLE_TEXT} (hf-text): 49 added, 0 already in the library, 0 skipped" in text
    assert f"INFO papershelf.export: exported 49 papers (bibtex) to {out}" in text
    assert f"INFO papershelf.backup: backup taken (manual) of {library_path}: {backup_path.strip()}" in text
    assert NOTE not in text and ABSTRACT_WORDS not in text
