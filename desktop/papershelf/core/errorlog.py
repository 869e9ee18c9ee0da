"""The error log, ``papershelf-error.log`` in the data folder: private, because it records what was typed.

The command line writes its argv there (a note's text can be an argument) and
the desktop app writes tracebacks, whose values may quote titles and notes.
So the folder is created 0700 and the file 0600, like the library; a log left
readable by an older version is made private at the next write.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .. import paths
from .fsutil import make_private_dirs

LOG_NAME = "papershelf-error.log"
LOG_MODE = 0o600


def append(text: str) -> Path | None:
    """Append ``text`` to the error log; its path, or None when it cannot be written (never raises OSError)."""
    try:
        log = make_private_dirs(paths.data_dir()) / LOG_NAME
        # O_NOFOLLOW: a link planted in place of the log does not redirect our writes.
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(log, flags, LOG_MODE)
        with open(fd, "a", encoding="utf-8", errors="backslashreplace") as fh:
            mode = os.fstat(fd).st_mode
            if os.name == "posix" and stat.S_ISREG(mode) and mode & 0o077:
                os.fchmod(fd, LOG_MODE)
            fh.write(text if text.endswith("\n") else text + "\n")
        return log
    except OSError:
        return None
