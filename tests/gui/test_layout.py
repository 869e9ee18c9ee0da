"""The window's layout as a new user meets it: empty tables, column widths, names, small windows."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QByteArray, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPalette, QTextDocument, QTextLayout, QTextOption
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QHeaderView, QSplitter, QStyle, QStyleOptionViewItem, QWidget

from papershelf.core.importers import Source
from papershelf.gui.models.paper_table import Column, PaperTableModel
from papershelf.gui.widgets.paper_table_view import PaperTableView
from papershelf.gui.widgets.responsive_splitter import ResponsiveSplitter

from .conftest import import_through_preview, wait_search, wait_sidebar

BIB_WITH_AUTHOR = """@article{ada2026,
  title = {Engines of Analysis},
  author = {Lovelace, Ada and Babbage, Charles},
  year = {2026},
}
"""


def _ink(image: QImage, background: QColor, alternate: QColor) -> int:
    """How many pixels differ clearly from both row backgrounds (text drawn on them)."""
    count = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            c = image.pixelColor(x, y)
            if all(abs(c.lightness() - b.lightness()) > 60 for b in (background, alternate)):
                count += 1
    return count


def _search(qtbot, window, text: str) -> None:
    window.search_field.setText(text)
    window.search_field.flush()
    wait_search(qtbot, window)


# --- The empty table says why it is empty -------------------------------------------------------


def test_a_search_with_no_results_says_so_in_the_table(imported, qtbot):
    window = imported
    table = window.table
    palette = table.palette()
    background, alternate = palette.color(palette.ColorRole.Base), palette.color(palette.ColorRole.AlternateBase)
    _search(qtbot, window, "nothing-matches-this")
    assert window.table_model.rowCount() == 0
    headline, hint = table.empty_message()
    # The whole query: the listing chosen in the sidebar and the search text.
    assert window.paper_view.current_query() == "date:2026-09-11 nothing-matches-this"
    assert headline == "No papers match date:2026-09-11 nothing-matches-this"
    assert "Esc" in hint
    # Painted in the table, not only stored: the viewport is no longer blank.
    assert _ink(table.viewport().grab().toImage(), background, alternate) > 50
    assert "No papers match" in table.accessibleDescription()
    # A query is the user's text: markup shows literally (QPainter.drawText is plain text).
    _search(qtbot, window, "<b>zzqx</b>")
    assert table.empty_message()[0] == "No papers match date:2026-09-11 <b>zzqx</b>"
    # Results again: no message over the rows.
    _search(qtbot, window, "")
    assert window.table_model.rowCount() == 49
    assert table.empty_message() is None
    assert table.accessibleDescription() == ""


def test_an_empty_library_says_something_else_than_an_empty_search(qtbot, library):
    model = PaperTableModel(library)
    view = PaperTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(600, 300)
    view.show()
    qtbot.waitExposed(view)
    model.refresh_now()
    empty_library = view.empty_message()
    assert empty_library is not None and "Import" in empty_library[1]
    palette = view.palette()
    image = view.viewport().grab().toImage()
    assert _ink(image, palette.color(palette.ColorRole.Base), palette.color(palette.ColorRole.AlternateBase)) > 50
    model.set_query("nothing", now=True)
    assert view.empty_message() is not None and view.empty_message() != empty_library


# --- Columns: the title gets the room; empty columns go ------------------------------------------


def _visible_width(header: QHeaderView) -> int:
    return sum(header.sectionSize(c) for c in Column if not header.isSectionHidden(c))


def test_a_column_no_paper_fills_is_hidden_and_the_title_takes_the_room(imported, qtbot):
    window = imported
    header = window.table.horizontalHeader()
    viewport = window.table.viewport()
    # The sample listing names no authors: "First author" would be an empty column.
    qtbot.waitUntil(lambda: header.isSectionHidden(Column.FIRST_AUTHOR), timeout=3000)
    assert not header.isSectionHidden(Column.LISTED_ON)  # the listing has a date
    qtbot.waitUntil(lambda: _visible_width(header) == viewport.width(), timeout=3000)
    # A paper with an author arrives: the column comes back.
    window.library.import_file(Source.from_text(BIB_WITH_AUTHOR, "ada.bib"))
    window.refresh_all()
    window.sidebar.setCurrentIndex(window.sidebar_model.find("all", "all"))
    _search(qtbot, window, "Engines")
    assert window.table_model.rowCount() == 1
    qtbot.waitUntil(lambda: not header.isSectionHidden(Column.FIRST_AUTHOR), timeout=3000)
    assert window.table_model.index(0, Column.FIRST_AUTHOR).data() == "Ada Lovelace"


def test_columns_the_user_chose_are_kept(imported, qtbot, make_window, lib_path):
    window = imported
    header = window.table.horizontalHeader()
    qtbot.waitUntil(lambda: header.isSectionHidden(Column.FIRST_AUTHOR), timeout=3000)
    # The user hides a filled column and shows the empty one (the header menu does this).
    header.set_user_hidden(Column.TAGS, True)
    header.set_user_hidden(Column.FIRST_AUTHOR, False)
    window.table.hide_empty_columns()
    assert not header.isSectionHidden(Column.FIRST_AUTHOR) and header.isSectionHidden(Column.TAGS)
    window.close()
    again = make_window(lib_path)
    header = again.table.horizontalHeader()
    wait_search(qtbot, again)
    qtbot.waitUntil(lambda: again.table_model.empty_columns() is not None, timeout=3000)
    again.table.hide_empty_columns()
    assert not header.isSectionHidden(Column.FIRST_AUTHOR)
    assert header.isSectionHidden(Column.TAGS)


def test_a_column_hidden_because_it_was_empty_is_saved_as_shown(imported, qtbot):
    header = imported.table.horizontalHeader()
    qtbot.waitUntil(lambda: header.isSectionHidden(Column.FIRST_AUTHOR), timeout=3000)
    state = header.saveState()
    assert isinstance(state, QByteArray)
    fresh = PaperTableView()
    qtbot.addWidget(fresh)
    fresh.setModel(PaperTableModel(None))
    assert fresh.horizontalHeader().restoreState(state)
    assert not fresh.horizontalHeader().isSectionHidden(Column.FIRST_AUTHOR)
    # A state without the trailer (older versions) and a damaged trailer restore too.
    plain = QHeaderView.saveState(header)
    assert fresh.horizontalHeader().restoreState(plain)
    assert fresh.horizontalHeader().restoreState(QByteArray(bytes(plain.data()) + b"\n#papershelf-columns:{bad"))


def test_a_column_the_user_resized_with_the_mouse_is_never_hidden(qtbot, library):

    library.import_file(Source.from_text(BIB_WITH_AUTHOR, "ada.bib"))
    model = PaperTableModel(library)
    view = PaperTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.apply_default_widths()
    view.resize(900, 300)
    view.show()
    qtbot.waitExposed(view)
    header = view.horizontalHeader()
    # Drag the right edge of "Listing date" 40 px to the right.
    edge = header.sectionViewportPosition(Column.LISTED_ON) + header.sectionSize(Column.LISTED_ON) - 1
    y = header.height() // 2
    before = header.sectionSize(Column.LISTED_ON)
    QTest.mousePress(header.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(edge, y))
    QTest.mouseMove(header.viewport(), QPoint(edge + 20, y))
    QTest.mouseMove(header.viewport(), QPoint(edge + 40, y))
    QTest.mouseRelease(
        header.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(edge + 40, y)
    )
    assert header.sectionSize(Column.LISTED_ON) > before
    assert Column.LISTED_ON in header.user_set
    # The .bib paper has no listing date: the column is empty, but the user sized it, so it stays.
    model.refresh_now()
    qtbot.waitUntil(lambda: model.empty_columns() is not None, timeout=3000)
    assert Column.LISTED_ON in model.empty_columns()
    view.hide_empty_columns()
    assert not header.isSectionHidden(Column.LISTED_ON)


# --- The sidebar shows whole list names, or their two ends and a tooltip ------------------------


def _text_room(view, index) -> int:
    """The width the view gives an item's text (its cell less the decoration and margins)."""

    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    option.rect = view.visualRect(index)
    option.index = index
    option.text = index.data()
    option.features |= QStyleOptionViewItem.ViewItemFeature.HasDisplay
    return view.style().subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, view).width()


def _shown_whole(sidebar, index) -> bool:
    return sidebar.fontMetrics().horizontalAdvance(index.data()) <= _text_room(sidebar, index)


def test_long_list_names_in_the_sidebar_at_1600_px(imported, qtbot):
    window = imported
    window.resize(1600, 1000)
    name = "Reading group: diffusion models 2026"
    huge = "A reading list whose name goes on and on " * 4 + "2026"
    window.library.add_to_list(name, window.table_model.ids[:3], create=True)
    window.library.add_tags(window.table_model.ids[:1], ["a-rather-long-tag-name-for-a-sidebar"])
    window.sidebar_controller.load()
    wait_sidebar(qtbot, window)
    sidebar = window.sidebar
    # A 1600 px window has room for the names people give lists and tags: shown whole.
    for kind, value in (("list", name), ("tag", "a-rather-long-tag-name-for-a-sidebar")):
        index = window.sidebar_model.find(kind, value)
        assert index.isValid()
        qtbot.waitUntil(lambda index=index: _shown_whole(sidebar, index), timeout=3000)
    # ... in a sidebar no wider than they need, so the table keeps its room.
    assert window.splitter.sizes()[0] < 1600 // 5
    # The sidebar grows only so far (a fifth of the window). A name longer than that is cut in the
    # middle, so its start and its end (the year) both show, and the tooltip has it all.
    window.library.add_to_list(huge, window.table_model.ids[:1], create=True)
    window.sidebar_controller.load()
    wait_sidebar(qtbot, window)
    qtbot.waitUntil(lambda: window.splitter.sizes()[0] == 1600 // 5, timeout=3000)
    index = window.sidebar_model.find("list", huge)
    assert not _shown_whole(sidebar, index)
    assert sidebar.textElideMode() == Qt.TextElideMode.ElideMiddle
    tip = QTextDocument()
    tip.setHtml(index.data(Qt.ItemDataRole.ToolTipRole) or "")
    assert tip.toPlainText() == huge


def _drag(handle: QWidget, dx: int) -> None:
    """Drag a splitter handle ``dx`` px sideways with the mouse."""
    start = QPoint(handle.width() // 2, handle.height() // 2)
    QTest.mousePress(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in (dx // 2, dx):
        QTest.mouseMove(handle, start + QPoint(step, 0))
    QTest.mouseRelease(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(dx, 0))


def test_a_sidebar_width_the_user_dragged_is_kept(imported, qtbot, make_window, lib_path):
    window = imported
    window.resize(1600, 1000)
    window.library.add_to_list("Reading group: diffusion models 2026", window.table_model.ids[:3], create=True)
    window.sidebar_controller.load()
    wait_sidebar(qtbot, window)
    qtbot.wait(50)
    fitted = window.splitter.sizes()[0]
    _drag(window.splitter.handle(1), -40)
    chosen = window.splitter.sizes()[0]
    assert chosen < fitted - 20
    # A new, longer name and another window size do not undo the user's choice ...
    window.library.add_to_list(
        "Reading group: diffusion models, 2026 and 2027", window.table_model.ids[:3], create=True
    )
    window.sidebar_controller.load()
    wait_sidebar(qtbot, window)
    window.resize(1500, 950)
    qtbot.wait(50)
    assert window.splitter.sizes()[0] == chosen
    # ... nor does a relaunch.
    window.close()
    again = make_window(lib_path)
    again.resize(1600, 1000)
    wait_sidebar(qtbot, again)
    qtbot.wait(50)
    assert again.splitter.sizes()[0] == chosen


# --- The detail pane's dates line: readable, and whole phrases -----------------------------------


def _luminance(color: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF()) + 0.0722 * channel(color.blueF())


def contrast(a: QColor, b: QColor) -> float:
    """The WCAG 2 contrast ratio of two colours."""
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _lines(text: str, font, width: int) -> list[str]:
    """How Qt breaks ``text`` into lines ``width`` pixels wide (as a word-wrapping label does)."""

    layout = QTextLayout(text, font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WordWrap)
    layout.setTextOption(option)
    layout.beginLayout()
    lines = []
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        lines.append(text[line.textStart() : line.textStart() + line.textLength()])
    layout.endLayout()
    return lines


def test_the_dates_line_is_readable_and_wraps_only_between_phrases(imported, qtbot):

    window = imported
    paper = window.table.current_id()
    window.library.set_status([paper], "read")
    window.detail.refresh()
    label = window.detail.dates
    text = label.text()
    assert text.replace("\u00a0", " ").startswith("Listed 2026-09-11 · Added ")
    assert " · Read " in text.replace("\u00a0", " ")
    # Drawn in a colour that reads: WCAG AA, 4.5:1 against the window background.
    group = QPalette.ColorGroup.Active if label.isEnabled() else QPalette.ColorGroup.Disabled
    foreground = label.palette().color(group, label.foregroundRole())
    background = window.palette().color(QPalette.ColorGroup.Active, QPalette.ColorRole.Window)
    assert contrast(foreground, background) >= 4.5
    # However narrow the pane, a line never ends between a label and its date.
    labels = ("Listed", "Added", "Read")
    for width in range(60, 500, 7):
        lines = [line.strip() for line in _lines(text, label.font(), width)]
        assert all(line.startswith(labels) for line in lines), (width, lines)
        assert not any(line.endswith(labels) for line in lines), (width, lines)
    assert len(_lines(text, label.font(), 80)) == 3  # narrow: one phrase a line


# --- At 800x600 nothing is cut off ---------------------------------------------------------------


def _reachable(scroll, widget) -> bool:
    """Whether scrolling ``scroll`` can bring every part of ``widget`` into view.

    No parent between it and the scrolled body cuts it off, and the scroll bars reach its far edges.
    """

    body = scroll.widget()
    parent, rect = widget, widget.rect()
    while parent is not body:
        rect = QRect(parent.mapToParent(rect.topLeft()), rect.size())
        parent = parent.parentWidget()
        if not parent.rect().contains(rect):
            return False
    viewport = scroll.viewport()
    # A scroll bar the user cannot see does not count, whatever its range.
    across, down = scroll.horizontalScrollBar(), scroll.verticalScrollBar()
    reach_x = viewport.width() + (across.maximum() if across.isVisibleTo(scroll) else 0)
    reach_y = viewport.height() + (down.maximum() if down.isVisibleTo(scroll) else 0)
    bottom_right = widget.mapTo(body, QPoint(widget.width(), widget.height()))
    return bottom_right.x() <= reach_x and bottom_right.y() <= reach_y


def test_at_800_by_600_the_details_scroll_and_the_status_column_shows(imported, qtbot):
    window = imported
    window.resize(800, 600)
    # A paper with a link button, read, tagged: every row of the pane is in use.
    row = next(
        r for r in range(window.table_model.rowCount()) if window.library.get(window.table_model.ids[r]).code_urls
    )
    window.table.select_row(row)
    paper = window.table.current_id()
    window.library.add_tags([paper], ["reinforcement-learning", "to-read"])
    window.library.set_status([paper], "read")
    window.detail.refresh()
    detail = window.detail
    assert detail.currentWidget() is detail.page
    # As the window leaves it, then as narrow as the user can drag the pane.
    sidebar, table, _ = window.splitter.sizes()
    for details_width in (None, 1):
        if details_width is not None:
            window.splitter.setSizes([sidebar, table + 1000, details_width])
        qtbot.wait(50)
        for scroll in (detail.form_scroll, detail.notes_scroll):
            widgets = [w for w in scroll.widget().findChildren(QWidget) if w.isVisibleTo(scroll.widget())]
            assert widgets
            for widget in widgets:
                where = (detail.width(), widget.objectName() or type(widget).__name__, widget.geometry())
                assert _reachable(scroll, widget), where
    # The table keeps its Status column in view, however narrow.
    header = window.table.horizontalHeader()
    assert not header.isSectionHidden(Column.STATUS)

    def status_in_view() -> bool:
        left = header.sectionViewportPosition(Column.STATUS)
        return left >= 0 and left + header.sectionSize(Column.STATUS) <= window.table.viewport().width()

    qtbot.waitUntil(status_in_view, timeout=3000)


def _in_view(scroll, widget) -> bool:
    """Whether all of ``widget`` shows in ``scroll``'s viewport as it is, without scrolling sideways."""
    viewport = scroll.viewport()
    rect = QRect(widget.mapTo(viewport, QPoint(0, 0)), widget.size())
    return rect.left() >= 0 and rect.right() < viewport.width()


def test_at_800_by_600_the_notes_beside_the_details_are_not_cut_off(imported, qtbot):
    window = imported
    window.resize(800, 600)
    qtbot.waitUntil(lambda: window.splitter.narrow, timeout=3000)
    paper = window.table.current_id()
    window.library.add_note(paper, "Claims RLVR mostly re-weights what the base model can already do.")
    window.detail.refresh(notes=True)
    detail = window.detail
    qtbot.waitUntil(lambda: detail.page.orientation() == Qt.Orientation.Horizontal, timeout=3000)
    scroll = detail.notes_scroll
    delete = scroll.widget().findChild(QWidget, "deleteNoteButton")
    assert delete is not None
    qtbot.waitUntil(lambda: delete.isVisibleTo(window), timeout=3000)
    qtbot.wait(50)
    # The Delete button, the note and Add note show whole in the notes column, with no sideways scrolling.
    for widget in (delete, detail.notes.editors[0], detail.notes.add_button):
        assert _in_view(scroll, widget), (widget.objectName(), scroll.viewport().width())
    assert not scroll.horizontalScrollBar().isVisibleTo(scroll)
    # The details beside them still show their controls (they scroll down, not sideways).
    assert not detail.form_scroll.horizontalScrollBar().isVisibleTo(detail.form_scroll)
    for widget in (detail.status_buttons, detail.citation_key, detail.tag_editor):
        assert _in_view(detail.form_scroll, widget), widget.objectName()


# --- A narrow window puts the details below the papers (ResponsiveSplitter) -----------------------


@pytest.fixture
def responsive(monkeypatch, make_window, qtbot, sample):
    """A window (its main splitter a ResponsiveSplitter) with the sample listing imported."""

    def make():
        window = make_window()
        assert isinstance(window.splitter, ResponsiveSplitter)
        return window

    window = make()
    import_through_preview(qtbot, window, sample, expect_new=49)
    return window, make


def test_a_narrow_window_puts_the_details_below_the_papers(responsive, qtbot):
    window, _make = responsive
    splitter = window.splitter
    window.resize(1400, 850)
    qtbot.waitUntil(lambda: not splitter.narrow, timeout=3000)
    assert (
        window.detail.mapTo(window, window.detail.rect().topLeft()).x()
        > window.table.mapTo(window, window.table.rect().topLeft()).x()
    )
    window.resize(800, 600)
    qtbot.waitUntil(lambda: splitter.narrow, timeout=3000)
    table_bottom = window.table.mapTo(window, window.table.rect().bottomLeft()).y()
    assert window.detail.mapTo(window, window.detail.rect().topLeft()).y() > table_bottom
    assert window.detail.width() > 500  # the details get the window's width, less the sidebar
    # The table keeps room for its titles, and its Status column is in view.
    header = window.table.horizontalHeader()

    def status_in_view() -> bool:
        left = header.sectionViewportPosition(Column.STATUS)
        return left >= 0 and left + header.sectionSize(Column.STATUS) <= window.table.viewport().width()

    qtbot.waitUntil(status_in_view, timeout=3000)
    assert header.sectionSize(Column.TITLE) >= 150
    detail = window.detail
    window.table.select_row(0)
    for scroll in (detail.form_scroll, detail.notes_scroll):
        for widget in scroll.widget().findChildren(QWidget):
            if widget.isVisibleTo(scroll.widget()):
                assert _reachable(scroll, widget), widget.objectName() or type(widget).__name__
    # Below the table the pane is wide and short: the notes go beside the details, not under them.
    qtbot.waitUntil(lambda: detail.page.orientation() == Qt.Orientation.Horizontal, timeout=3000)
    assert detail.notes_scroll.height() > 200
    for widget in detail.form_scroll.widget().findChildren(QWidget):
        if widget.isVisibleTo(detail.form_scroll.widget()):
            assert _reachable(detail.form_scroll, widget), widget.objectName() or type(widget).__name__
    # Wide again: beside the table, the notes below the details, as before.
    window.resize(1400, 850)
    qtbot.waitUntil(lambda: not splitter.narrow, timeout=3000)
    qtbot.waitUntil(lambda: detail.page.orientation() == Qt.Orientation.Vertical, timeout=3000)


def test_the_responsive_splitter_remembers_its_sizes(responsive, qtbot, lib_path):
    window, make = responsive
    window.resize(760, 560)
    qtbot.waitUntil(lambda: window.splitter.narrow, timeout=3000)
    window.splitter.setSizes([300, 200, 250])
    sizes = window.splitter.sizes()
    assert sizes[0] == 300
    window.close()
    again = make()
    qtbot.waitUntil(lambda: again.splitter.narrow, timeout=3000)
    assert again.splitter.sizes() == sizes


def _three_panes(qtbot, width: int) -> ResponsiveSplitter:
    splitter = ResponsiveSplitter()
    qtbot.addWidget(splitter)
    for _ in range(3):
        splitter.addWidget(QWidget())
    splitter.resize(width, 500)
    splitter.show()
    qtbot.waitExposed(splitter)
    return splitter


def test_a_wide_splitter_keeps_the_narrow_sizes_for_later(qtbot):
    splitter = _three_panes(qtbot, 1400)
    assert not splitter.narrow
    splitter.setSizes([220, 800, 360])
    wide = splitter.sizes()
    assert wide[0] == 220 and abs(wide[1] - 800) <= 20 and abs(wide[2] - 360) <= 20
    splitter.resize(900, 500)
    qtbot.waitUntil(lambda: splitter.narrow, timeout=3000)
    splitter.setSizes([220, 300, 180])
    narrow = splitter.sizes()
    state = splitter.saveState()
    again = _three_panes(qtbot, 1400)
    assert again.restoreState(state)
    assert again.sizes() == wide
    again.resize(900, 500)
    qtbot.waitUntil(lambda: again.narrow, timeout=3000)
    assert again.sizes() == narrow


def test_a_window_opened_narrow_gives_the_details_their_width_when_widened(qtbot, lib_path, tmp_path):
    """A window opened at 800 px and then maximised gave the details a sliver (from Qt's sizes before it showed)."""
    from papershelf.core.library import Library
    from papershelf.gui.app import create_window

    bib = tmp_path / "one.bib"
    bib.write_text(BIB_WITH_AUTHOR)
    lib_path.parent.mkdir(parents=True, exist_ok=True)
    library = Library(lib_path)
    library.import_file(bib)
    library.close()
    window = create_window(lib_path)
    qtbot.addWidget(window)
    window.resize(800, 600)
    window.show()
    qtbot.waitExposed(window)
    assert window.splitter.narrow
    window.resize(1600, 1000)
    qtbot.waitUntil(lambda: not window.splitter.narrow, timeout=3000)
    assert window.detail.width() >= 300, window.splitter.sizes()


def _details_fit(window) -> bool:
    """Whether the details show whole beside the papers: no sideways scroll bar, every control in view."""
    detail = window.detail
    scroll = detail.form_scroll
    if scroll.horizontalScrollBar().isVisibleTo(scroll):
        return False
    return all(_in_view(scroll, w) for w in (detail.status_buttons, detail.citation_key, detail.tag_editor))


def test_the_details_get_their_width_back_after_a_narrow_window(imported, qtbot):
    """Review: 1600 px, then 800x600, then 1600 px again left the details 257 px wide (380 before), with a
    sideways scroll bar cutting off the Read button, the citation key and the tags: the splitter kept the
    sizes Qt had squeezed them to at 800 px as the side-by-side sizes."""
    window = imported
    window.resize(1600, 1000)
    qtbot.waitUntil(lambda: not window.splitter.narrow, timeout=3000)
    window.table.select_row(0)
    qtbot.wait(50)
    before = window.splitter.sizes()
    assert before[2] >= 300 and _details_fit(window), before
    for _ in range(2):  # and again: nothing shrinks a little more each time
        window.resize(800, 600)
        qtbot.waitUntil(lambda: window.splitter.narrow, timeout=3000)
        qtbot.wait(50)
        window.resize(1600, 1000)
        qtbot.waitUntil(lambda: not window.splitter.narrow, timeout=3000)
        qtbot.wait(50)
        after = window.splitter.sizes()
        assert all(abs(a - b) <= 4 for a, b in zip(after, before, strict=True)), (before, after)
        qtbot.waitUntil(lambda: _details_fit(window), timeout=3000)
    # A width the user drags is theirs: kept through the round trip too, even narrower than the content.
    sidebar, papers, details = window.splitter.sizes()
    _drag(window.splitter.inner.handle(1), 120)
    dragged = window.splitter.sizes()
    assert dragged[2] < details - 100, dragged
    window.resize(800, 600)
    qtbot.waitUntil(lambda: window.splitter.narrow, timeout=3000)
    window.resize(1600, 1000)
    qtbot.waitUntil(lambda: not window.splitter.narrow, timeout=3000)
    assert all(abs(a - b) <= 4 for a, b in zip(window.splitter.sizes(), dragged, strict=True))


class _WantsWidth(QWidget):
    """A pane whose content needs ``width`` px (a detail pane's form), though it can be made narrower."""

    def __init__(self, width: int):
        super().__init__()
        self.wanted = width

    def sizeHint(self) -> QSize:
        return QSize(self.wanted, 300)


def test_details_saved_squeezed_by_an_older_version_open_whole(qtbot):
    """A state saved with the squeezed side-by-side sizes (the bug above) opens with the details as wide as they need."""
    splitter = ResponsiveSplitter()
    qtbot.addWidget(splitter)
    panes = [QWidget(), QWidget(), _WantsWidth(350)]
    for pane in panes:
        splitter.addWidget(pane)
    splitter.resize(1600, 500)
    splitter.show()
    qtbot.waitExposed(splitter)
    state = b'papershelf-splitter:{"outer": [200, 1390], "sidebar_fits": false, "wide": [334, 257], "narrow": null}'
    assert splitter.restoreState(QByteArray(state))
    assert splitter.sizes()[2] >= 350, splitter.sizes()


def test_the_responsive_splitter_reads_a_flat_splitter_state_and_refuses_junk(qtbot):

    flat = QSplitter()
    for _ in range(3):
        flat.addWidget(QWidget())
    flat.resize(1000, 400)
    flat.setSizes([200, 500, 300])
    state = flat.saveState()
    splitter = ResponsiveSplitter()
    qtbot.addWidget(splitter)
    panes = [QWidget(), QWidget(), QWidget()]
    for pane in panes:
        splitter.addWidget(pane)
    splitter.resize(1400, 400)
    splitter.show()
    qtbot.waitExposed(splitter)
    assert splitter.restoreState(state)
    assert splitter.sizes()[0] == 200
    for junk in (b"", b"papershelf-splitter:{", b'papershelf-splitter:{"outer": [1, true]}', b"\x00\x01garbage"):
        assert not splitter.restoreState(QByteArray(junk))
    assert splitter.pane(2) is panes[2]
