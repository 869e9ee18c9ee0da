"""File ▸ Open Shared Library…: the connection URL of a library on a PostgreSQL server, opened on a worker.

Papershelf never asks for a password and never stores one: libpq reads it
from ``~/.pgpass`` or a service file, as ``psql`` does. A password typed
into the URL is used for this connection only; the URL is remembered
without it (:func:`without_password`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from ...core.library import Library

#: What the URL field shows while empty.
PLACEHOLDER = "postgresql://you@server/papers"

EXPLANATION = (
    "Papershelf does not ask for your password and never stores one: the PostgreSQL client reads it from "
    "~/.pgpass (%APPDATA%\\postgresql\\pgpass.conf on Windows) or from a service file "
    "(postgresql:///?service=lab). Add ?sslmode=verify-full to check the server's certificate."
)

_SCHEMES = ("postgresql://", "postgres://")


def without_password(url: str) -> str:
    """``url`` with any password taken out (``user:secret@`` and ``password=`` alike): what may be remembered."""
    plain = re.sub(r"^(\w+://[^/@:]*):[^/@]*@", r"\1@", url.strip())
    plain = re.sub(r"(?i)([?&])password=[^&]*(?:&|$)", r"\1", plain)
    return plain.rstrip("?&")


def has_password(url: str) -> bool:
    return without_password(url) != url.strip()


def _open(url: str) -> Library:
    from ...core.library import Library

    return Library(url)


class SharedLibraryDialog(QDialog):
    """Asks for a shared library's URL and opens it; :attr:`library` holds it once the dialog is accepted.

    A library that cannot be opened is named in one line in the dialog, which
    stays open for another try. ``opener`` opens a URL (on a worker thread).
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        url: str = "",
        opener: Callable[[str], Library] = _open,
    ):
        super().__init__(parent)
        self.setObjectName("sharedLibraryDialog")
        self.setAccessibleName("Open Shared Library")
        self.setWindowTitle("Open Shared Library")
        self.setMinimumWidth(520)
        self._opener = opener
        self._task: Any = None
        self._cancelled = False
        #: The library opened (once accepted), and the URL it was opened with.
        self.library: Library | None = None
        self.url = ""

        layout = QVBoxLayout(self)
        prompt = QLabel("Connection URL of the shared library (PostgreSQL):", self)
        prompt.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(prompt)
        self.input = QLineEdit(url, self)
        self.input.setObjectName("sharedUrlInput")
        self.input.setAccessibleName("Connection URL")
        self.input.setPlaceholderText(PLACEHOLDER)
        prompt.setBuddy(self.input)
        layout.addWidget(self.input)
        explanation = QLabel(EXPLANATION, self)
        explanation.setObjectName("sharedExplanation")
        explanation.setTextFormat(Qt.TextFormat.PlainText)
        explanation.setWordWrap(True)
        layout.addWidget(explanation)
        self.error = QLabel("", self)
        self.error.setObjectName("sharedError")
        self.error.setAccessibleName("Why the library could not be opened")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.open_button = self.buttons.button(QDialogButtonBox.StandardButton.Open)
        self.open_button.setObjectName("sharedOpenButton")
        self.buttons.accepted.connect(self.try_open)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.input.textChanged.connect(self._edited)
        self._edited()
        self.input.setFocus()

    @property
    def opening(self) -> bool:
        return self._task is not None

    def _edited(self) -> None:
        self.open_button.setEnabled(bool(self.input.text().strip()) and not self.opening)

    def _say(self, message: str) -> None:
        from ...core.display import visible

        self.error.setText(visible(" ".join(message.split())))
        self.error.setVisible(bool(message))
        self.adjustSize()  # the whole line shows, wrapped

    def try_open(self) -> None:
        """Open: check the URL, then connect on a worker; the dialog closes once the library is open."""
        from ...core import pg
        from .. import workers

        url = self.input.text().strip()
        if not url or self.opening:
            return
        if not url.lower().startswith(_SCHEMES):
            self._say("A shared library's URL starts with postgresql:// (for example postgresql://you@server/papers)")
            return
        self._say(f"Connecting to {pg.display(url)}…")
        self.input.setEnabled(False)
        self._task = workers.run(
            self._opener, url, on_result=lambda library: self._opened(url, library), on_error=self._failed
        )
        self._edited()

    def _opened(self, url: str, library: Library) -> None:
        self._task = None
        if self._cancelled:
            library.close()  # cancelled while connecting
            return
        self.library = library
        self.url = url
        self.accept()

    def _failed(self, exc: BaseException, _details: str) -> None:
        from ...core import pg
        from ...core.errors import PapershelfError

        self._task = None
        self.input.setEnabled(True)
        self._edited()
        url = self.input.text().strip()
        if isinstance(exc, PapershelfError):
            self._say(str(exc))
        else:
            self._say(f"{pg.display(url)}: cannot open the shared library ({pg.connect_problem(exc)})")
        self.input.setFocus()

    def reject(self) -> None:
        self._cancelled = True  # a connection still being made is closed when it arrives (_opened)
        super().reject()
