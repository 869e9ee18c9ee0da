"""Opening links from listings, which are untrusted text, and files (PDFs) with the system's viewer.

Everything the app hands to the operating system goes through :func:`hand_to_os`
(tests replace it and check the URL).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

SAFE_SCHEMES = ("http", "https")


def hand_to_os(url: QUrl) -> bool:
    """Ask the system to open ``url`` (the browser, the PDF viewer); False if it could not."""
    return bool(QDesktopServices.openUrl(url))


def safe_url(text: str | None) -> QUrl | None:
    """``text`` as a URL if it is an absolute http(s) URL with a host, else None."""
    if not text:
        return None
    url = QUrl(text.strip(), QUrl.ParsingMode.StrictMode)
    if not url.isValid() or url.scheme().lower() not in SAFE_SCHEMES or not url.host():
        return None
    return url


def open_url(text: str | None) -> bool:
    """Open an http(s) link in the browser; refuse anything else (javascript:, file:, …)."""
    url = safe_url(text)
    if url is None:
        return False
    return hand_to_os(url)


def open_file(path: Path) -> bool:
    """Open a local file (an attached PDF) with the system's viewer for it."""
    return hand_to_os(QUrl.fromLocalFile(str(path)))
