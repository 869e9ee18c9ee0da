"""The CLI as a user types it, in-process, on the test's temporary library."""

import io
import sys

import pytest

from papershelf.cli import main


@pytest.fixture
def run(library_path, capsys, monkeypatch):
    """``run(*argv, stdin=None) -> (exit status, stdout, stderr)``."""

    def run(*argv, stdin: str | None = None):
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(["--library", str(library_path), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run
