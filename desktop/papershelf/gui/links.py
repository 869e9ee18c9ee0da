"""Opening links from listings, which are untrusted text."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

SAFE_SCHEMES = ("http", "https")


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
    return bool(QDesktopServices.openUrl(url))
