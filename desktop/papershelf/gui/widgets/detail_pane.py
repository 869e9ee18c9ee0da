"""The detail pane: everything about the current paper, and the controls to triage it.

Listing text is untrusted: every label uses ``Qt.PlainText``, the abstract is
a plain-text document (search terms are highlighted with extra selections,
never with HTML), control and bidi characters are shown as visible marks
(:func:`core.display.visible`), and links are opened only for http(s) URLs.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QRegularExpression, QSize, Qt, Signal
from PySide6.QtGui import QPalette, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from ...core.display import visible
from ...core.errors import PapershelfError
from ...core.operations import SetCitationKey
from ..links import safe_url
from .attachments_view import AttachmentsView, dropped_pdfs
from .flow_layout import FlowLayout, expanding_width_policy
from .labels import text_label
from .notes_editor import NotesEditor
from .status_buttons import PrioritySelector, StatusButtons
from .tag_editor import TagEditor, button_text

if TYPE_CHECKING:
    from ...core.library import Library
    from ...core.records import Paper
    from ..operations import OperationRunner

log = logging.getLogger("papershelf.gui")

#: What the pane says with no paper to show.
PLACEHOLDER = "Select a paper to see its details."
#: ... and when the paper chosen cannot be read: a shared library's server is away.
UNREACHABLE = "This paper cannot be shown while the shared library's server cannot be reached."


def plain_label(parent: QWidget, object_name: str, accessible: str, *, selectable: bool = True) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(object_name)
    label.setAccessibleName(accessible)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def heading(parent: QWidget, text: str) -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


class ColumnScrollArea(QScrollArea):
    """A scrolling area never narrower than its body can be: it scrolls down, never sideways.

    For a column beside another in a splitter (the notes): the splitter gives it at
    least the width of its widest row (a note's caption and Delete button).
    """

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        body = self.widget()
        if body is None:
            return hint
        # The vertical scroll bar's room is kept: a long note must not push the Delete button out.
        width = body.minimumSizeHint().width() + 2 * self.frameWidth() + self.verticalScrollBar().sizeHint().width()
        return QSize(width, hint.height())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # a note was added or removed: the splitter reads the minimum again
        return super().eventFilter(watched, event)


def _vertical_scroll(
    parent: QWidget, name: str, body_name: str, *, column: bool = False
) -> tuple[QScrollArea, QWidget]:
    """A frameless scrolling area and the body widget inside it.

    The body takes the area's width and wraps to it; only when the pane is narrower
    than the body can be (a small window) does a horizontal scroll bar appear, so
    no control is ever cut off out of reach. A ``column`` area is never that narrow
    (:class:`ColumnScrollArea`).
    """
    scroll = ColumnScrollArea(parent) if column else QScrollArea(parent)
    scroll.setObjectName(name)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    body = QWidget(scroll)
    body.setObjectName(body_name)
    scroll.setWidget(body)
    return scroll, body


_NBSP = "\u00a0"


def dates_line(paper: Paper) -> str:
    """The dates line, e.g. "Listed 2026-09-11 · Added 2026-12-01": it wraps only between phrases.

    A no-break space ties each label to its date and each dot to the phrase before
    it, so a narrow pane never shows "Added" at the end of one line and its date on
    the next, nor starts a line with the dot.
    """
    facts = []
    if paper.listing_dates:
        facts.append("Listed" + _NBSP + ", ".join(d.isoformat() for d in paper.listing_dates))
    facts.append(f"Added{_NBSP}{paper.added_at:%Y-%m-%d}")
    if paper.published:
        facts.append(f"Published{_NBSP}{paper.published.isoformat()}")
    if paper.read_at:
        facts.append(f"Read{_NBSP}{paper.read_at:%Y-%m-%d}")
    return f"{_NBSP}· ".join(facts)


#: The fields an online source fills in, as the details pane names them.
FIELD_NAMES = {
    "arxiv_id": "arXiv id",
    "authors": "authors",
    "published": "publication date",
    "primary_class": "primary category",
    "project_url": "project page",
    "code_urls": "code link",
    "doi": "DOI",
    "abstract": "abstract",
    "categories": "categories",
    "journal_ref": "journal reference",
    "comment": "comment",
    "version": "version",
    "citation_key": "citation key",
}


def publication_lines(paper: Paper) -> list[str]:
    """DOI, journal reference, categories, and which online source filled in what, when (plain text, untrusted)."""
    lines = []
    metadata = paper.metadata if isinstance(paper.metadata, dict) else {}
    doi = paper.extra_fields.get("doi")
    if doi:
        lines.append(f"DOI {doi}")
    journal = metadata.get("journal_ref")
    if journal:
        lines.append(f"Journal reference: {journal}")
    found = metadata.get("categories")
    categories = [str(c) for c in found] if isinstance(found, list) else []
    if paper.primary_class and paper.primary_class not in categories:
        categories.insert(0, paper.primary_class)
    if categories:
        lines.append("Categories: " + ", ".join(categories))
    if paper.cite_as == "preprint":
        lines.append("Cited as the arXiv preprint (Paper ▸ Cite as Preprint)")
    filled: dict[tuple[str, str], list[str]] = {}
    for name, (source, when) in sorted(paper.filled_by.items(), key=lambda item: (item[1][1], item[0])):
        filled.setdefault((source, f"{when:%Y-%m-%d}"), []).append(FIELD_NAMES.get(name, name))
    for (source, day), names in filled.items():
        lines.append(f"Filled in by {source} on {day}: {', '.join(names)}")
    return [visible(" ".join(line.split())) for line in lines]


class AbstractView(QTextEdit):
    """A read-only plain-text view as tall as its text, with highlighted search terms."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("abstractView")
        self.setAccessibleName("Abstract")
        self.setReadOnly(True)
        self.setAcceptRichText(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.viewport().setAutoFillBackground(False)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.document().documentLayout().documentSizeChanged.connect(lambda _size: self._fit())
        self._terms: list[str] = []

    def set_text(self, text: str, terms: list[str]) -> None:
        self.setPlainText(text)
        self.highlight(terms)
        self._fit()

    def highlight(self, terms: list[str]) -> None:
        """Mark each word or phrase of the search where a word starts with it."""
        self._terms = list(terms)
        fmt = QTextCharFormat()
        palette = self.palette()
        fmt.setBackground(palette.brush(QPalette.ColorRole.Highlight))
        fmt.setForeground(palette.brush(QPalette.ColorRole.HighlightedText))
        selections = []
        document = self.document()
        for term in terms:
            if not term.strip():
                continue
            pattern = QRegularExpression(
                r"\b" + QRegularExpression.escape(term), QRegularExpression.PatternOption.CaseInsensitiveOption
            )
            cursor = QTextCursor(document)
            while True:
                cursor = document.find(pattern, cursor)
                if cursor.isNull() or not cursor.hasSelection():
                    break
                selection = QTextEdit.ExtraSelection()
                selection.cursor = QTextCursor(cursor)
                selection.format = fmt
                selections.append(selection)
        self.setExtraSelections(selections)

    @property
    def highlighted(self) -> list[str]:
        return [s.cursor.selectedText() for s in self.extraSelections()]

    def _fit(self) -> None:
        margins = self.contentsMargins()
        height = int(self.document().size().height()) + margins.top() + margins.bottom() + 2
        if self.height() != height:
            self.setFixedHeight(max(height, self.fontMetrics().height() + 4))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()


#: The notes go beside the details when the pane is at least this wide (px) ...
NOTES_BESIDE_MIN_WIDTH = 560
#: ... and this many times wider than tall.
NOTES_BESIDE_RATIO = 1.6


class DetailPane(QStackedWidget):
    """Shows one paper. Changes go out as signals for the window's undo stack;
    notes are saved through the window's writer thread as they are typed."""

    statusChosen = Signal(str)
    priorityChosen = Signal(int)
    tagsAdded = Signal(list)
    tagRemoved = Signal(str)
    linkActivated = Signal(str)
    noteDeleteRequested = Signal(int)
    #: Something changed that other views show (a note saved).
    paperEdited = Signal(int)
    #: A one-line message for the status bar.
    message = Signal(str)
    #: A change to run as an undoable operation: (operation, on_done(outcome), on_error(exc, details)).
    operationRequested = Signal(object, object, object)
    #: The PDFs' Locate… (attachment id) and Open (attachment id) buttons.
    locateRequested = Signal(int)
    openPdfRequested = Signal(int)
    #: A PDF's Remove from This Paper (attachment id, file name).
    removePdfRequested = Signal(int, str)
    #: PDF files were dropped on the pane: (the paper shown, paths).
    pdfsDropped = Signal(int, list)

    def __init__(self, on_error: Callable[[str, str], None], parent=None):
        super().__init__(parent)
        self.setObjectName("detailPane")
        self.setAcceptDrops(True)  # PDFs dropped on the details attach to the paper shown
        self.setAccessibleName("Paper details")
        self._library: Library | None = None
        self._on_error = on_error
        self.paper: Paper | None = None
        #: The paper asked for while a shared library's server could not be reached (shown once it is back).
        self.unshown: int | None = None
        self._terms: list[str] = []
        #: The search the table shows: the pane says where it matched inside the paper's PDF.
        self._query = ""

        self.placeholder = QLabel(PLACEHOLDER, self)
        self.placeholder.setObjectName("detailPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setTextFormat(Qt.TextFormat.PlainText)
        self.placeholder.setWordWrap(True)
        self.placeholder.setEnabled(False)
        self.addWidget(self.placeholder)

        # Not `scroll`: that would hide QWidget.scroll().
        self.form_scroll, body = _vertical_scroll(self, "detailScroll", "detailBody")
        self.page = QSplitter(Qt.Orientation.Vertical, self)
        self.page.setObjectName("detailSplitter")
        self.page.setChildrenCollapsible(False)
        self.page.addWidget(self.form_scroll)
        self.addWidget(self.page)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(8)
        self._body_layout = layout  # its margins count in _fit_form

        self.title = plain_label(body, "paperTitle", "Title")
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.title.setFont(font)
        layout.addWidget(self.title)
        self.authors = plain_label(body, "paperAuthors", "Authors")
        layout.addWidget(self.authors)
        # In the palette's text colour: a disabled (grey) label was hard to read.
        self.dates = plain_label(body, "paperDates", "Dates")
        layout.addWidget(self.dates)
        # DOI, journal, categories and what an online source filled in (hidden when there is none).
        self.publication = plain_label(body, "paperPublication", "Publication")
        self.publication.hide()
        layout.addWidget(self.publication)

        self.links = QWidget(body)
        self.links.setObjectName("paperLinks")
        self.links.setAccessibleName("Links")
        # A flow, not a row: four link buttons would make the pane too wide for a small window.
        self.links.setSizePolicy(expanding_width_policy())
        self._links_layout = FlowLayout(self.links, spacing=6)
        layout.addWidget(self.links)
        self.link_buttons: list[QPushButton] = []
        # The paper's PDFs (hidden when it has none), and where the search matched inside them.
        self.attachments = AttachmentsView(body)
        self.attachments.locateRequested.connect(self.locateRequested)
        self.attachments.openRequested.connect(self.openPdfRequested)
        self.attachments.removeRequested.connect(self.removePdfRequested)
        layout.addWidget(self.attachments)

        form = QFormLayout()
        # In a narrow pane the fields go below their labels (see _fit_form).
        self._form = form
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.setVerticalSpacing(8)
        self.status_buttons = StatusButtons(body)
        self.status_buttons.statusChosen.connect(self.statusChosen)
        form.addRow(text_label("Status"), self.status_buttons)
        self.priority = PrioritySelector(body)
        self.priority.priorityChosen.connect(self.priorityChosen)
        priority_row = QHBoxLayout()
        priority_row.addWidget(self.priority)
        priority_row.addStretch(1)
        form.addRow(text_label("Priority"), priority_row)
        key_box = QVBoxLayout()
        key_box.setSpacing(2)
        self.citation_key = QLineEdit(body)
        self.citation_key.setObjectName("citationKeyEdit")
        self.citation_key.setAccessibleName("Citation key")
        self.citation_key.editingFinished.connect(self._save_citation_key)
        key_box.addWidget(self.citation_key)
        self.citation_key_message = plain_label(body, "citationKeyMessage", "Citation key problem", selectable=False)
        self.citation_key_message.hide()
        key_box.addWidget(self.citation_key_message)
        form.addRow(text_label("Citation key"), key_box)
        self.lists = plain_label(body, "paperLists", "Reading lists")
        form.addRow(text_label("Lists"), self.lists)
        self.tag_editor = TagEditor(body)
        self.tag_editor.tagsAdded.connect(self.tagsAdded)
        self.tag_editor.tagRemoved.connect(self.tagRemoved)
        form.addRow(text_label("Tags"), self.tag_editor)
        layout.addLayout(form)

        layout.addWidget(heading(body, "Abstract"))
        self.abstract = AbstractView(body)
        layout.addWidget(self.abstract)

        layout.addStretch(1)

        # The notes stay in view below, however long the abstract is.
        self.notes_scroll, notes_body = _vertical_scroll(self.page, "notesScroll", "notesBody", column=True)
        notes_layout = QVBoxLayout(notes_body)
        notes_layout.setContentsMargins(14, 8, 14, 12)
        notes_layout.setSpacing(6)
        notes_layout.addWidget(heading(notes_body, "Notes"))
        self.notes = NotesEditor(on_error, notes_body)
        self.notes.deleteRequested.connect(self.noteDeleteRequested)
        self.notes.noteSaved.connect(self.paperEdited)
        notes_layout.addWidget(self.notes)
        notes_layout.addStretch(1)
        self.page.addWidget(self.notes_scroll)
        self.page.setStretchFactor(0, 3)
        self.page.setStretchFactor(1, 1)
        self.page.setSizes([560, 220])
        #: The details/notes sizes last used in the other orientation (see :meth:`_orient_page`).
        self._page_sizes: dict[Qt.Orientation, list[int]] = {}
        self.form_scroll.viewport().installEventFilter(self)
        self.setCurrentWidget(self.placeholder)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._orient_page()

    def eventFilter(self, watched, event) -> bool:
        if watched is self.form_scroll.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_form()
        return super().eventFilter(watched, event)

    def _fit_form(self) -> None:
        """Fields beside their labels when they fit, else each below its label.

        By hand: QFormLayout's WrapLongRows under-counts a row whose field wraps (the
        tag chips), which then overflowed a narrow pane.
        """
        form = self._form
        labels = fields = 0
        for row in range(form.rowCount()):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if label is not None and field is not None:
                labels = max(labels, label.sizeHint().width())
                fields = max(fields, field.minimumSize().width())
        # -1: the style's spacing.
        spacing = form.horizontalSpacing()
        if spacing < 0:
            spacing = self.style().pixelMetric(QStyle.PixelMetric.PM_LayoutHorizontalSpacing)
        margins = self._body_layout.contentsMargins()
        needed = margins.left() + labels + spacing + fields + margins.right()
        policy = QFormLayout.RowWrapPolicy
        wanted = policy.WrapAllRows if self.form_scroll.viewport().width() < needed else policy.DontWrapRows
        if form.rowWrapPolicy() != wanted:
            form.setRowWrapPolicy(wanted)

    def _orient_page(self) -> None:
        """Notes below the details in a tall pane; beside them in a wide, short one.

        Below a narrow window's table the pane is wide and short: stacked, the
        details and the notes would each get a sliver of its height.
        """
        width, height = self.width(), self.height()
        beside = width >= NOTES_BESIDE_MIN_WIDTH and width >= NOTES_BESIDE_RATIO * height
        wanted = Qt.Orientation.Horizontal if beside else Qt.Orientation.Vertical
        if self.page.orientation() == wanted:
            return
        if sum(self.page.sizes()) > 0:
            self._page_sizes[self.page.orientation()] = self.page.sizes()
        self.page.setOrientation(wanted)
        sizes = self._page_sizes.get(wanted)
        if sizes is None:
            extent = width if beside else height
            sizes = [extent * 2 // 3, extent // 3] if beside else [extent * 3 // 4, extent // 4]
        self.page.setSizes(sizes)

    # --- Showing a paper ----------------------------------------------------------

    def set_library(self, library: Library | None, runner: OperationRunner | None = None) -> None:
        """Show papers of ``library``; note saves go through ``runner`` (required with a library)."""
        self._library = library
        self.notes.set_library(library, runner)
        self.show_paper(None)

    @property
    def paper_id(self) -> int | None:
        return self.paper.id if self.paper else None

    def show_paper(self, paper_id: int | None) -> None:
        """Show another paper (saving the notes of the previous one first)."""
        self.notes.flush()
        self.unshown = None
        if paper_id is None or self._library is None:
            self.paper = None
            self.notes.set_notes(None, [])
            self.placeholder.setText(PLACEHOLDER)
            self.setCurrentWidget(self.placeholder)
            return
        from ...core.errors import NotFoundError
        from ...core.live import is_disconnect

        try:
            paper = self._library.get(paper_id)
        except NotFoundError:
            self.show_paper(None)
            return
        except Exception as exc:
            if not is_disconnect(exc):
                raise
            # A shared library's server is away: show no paper rather than keep the last one, which an edit
            # made here would then change; it is shown once the server is back (refresh).
            self.show_paper(None)
            self.unshown = paper_id
            self.placeholder.setText(UNREACHABLE)
            return
        self.paper = paper
        self._fill(paper)
        self.notes.set_notes(paper.id, paper.notes)
        self.citation_key_message.hide()
        self.setCurrentWidget(self.page)
        self.form_scroll.verticalScrollBar().setValue(0)

    def refresh(self, *, notes: bool | str = False) -> None:
        """Show the current paper's latest state.

        The note editors are rebuilt if ``notes`` is True; with ``"auto"``, only
        if the stored notes differ and nobody is typing in them.
        """
        if self.paper is None and self.unshown is not None:
            self.show_paper(self.unshown)
            return
        if self.paper is None or self._library is None:
            return
        from ...core.errors import NotFoundError

        try:
            paper = self._library.get(self.paper.id)
        except NotFoundError:
            self.show_paper(None)
            return
        self.paper = paper
        self._fill(paper)
        if notes == "auto":
            notes = not self.notes.shows(paper.notes) and not self.notes.dirty and not self.notes.has_focus_inside()
        if notes:
            self.notes.set_notes(paper.id, paper.notes)

    def set_highlight(self, terms: list[str]) -> None:
        self._terms = list(terms)
        if self.paper is not None:
            self.abstract.highlight(self._terms)

    # --- PDFs dropped on the pane go to the paper it shows ----------------------------------

    def dragEnterEvent(self, event) -> None:
        if self.paper is not None and dropped_pdfs(event.mimeData()):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()  # anything else goes on to the window (a .bib to import)

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        paths = dropped_pdfs(event.mimeData())
        if self.paper is None or not paths:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.pdfsDropped.emit(self.paper.id, paths)

    def set_query(self, query: str) -> None:
        """The table's search: the PDFs' line says where it matched inside the paper."""
        if query != self._query:
            self._query = query
            if self.paper is not None:
                self._fill_pdfs(self.paper)

    @property
    def highlight_terms(self) -> list[str]:
        return list(self._terms)

    def set_tag_completions(self, names: list[str]) -> None:
        self.tag_editor.set_completions(names)

    def _fill(self, paper: Paper) -> None:
        self.title.setText(visible(paper.title))
        self.authors.setText(", ".join(visible(a) for a in paper.authors) if paper.authors else "Authors not listed")
        self.dates.setText(dates_line(paper))
        lines = publication_lines(paper)
        self.publication.setText("\n".join(lines))
        self.publication.setVisible(bool(lines))
        self._fill_links(paper)
        self._fill_pdfs(paper)
        self.status_buttons.set_status(paper.status)
        self.priority.set_priority(paper.priority)
        if not self.citation_key.hasFocus():
            self.citation_key.setText(visible(paper.citation_key))
        self.lists.setText(", ".join(visible(n) for n in paper.lists) if paper.lists else "Not in a reading list")
        self.tag_editor.set_tags(paper.tags)
        abstract = visible(paper.abstract, multiline=True) or "No abstract."
        if self.abstract.toPlainText() != abstract:
            self.abstract.set_text(abstract, self._terms)

    def _fill_pdfs(self, paper: Paper) -> None:
        """The paper's PDFs and the search's match in them (one indexed query each: cheap, like ``get``)."""
        if self._library is None:
            return
        from ...core.attachments import attachments_of
        from ...core.live import is_disconnect
        from ...core.pdf.indexing import pdf_hits

        try:
            found = attachments_of(self._library, [paper.id]).get(paper.id, [])
            hit = None
            if self._query and found:
                try:
                    hit = pdf_hits(self._library, self._query, [paper.id]).get(paper.id)
                except PapershelfError as exc:  # a query the search refuses too: the search says why
                    log.info("detail pane: %s", exc)
        except Exception as exc:
            if not is_disconnect(exc):
                raise
            # A shared library's server is away: the line stays as it was; the window reads it all again when
            # the server is back (gui/live_updates.py), and the status bar says so meanwhile.
            log.info("detail pane: the server cannot be reached (%s)", exc)
            return
        self.attachments.set_attachments(found)
        names = {a.id: a.name for a in found} if len(found) > 1 else {}
        if hit is None:
            self.attachments.set_hit(None)
        else:
            self.attachments.set_hit((hit.page, hit.snippet), names.get(hit.attachment_id, ""))

    def _fill_links(self, paper: Paper) -> None:
        links: list[tuple[str, str]] = []
        if paper.arxiv_id:
            links.append(("arXiv", f"https://arxiv.org/abs/{paper.arxiv_id}"))
        if paper.url and all(paper.url != u for _, u in links):
            links.append(("Paper page", paper.url))
        for i, url in enumerate(paper.code_urls):
            links.append(("Code" if len(paper.code_urls) == 1 else f"Code {i + 1}", url))
        if paper.project_url:
            links.append(("Project page", paper.project_url))
        for button in self.link_buttons:
            button.deleteLater()
        self.link_buttons = []
        for text, url in links:
            button = QPushButton(button_text(text), self.links)
            button.setObjectName("linkButton")
            button.setAccessibleName(f"Open {text}")
            safe = safe_url(url) is not None
            tip = html.escape(visible(url)) + ("" if safe else "<br>(not a web link; will not open)")
            button.setToolTip("<qt>" + tip + "</qt>")
            button.setProperty("url", url)
            button.setEnabled(safe)
            button.clicked.connect(lambda _=False, u=url: self.linkActivated.emit(u))
            self._links_layout.addWidget(button)
            self.link_buttons.append(button)
        self.links.setVisible(bool(links))

    # --- Editing ----------------------------------------------------------------

    def focus_tag_editor(self, suggestion: str = "") -> None:
        """Put the keyboard in the tag field, ``suggestion`` (the last tags used) selected in it."""
        if self.paper is not None:
            self.form_scroll.ensureWidgetVisible(self.tag_editor)
            self.tag_editor.focus_input(suggestion)

    def add_note(self) -> None:
        if self.paper is None:
            return
        editor = self.notes.add_note()
        if editor is not None:
            self.notes_scroll.ensureWidgetVisible(editor)

    def _save_citation_key(self) -> None:
        if self.paper is None or self._library is None:
            return
        key = self.citation_key.text().strip()
        # The field shows the key through visible(): as shown is unchanged too.
        if key in (self.paper.citation_key, visible(self.paper.citation_key).strip()):
            self.citation_key_message.hide()
            return
        paper = self.paper

        def still_shown() -> bool:
            # By id: a change that lands refreshes the pane with a new Paper object for the same paper.
            return self.paper is not None and self.paper.id == paper.id

        def refused(exc: BaseException, details: str) -> None:
            if not isinstance(exc, PapershelfError):
                self._on_error(f"Could not change the citation key: {exc}", details)
                return
            message = f"⚠ Not changed: {exc}"
            if self.paper is not None and still_shown():
                self.citation_key_message.setText(message)
                self.citation_key_message.show()
                self.citation_key.setText(self.paper.citation_key)
            self.message.emit(message)

        def done(_outcome: object) -> None:
            paper.citation_key = key
            if still_shown():
                self.citation_key_message.hide()
            self.message.emit(f"Citation key set to {key}")

        # The window puts it on the undo stack and the writer thread.
        self.operationRequested.emit(SetCitationKey(paper.id, key), done, refused)

    def flush(self) -> bool:
        return self.notes.flush()
