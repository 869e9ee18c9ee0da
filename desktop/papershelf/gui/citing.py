"""Paper ▸ Edit Entry… opens the entry editor on the current paper; Copy Citation Key copies the selection's keys and pins them.

Copying follows Better BibTeX's quick copy: Ctrl+Shift+C gives a LaTeX
citation, ``\\cite{key1,key2}``, ready to paste into a document; Copy Key gives
the bare keys, comma-separated (for ``\\citep``, Pandoc or a search). A key
that has been copied is in someone's document: it is pinned, so it never
changes again unless the user edits it (``ops.PinKeys``, on the writer thread,
not an undo step of its own, as an export pins its keys).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QGuiApplication

from ..core import operations as ops
from ..core.exporters.common import citation_keys

if TYPE_CHECKING:
    from .dialogs.entry_editor import EntryEditor
    from .main_window import MainWindow


class Citing(QObject):
    """The entry editor and the copy-key commands of one window."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self._w = window
        #: The open entry editor (tests drive it).
        self.editor: EntryEditor | None = None

    def _ids(self) -> list[int]:
        ids = self._w.table.selected_ids()
        if not ids and self._w.detail.paper_id is not None:
            ids = [self._w.detail.paper_id]
        return ids

    def edit_entry(self) -> None:
        """Open the entry editor on the current paper (the one the detail pane shows)."""
        library = self._w.library
        pid = self._w.detail.paper_id
        if pid is None:
            ids = self._w.table.selected_ids()
            pid = ids[0] if ids else None
        if library is None or pid is None:
            return
        from .dialogs.entry_editor import EntryEditor  # loads the BibTeX name parser: only when asked

        self._w.detail.flush()  # a note or tag being typed lands first
        editor = EntryEditor(library.get(pid), self._w.edits.run, self._w)
        editor.finished.connect(lambda _result: setattr(self, "editor", None))
        self.editor = editor
        editor.open()

    def keys(self, ids: list[int]) -> list[str]:
        """The citation keys an export of these papers writes, in order."""
        library = self._w.library
        if library is None or not ids:
            return []
        return [key for _paper, key in citation_keys(library.get_many(ids))]

    def copy_cite(self) -> None:
        """Copy ``\\cite{key1,key2}`` for the selected papers."""
        self._copy(lambda keys: "\\cite{" + ",".join(keys) + "}")

    def copy_keys(self) -> None:
        """Copy the selected papers' bare keys, comma-separated."""
        self._copy(lambda keys: ", ".join(keys))

    def _copy(self, text_of: Callable[[list[str]], str]) -> None:
        ids = self._ids()
        keys = self.keys(ids)
        library = self._w.library
        if not keys or library is None:
            return
        QGuiApplication.clipboard().setText(text_of(keys))
        self._w.runner.submit(library, ops.PinKeys(tuple(ids)), on_error=self._w.report_error)
        shown = keys[0] if len(keys) == 1 else f"{len(keys)} keys"
        self._w.statusBar().showMessage(f"Copied {shown}; copied keys never change", 8000)
