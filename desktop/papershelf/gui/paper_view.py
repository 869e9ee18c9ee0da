"""The paper table and the search field above it: what they show, in which order, and which paper is current."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QObject, Qt
from PySide6.QtWidgets import QAbstractItemView

from ..core.display import visible
from .links import open_url, safe_url
from .models.paper_table import Column
from .models.sidebar import ALL, DATE, CountRole
from .wording import plural

if TYPE_CHECKING:
    from .main_window import MainWindow


class PaperView(QObject):
    """Runs the search of the current view, keeps the current paper across searches, sorts, and moves the focus."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self._w = window
        self.table = window.table
        self.table_model = window.table_model
        self.search_field = window.search_field
        #: The query of the sidebar's view ("" for All Papers); the search field's text is added to it.
        self.filter_query = ""
        #: The paper to select again when the next search finishes.
        self._keep_id: int | None = None
        #: Where the next search that finishes starts the table: (paper id or None for the first paper,
        #: rows above it on screen). Set when a library opens or a listing was imported.
        self._start_at: tuple[int | None, int] | None = None
        #: The sort the user chose by clicking a header; None: the default order of each view.
        self.chosen_sort: tuple[Column, bool] | None = None

        self.table_model.searchFinished.connect(self._search_finished)
        self.table_model.searchPartial.connect(self._search_partial)
        self.table_model.searchFailed.connect(self._search_failed)
        self.table_model.modelAboutToBeReset.connect(self.remember_current)
        self.table.sortRequested.connect(self._sort_requested)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        # Ctrl+click can change the selection without moving the current row.
        self.table.selectionModel().selectionChanged.connect(lambda _s, _d: self._w.acts.update_enabled())
        self.search_field.searchRequested.connect(lambda _text: self.run_search())
        self.search_field.leaveRequested.connect(self.focus_table)

    # --- Searching ----------------------------------------------------------------

    def current_query(self) -> str:
        """The sidebar filter and the search field, as one query."""
        return " ".join(part for part in (self.filter_query, self.search_field.text().strip()) if part)

    def set_filter(self, query: str, *, force: bool = False) -> None:
        """Show the view of ``query`` (the sidebar's choice); search again if it changed or ``force``."""
        if query != self.filter_query or force:
            self.filter_query = query
            self.run_search()

    def run_search(self) -> None:
        if self._w.library is None:
            return
        query = self.current_query()
        self.use_view_sort()
        self.table_model.set_query(query)
        try:
            from ..core.search import highlight_terms

            terms = highlight_terms(query)
        except Exception:
            terms = []
        self._w.detail.set_highlight(terms)
        self._w.detail.set_query(query)

    def start_on_first(self) -> None:
        """Select the first paper when the next search finishes, so the first J goes to paper 2."""
        self._start_at = (None, 0)

    def start_in(self, query: str, paper_id: int | None = None, rows_above: int = 0) -> None:
        """A library opens: show the view of ``query``, and when its search finishes select ``paper_id``.

        The paper is put ``rows_above`` rows below the top of the table, as it
        was when the library closed; without it, or if it is gone, the first
        paper is selected.
        """
        self.filter_query = query
        self._start_at = (paper_id, rows_above)
        self.use_view_sort()

    def position(self) -> tuple[int | None, int]:
        """The current paper and how many rows of the table are above it on screen (for :meth:`start_in`)."""
        paper_id = self.table.current_id()
        top = self.table.rowAt(0)
        if paper_id is None or top < 0:
            return paper_id, 0
        return paper_id, self.table.currentIndex().row() - top

    def _start(self, count: int) -> None:
        """Select where :meth:`start_in` or :meth:`start_on_first` asked, now that the search has finished."""
        assert self._start_at is not None
        paper_id, rows_above = self._start_at
        self._start_at = None
        self._keep_id = None
        row = self.table_model.row_of(paper_id) if paper_id is not None else None
        if row is None:
            rows_above = 0
            row = 0 if count else None
        if row is None:
            self._w.detail.show_paper(None)
            return
        self.table.select_row(row)
        top = self.table_model.index(max(0, row - rows_above), 0)
        self.table.scrollTo(top, QAbstractItemView.ScrollHint.PositionAtTop)

    def remember_current(self) -> None:
        """Keep the current paper selected through the next search, if it is still among the results."""
        current = self.table.current_id()
        if current is not None:
            self._keep_id = current

    def _search_finished(self, count: int) -> None:
        total = self._w.sidebar_model.find(ALL, "all").data(CountRole)
        shown = plural(count, "paper")
        if total is not None and self.current_query() and total != count:
            shown += f" of {total:,}"
        self._w.hit_count.setText(shown)
        status = self._w.statusBar()
        if status.property("queryError"):
            status.clearMessage()
            status.setProperty("queryError", False)
        if self._start_at is not None:
            self._start(count)
            return
        wanted, self._keep_id = self._keep_id, None
        row = self.table_model.row_of(wanted) if wanted is not None else None
        if row is not None:
            self.table.select_row(row)
        else:
            self._w.detail.show_paper(None)
        self._w.acts.update_enabled()

    def _search_partial(self, count: int) -> None:
        self._w.hit_count.setText(f"{count:,}+ papers…")
        if self._start_at is not None:
            # The first page is enough to start on the first paper; a paper to go back to waits for the full list.
            if self._start_at[0] is None and count:
                self._start(count)
            return
        row = self.table_model.row_of(self._keep_id) if self._keep_id is not None else None
        if row is not None:
            self.table.select_row(row)

    def _search_failed(self, message: str) -> None:
        self._w.statusBar().showMessage(message)
        self._w.statusBar().setProperty("queryError", True)

    # --- Sorting ------------------------------------------------------------------

    def _sort_requested(self, column: int, descending: bool) -> None:
        self.remember_current()
        self.chosen_sort = (Column(column), descending)
        self.table_model.set_sort(Column(column), descending)

    def use_default_order(self) -> None:
        """View ▸ Default Order: forget the column the user sorted by."""
        self.chosen_sort = None
        self.remember_current()
        self.run_search()

    def use_view_sort(self) -> None:
        """Sort the table as the user chose, or else in the default order of the sidebar's view.

        A listing (a date in the sidebar) reads in its page order: its papers
        were added in that order, so that is the date added, ascending. Other
        views show the newest papers first. Both are the id order, the one
        that search as you type serves from the index at 100,000 papers.
        """
        column, descending = self.chosen_sort or (Column.ADDED_AT, self._w.sidebar_controller.kind() != DATE)
        if (column, descending) != (self.table_model.sort_column, self.table_model.descending):
            self.table_model.set_sort(column, descending, refresh=False)
        self.table.show_sort(column, descending)

    def restore_sort(self) -> None:
        """The sort the user chose in an earlier session (only a chosen sort is kept, not a default)."""
        chosen = self._w.settings.table_sort
        if chosen is not None and 0 <= chosen[0] < len(Column):
            self.chosen_sort = (Column(chosen[0]), chosen[1])
        self.use_view_sort()

    def save_sort(self) -> None:
        self._w.settings.table_sort = (int(self.chosen_sort[0]), self.chosen_sort[1]) if self.chosen_sort else None

    # --- The current paper and the focus -------------------------------------------

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        # The detail pane shows the current paper, and nothing when no paper is current.
        paper_id = self.table_model.paper_id(current.row()) if current.isValid() else None
        detail = self._w.detail
        if paper_id != detail.paper_id:
            detail.show_paper(paper_id)
        self._w.acts.update_enabled()

    def focus_table(self) -> None:
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if not self.table.currentIndex().isValid() and self.table_model.rowCount():
            self.table.select_row(0)

    def focus_search(self) -> None:
        self.search_field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_field.selectAll()

    def select_all(self) -> None:
        self.table.selectAll()
        self.table.setFocus()

    def open_current_page(self, *, say: bool = True) -> bool:
        """Shift+Enter (and Enter on a paper without a PDF): the current paper's web page in the browser.

        Whether it was opened; ``say``: the status bar says so (a failure always is said).
        """
        paper_id = self.table.current_id()
        library = self._w.library
        if paper_id is None or library is None:
            return False
        detail = self._w.detail
        paper = detail.paper if detail.paper is not None and detail.paper_id == paper_id else library.get(paper_id)
        if paper.link is None:
            self._w.statusBar().showMessage("This paper has no web page.", 8000)
            return False
        opened = self.open_link(paper.link)
        if opened and say:
            self._w.statusBar().showMessage("Opened the paper's web page.", 8000)
        return opened

    def open_link(self, url: str) -> bool:
        """Open an http(s) link from a paper in the browser; say why anything else is not opened."""
        if safe_url(url) is None:
            shown = visible(url if len(url) <= 60 else url[:59] + "…")
            self._w.statusBar().showMessage(f"Not opening “{shown}”: only http and https links are opened.", 10000)
            return False
        if not open_url(url):
            self._w.statusBar().showMessage("The browser could not be started.", 10000)
            return False
        return True
