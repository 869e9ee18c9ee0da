"""A crash in either face: one line naming the log for the user, the traceback in the log, one writer for both."""

from __future__ import annotations

import sys

import pytest

from papershelf import cli, logs, paths


@pytest.fixture
def crash(monkeypatch):
    def cmd_list_that_breaks(args):
        raise RuntimeError("unexpected state")

    monkeypatch.setitem(cli.COMMANDS, "list", cmd_list_that_breaks)
    monkeypatch.setattr(sys, "argv", ["papershelf", "list", "tag:x"])


def test_a_cli_crash_is_one_line_naming_the_log_and_the_traceback_is_in_the_log(run, crash):
    code, out, err = run("list", "tag:x")
    assert code == 70 and out == ""
    [line] = err.splitlines()
    assert line == f"papershelf: internal error: RuntimeError: unexpected state; details in {logs.log_file()}"
    assert "Traceback" not in err
    text = logs.log_file().read_text(encoding="utf-8")
    assert "CRITICAL papershelf.crash: unexpected error in the command line ['papershelf', 'list', 'tag:x']" in text
    assert "Traceback (most recent call last)" in text
    assert 'in cmd_list_that_breaks\n    raise RuntimeError("unexpected state")' in text


def test_the_cli_and_the_desktop_app_share_one_crash_writer(run, crash, monkeypatch, qapp):
    from PySide6.QtWidgets import QMessageBox

    from papershelf.gui.dialogs.errors import report_exception

    calls = []
    writer = logs.write_crash

    def spy(*args, **kwargs):
        calls.append(kwargs.get("context"))
        return writer(*args, **kwargs)

    monkeypatch.setattr(logs, "write_crash", spy)
    monkeypatch.setattr(QMessageBox, "exec", lambda box: QMessageBox.StandardButton.Ok)
    assert run("list")[0] == 70
    try:
        raise KeyError("from a worker")
    except KeyError as exc:
        report_exception(None, exc)
    assert calls == ["the command line ['papershelf', 'list', 'tag:x']", "the desktop app"]
    text = logs.log_file().read_text(encoding="utf-8")
    assert "RuntimeError: unexpected state" in text and "KeyError: 'from a worker'" in text
    assert "WARNING papershelf.gui: error shown: Something went wrong: KeyError: 'from a worker'" in text


def test_a_crash_with_no_log_still_says_one_line(run, crash):
    paths.log_dir().parent.mkdir(parents=True, exist_ok=True)
    paths.log_dir().write_text("not a folder", encoding="utf-8")
    code, _, err = run("list")
    assert code == 70
    assert err == "papershelf: internal error: RuntimeError: unexpected state\n"
