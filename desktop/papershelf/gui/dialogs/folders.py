"""Where a file dialog starts: the folder the user chose last time, if it is still there."""

from __future__ import annotations

from pathlib import Path


def start_folder(remembered: str) -> str:
    """``remembered`` if it is still a folder, else the home folder."""
    return remembered if remembered and Path(remembered).is_dir() else str(Path.home())
