"""The sidebar: its views and counts (loaded on a worker), the view chosen there, its menu, and lists and saved searches."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QObject, QPoint, QTimer
from PySide6.QtWidgets import QInputDialog, QMenu

from ..core import operations as ops
from ..core.display import visible
from . import workers
from .dialogs.export import LIST, TAG
from .dialogs.export import SAVED as SAVED_SCOPE
from .models.sidebar import ALL, SAVED, LiveRole, SidebarData, load_sidebar
from .models.sidebar import LIST as LIST_KIND
from .widgets.labels import literal_html

if TYPE_CHECKING:
    from .main_window import MainWindow

#: Changes come in bursts (a tag on 40 papers): count once they settle.
REFRESH_MS = 60


class SidebarController(QObject):
    """Keeps the sidebar's views and counts current and shows the chosen view in the paper table."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self._w = window
        self.sidebar = window.sidebar
        self.model = window.sidebar_model
        self._loading = False
        self._again = False
        #: Bumped by every update, so counts loaded before a newer update are dropped.
        self._generation = 0
        #: True while the model is refilled: the selection moving then is not the user's choice.
        self._populating = False
        #: The view to choose when the counts of a library just opened come in.
        self._wanted: tuple[str, str] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.load)
        self.sidebar.selectionModel().currentRowChanged.connect(self._changed)
        self.sidebar.menuRequested.connect(self.show_menu)

    # --- The chosen view ------------------------------------------------------------

    def kind(self) -> str | None:
        """The kind of the chosen view (``ALL``, ``DATE``, ``LIST``, ``SAVED``, "tag", …), or None."""
        key = self.model.key(self.sidebar.selected_index()) or self._wanted
        return key[0] if key else None

    def key(self) -> tuple[str, str]:
        """The chosen view as (kind, value); All Papers if none is."""
        return self.model.key(self.sidebar.selected_index()) or self._wanted or (ALL, "all")

    def start_in(self, kind: str, value: str) -> None:
        """A library opens: choose the view (kind, value) once its counts are in (All Papers if it has none)."""
        self._wanted = (kind, value)
        self._populating = True  # no search yet: the session starts it
        try:
            self.sidebar.setCurrentIndex(self.model.find(kind, value))
        finally:
            self._populating = False

    def value(self) -> str | None:
        """The chosen view's value (a date, a list or tag name, a saved search's name), or None."""
        key = self.model.key(self.sidebar.selected_index())
        return key[1] if key else None

    def select(self, kind: str, value: str) -> bool:
        """Choose the view ``(kind, value)``; False if the sidebar has no such view."""
        index = self.model.find(kind, value)
        if not index.isValid():
            return False
        self.sidebar.setCurrentIndex(index)
        return True

    def _changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._populating:
            return
        query = self.model.filter_query(current)
        self._w.acts.update_enabled()
        self._w.paper_view.set_filter(query)

    # --- Counts -------------------------------------------------------------------

    @property
    def refreshing(self) -> bool:
        """A count is scheduled or loading."""
        return self._timer.isActive() or self._loading

    def schedule_refresh(self) -> None:
        """Count again soon, on a worker (after a change; several changes count once)."""
        self._timer.start()

    def load(self) -> None:
        """Count the views on a worker, then show them."""
        library = self._w.library
        if library is None:
            return
        if self._loading:
            self._again = True
            return
        self._loading = True
        generation = self._generation

        def done(data: SidebarData) -> None:
            self._loading = False
            # Skip data older than a synchronous update made meanwhile.
            if self._w.library is library and generation == self._generation:
                self.apply(data)
            if self._again:
                self._again = False
                self.load()

        def failed(exc: BaseException, details: str) -> None:
            self._loading = False
            self._w.report_error(exc, details)

        workers.run(load_sidebar, library, on_result=done, on_error=failed, pool_name="sidebar")

    def reload(self, reselect: tuple[str, str] | None = None, *, force_search: bool = False) -> None:
        """Count now, on this thread (after a change the user made here: the sidebar shows it at once)."""
        if self._w.library is not None:
            self.apply(load_sidebar(self._w.library), reselect, force_search=force_search)

    def apply(self, data: SidebarData, reselect: tuple[str, str] | None = None, *, force_search: bool = False) -> None:
        """Show ``data``, keeping the chosen view (or choosing ``reselect``), and search if the view changed."""
        self._generation += 1
        key = reselect or self._wanted or self.model.key(self.sidebar.selected_index()) or (ALL, "all")
        self._wanted = None
        self._populating = True
        try:
            self.model.populate(data)
            index = self.model.find(*key)
            if not index.isValid():
                index = self.model.find(ALL, "all")
            if self.sidebar.currentIndex() != index:
                self.sidebar.setCurrentIndex(index)
        finally:
            self._populating = False
        w = self._w
        w.detail.set_tag_completions([name for name, _ in data.tags])
        w.table_model.library_size = data.stats.get("all", 0)
        empty = data.stats.get("all", 0) == 0
        w.center.setCurrentWidget(w.welcome if empty else w.table_page)
        w.detail.setVisible(not empty)
        w.paper_view.set_filter(self.model.filter_query(self.sidebar.currentIndex()), force=force_search)
        w.acts.update_enabled()

    # --- Menu ---------------------------------------------------------------------

    def show_menu(self, index: QModelIndex, pos: QPoint) -> None:
        """The context menu of a sidebar entry (``pos`` is global)."""
        w = self._w
        if w.library is None:
            return
        if index.isValid():
            self.sidebar.setCurrentIndex(index.siblingAtColumn(0))
        key = self.model.key(index)
        acts = w.acts
        menu = QMenu(w)
        kind, value = key if key else (None, "")
        if kind == LIST_KIND:
            menu.addAction(acts.rename_list_action)
            menu.addAction(acts.delete_list_action)
            menu.addSeparator()
            menu.addAction("&Export This List…", lambda: w.export_flow.open_export(LIST, value))
            menu.addAction("Download &PDFs", lambda: w.pdf_flow.download_list(value))
            menu.addSeparator()
        elif kind == SAVED:
            menu.addAction(acts.delete_saved_action)
            menu.addSeparator()
            menu.addAction("&Export This Saved Search…", lambda: w.export_flow.open_export(SAVED_SCOPE, value))
            menu.addSeparator()
        elif kind == "tag":
            menu.addAction("&Export Papers with This Tag…", lambda: w.export_flow.open_export(TAG, value))
            menu.addSeparator()
        live = index.siblingAtColumn(0).data(LiveRole) if index.isValid() else None
        for binding in live or []:  # its live files: write now, or stop following
            name = visible(Path(binding.path).name)
            menu.addAction(f"Update {name} Now", functools.partial(w.live_files.update_now, binding))
            menu.addAction(f"Stop Keeping {name} Updated", functools.partial(w.live_files.unbind, binding))
            menu.addSeparator()
        menu.addAction(acts.new_list_action)
        menu.addAction(acts.save_search_action)
        menu.popup(pos)

    # --- Reading lists and saved searches ----------------------------------------

    def _run(
        self, operation: ops.Operation, reselect: tuple[str, str] | None = None, then: Callable[[], None] | None = None
    ) -> None:
        """Do ``operation`` as an undoable change; once it has landed, show the sidebar (``reselect`` chosen)."""

        def landed(_outcome: ops.Outcome) -> None:
            self.reload(reselect)
            if then is not None:
                then()

        self._w.edits.run(operation, on_done=landed)

    def new_list(self) -> None:
        library = self._w.library
        if library is None:
            return
        name, ok = QInputDialog.getText(self._w, "New Reading List", "Name of the new list:")
        if ok and name.strip():
            clean = " ".join(name.split())
            self._run(
                ops.CreateList(clean),
                then=lambda: self._w.statusBar().showMessage(f"Created the reading list {visible(clean)}.", 8000),
            )

    def rename_list(self) -> None:
        library, old = self._w.library, self.value()
        if library is None or self.kind() != LIST_KIND or old is None:
            return
        name, ok = QInputDialog.getText(self._w, "Rename Reading List", "New name:", text=visible(old))
        # The field shows the name through visible(): as shown counts as unchanged.
        if ok and name.strip() and name.strip() not in (old, visible(old).strip()):
            new = " ".join(name.split())
            self._run(ops.RenameList(old, new), (LIST_KIND, new))

    def delete_selected(self) -> None:
        """The sidebar's Delete button: the chosen saved search, or the chosen list (undoably)."""
        if self.kind() == SAVED:
            self.delete_saved_search()
        else:
            self._w.edits.delete_list()

    def save_search(self) -> None:
        """Edit ▸ Save Search: the current view and search, under a name, in the sidebar."""
        w = self._w
        library = w.library
        if library is None:
            return
        query = w.paper_view.current_query()
        if not query:
            w.statusBar().showMessage("Type a search or choose a filter first; there is nothing to save.", 8000)
            return
        name, ok = QInputDialog.getText(
            w, "Save Search", literal_html(f"Name for the search “{query}”:"), text=w.search_field.text().strip()
        )
        if ok and name.strip():
            clean = " ".join(name.split())
            self._run(ops.SaveSearch(clean, query), (SAVED, clean), then=lambda: w.search_field.set_text_silently(""))

    def delete_saved_search(self) -> None:
        library, name = self._w.library, self.value()
        if library is None or self.kind() != SAVED or name is None:
            return
        self._run(ops.DeleteSavedSearch(name), (ALL, "all"))
