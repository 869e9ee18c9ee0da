"""The app's log: in the redirected profile, private, rotating, never written through a link."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from papershelf import logs, paths


def test_the_log_lands_in_the_redirected_profile(_isolated_profile):
    old = os.umask(0o022)  # the usual umask: what is not asked private comes out 0644
    try:
        target = logs.setup()
        logging.getLogger("papershelf.db").info("library opened: %s", "/some/library.sqlite3")
    finally:
        os.umask(old)
    assert target == _isolated_profile / "log" / logs.LOG_FILE == logs.log_file()
    assert "library opened: /some/library.sqlite3" in target.read_text(encoding="utf-8")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700


def test_the_log_follows_a_moved_profile(tmp_path, monkeypatch):
    first = logs.setup()
    logging.getLogger("papershelf.gui").info("first")
    monkeypatch.setenv("PAPERSHELF_HOME", str(tmp_path / "elsewhere"))
    second = logs.setup()
    logging.getLogger("papershelf.gui").info("second")
    assert second == tmp_path / "elsewhere" / "log" / logs.LOG_FILE
    assert "second" not in first.read_text(encoding="utf-8")
    assert "second" in second.read_text(encoding="utf-8")
    assert len([h for h in logging.getLogger(logs.ROOT).handlers if isinstance(h, logs.PrivateLogHandler)]) == 1


def test_the_log_rotates_and_keeps_three_old_files(monkeypatch):
    monkeypatch.setattr(logs, "MAX_BYTES", 2_000)
    target = logs.setup()
    log = logging.getLogger("papershelf.import")
    for n in range(400):
        log.info("imported listing %04d: 49 added, 0 already in the library", n)
    folder = target.parent
    assert sorted(p.name for p in folder.iterdir()) == [logs.LOG_FILE] + [f"{logs.LOG_FILE}.{n}" for n in (1, 2, 3)]
    for path in folder.iterdir():
        assert path.stat().st_size <= 2_000
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "listing 0399" in target.read_text(encoding="utf-8")
    # The newest lines are in the current file, the older ones in .1, .2, .3, in order.
    texts = [(folder / name).read_text(encoding="utf-8") for name in ("papershelf.log.3", "papershelf.log.2")]
    assert texts[0] < texts[1]


def test_rotation_never_renames_over_a_link_or_a_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(logs, "MAX_BYTES", 500)
    target = logs.setup()
    victim = tmp_path / "victim.txt"
    victim.write_text("not the log's\n", encoding="utf-8")
    Path(f"{target}.1").symlink_to(victim)
    Path(f"{target}.2").mkdir()
    log = logging.getLogger("papershelf.db")
    for n in range(50):
        log.info("line %d of the log", n)
    assert victim.read_text(encoding="utf-8") == "not the log's\n"
    assert Path(f"{target}.1").is_symlink() and Path(f"{target}.2").is_dir()
    assert "line 49 of the log" in target.read_text(encoding="utf-8")  # logging went on


def test_the_log_is_never_written_through_a_link(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's file\n", encoding="utf-8")
    logs.log_file().parent.mkdir(parents=True)
    logs.log_file().symlink_to(victim)
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        assert logs.write_crash(exc) is None  # not written, so no path to name
    assert victim.read_text(encoding="utf-8") == "someone else's file\n"


def test_a_log_folder_that_cannot_be_made_is_no_crash(capsys):
    paths.log_dir().parent.mkdir(parents=True, exist_ok=True)
    paths.log_dir().write_text("a file where the folder should be", encoding="utf-8")
    assert logs.setup() is None
    logging.getLogger("papershelf.db").warning("nowhere to go")
    assert logs.write_crash(RuntimeError("boom")) is None
    assert capsys.readouterr().err == ""  # not Python's last-resort handler on stderr
