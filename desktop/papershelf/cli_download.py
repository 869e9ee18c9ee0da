"""``papershelf download: fetch arXiv PDFs for offline reading."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: `papershelf --help` loads no core module
    from .core.library import Library

OpenLibrary = Callable[[argparse.Namespace], "Library"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's subcommands to ``sub``."""


def commands(open_library: OpenLibrary, usage: type[Exception]) -> dict[str, Callable[[argparse.Namespace], int]]:
    """This module's subcommands by name, for cli.py's dispatch table."""
    return {}
