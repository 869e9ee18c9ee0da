"""Item models: qtmodeltester, lazy paging, drag payloads, sidebar drops."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QMimeData, QModelIndex, Qt

from papershelf.gui.models.paper_table import (
    MIME_TYPE,
    Column,
    IdRole,
    PaperTableModel,
    SortRole,
    ids_from_mime,
    ids_to_mime,
)
from papershelf.gui.models.sidebar import (
    CountRole,
    KindRole,
    QueryRole,
    SidebarData,
    SidebarModel,
    load_sidebar,
    quote_value,
)

from .conftest import SAMPLE_TEXT


@pytest.fixture
def filled(library):
    library.import_file(SAMPLE_TEXT)
    ids = library.search_ids("")
    library.add_tags(ids[:3], ["rl", "to skim"])
    library.add_to_list("To read", ids[:2], create=True)
    library.save_search("Agents", "agent status:unread")
    library.set_priority(ids[:1], 2)
    return library


def test_paper_table_model_passes_the_model_tester(qtmodeltester, filled):
    model = PaperTableModel(filled)
    model.set_query("", now=True)
    assert model.rowCount() == 49
    qtmodeltester.check(model, force_py=True)
    model.set_ids(model.ids[:5])
    qtmodeltester.check(model, force_py=True)


def test_paper_table_model_roles(filled):
    model = PaperTableModel(filled)
    model.set_sort(Column.TITLE, False, refresh=False)
    model.set_query("", now=True)
    titles = [model.index(r, Column.TITLE).data(SortRole) for r in range(model.rowCount())]
    assert titles == sorted(titles)
    first = model.index(0, Column.TITLE)
    assert first.data(IdRole) == model.ids[0]
    assert model.index(0, Column.STATUS).data() == "Unread"
    assert model.index(0, Column.TITLE).data(Qt.ItemDataRole.FontRole).bold()
    assert model.headerData(Column.TAGS, Qt.Orientation.Horizontal) == "Tags"
    tagged = model.row_of(filled.search_ids("tag:rl")[0])
    assert "rl" in model.index(tagged, Column.TAGS).data()
    prioritised = model.row_of(filled.search_ids("")[0])
    assert model.index(prioritised, Column.PRIORITY).data() == "★★"
    assert model.index(0, Column.LISTED_ON).data().endswith("-09-11")
    assert model.index(0, Column.ADDED_AT).data() == dt.date.today().isoformat()


def test_sorting_happens_in_sql(filled):
    model = PaperTableModel(filled)
    model.set_query("", now=True)
    model.set_sort(Column.TITLE, True, refresh=False)
    model.refresh_now()
    assert model.ids == filled.search_ids("", sort="title", descending=True)
    # Tags cannot be sorted in SQL: asking changes nothing.
    model.set_sort(Column.TAGS, False, refresh=False)
    assert model.sort_column == Column.TITLE


def test_rows_are_fetched_lazily_in_pages(filled, monkeypatch):
    calls = []
    original = filled.rows

    def counting(ids):
        calls.append(len(ids))
        return original(ids)

    monkeypatch.setattr(filled, "rows", counting)
    model = PaperTableModel(filled)
    model.PAGE = 10
    model.set_query("", now=True)
    assert calls == []  # the search fetched ids only
    model.index(0, 0).data()
    model.index(9, 3).data()
    assert calls == [10]
    model.index(25, 0).data()
    assert calls == [10, 10]
    model.invalidate([model.ids[0]])
    model.index(1, 0).data()
    assert calls == [10, 10, 10]


def test_a_model_over_a_hundred_thousand_ids_does_not_touch_them(filled, monkeypatch):
    requested = []
    monkeypatch.setattr(filled, "rows", lambda ids: requested.append(len(ids)) or {})
    model = PaperTableModel(filled)
    model.set_ids(list(range(1, 100_001)))
    assert model.rowCount() == 100_000
    assert model.index(99_999, 0).data() is None  # a missing row is blank, not an error
    assert requested == [PaperTableModel.PAGE]
    assert model.row_of(50_000) == 49_999


def test_drag_payload_round_trip(filled):
    model = PaperTableModel(filled)
    model.set_query("", now=True)
    mime = model.mimeData([model.index(2, 0), model.index(0, 1), model.index(2, 3)])
    assert mime.hasFormat(MIME_TYPE)
    assert ids_from_mime(mime) == [model.ids[0], model.ids[2]]
    broken = QMimeData()
    broken.setData(MIME_TYPE, b"{not json")
    assert ids_from_mime(broken) == []
    weird = QMimeData()
    weird.setData(MIME_TYPE, b'[1, "2", true, 3]')
    assert ids_from_mime(weird) == [1, 3]


def test_sidebar_model_passes_the_model_tester(qtmodeltester, filled):
    model = SidebarModel()
    model.populate(load_sidebar(filled))
    qtmodeltester.check(model, force_py=True)
    model.populate(SidebarData(stats={"all": 0}))
    qtmodeltester.check(model, force_py=True)


def test_sidebar_rows_carry_their_queries(filled):
    model = SidebarModel()
    model.populate(load_sidebar(filled))
    unread = model.find("status", "unread")
    assert unread.data(QueryRole) == "status:unread"
    assert unread.data(CountRole) == 49
    assert unread.siblingAtColumn(1).data() == "49"
    assert model.find("list", "To read").data(QueryRole) == 'list:"To read"'
    assert model.find("tag", "to skim").data(QueryRole) == 'tag:"to skim"'
    assert model.find("tag", "rl").data(QueryRole) == "tag:rl"
    [(day, _count)] = filled.listing_dates()
    assert model.find("date", day.isoformat()).data(QueryRole) == f"date:{day.isoformat()}"
    assert model.find("saved", "Agents").data(QueryRole) == "agent status:unread"
    for row in range(model.rowCount()):
        assert model.index(row, 0).data(KindRole) == "section"
    for query in (model.filter_query(model.find(k, v)) for k, v in [("tag", "to skim"), ("list", "To read")]):
        assert filled.count(query) > 0
    assert quote_value('say "hi"') == '"say hi"'


def test_updating_the_sidebar_keeps_rows_when_only_counts_change(filled):
    model = SidebarModel()
    model.populate(load_sidebar(filled))
    before = model.find("list", "To read")
    filled.add_to_list("To read", filled.search_ids("")[5:8])
    model.populate(load_sidebar(filled))
    after = model.find("list", "To read")
    assert (before.row(), before.parent()) == (after.row(), after.parent())
    assert after.data(CountRole) == 5


def test_dropping_papers_on_a_list(filled):
    model = SidebarModel()
    model.populate(load_sidebar(filled))
    dropped = []
    model.drop_handler = lambda name, ids: dropped.append((name, ids))
    target = model.find("list", "To read")
    mime = ids_to_mime([7, 8])
    assert model.canDropMimeData(mime, Qt.DropAction.CopyAction, -1, -1, target)
    # Not between rows, not on tags or sections, not foreign data.
    assert not model.canDropMimeData(mime, Qt.DropAction.CopyAction, 0, 0, target.parent())
    assert not model.canDropMimeData(mime, Qt.DropAction.CopyAction, -1, -1, model.find("tag", "rl"))
    assert not model.canDropMimeData(QMimeData(), Qt.DropAction.CopyAction, -1, -1, target)
    assert not model.canDropMimeData(mime, Qt.DropAction.CopyAction, -1, -1, QModelIndex())
    assert model.dropMimeData(mime, Qt.DropAction.CopyAction, -1, -1, target)
    assert dropped == [("To read", [7, 8])]


class _BigLibrary:
    """Just enough of a Library for the search path of a large result."""

    def __init__(self, n: int):
        self.all = list(range(n, 0, -1))
        self.calls: list[tuple[str, int | None]] = []

    def search_ids(self, query, *, sort="id", descending=False, limit=None):
        self.calls.append((query, limit))
        return self.all[:limit] if limit else list(self.all)

    def rows(self, ids):
        return {}


def test_a_large_result_shows_its_first_page_before_the_rest(qtbot):
    library = _BigLibrary(5000)
    model = PaperTableModel(library)
    model.set_ids(library.all)
    partial, final = [], []
    model.searchPartial.connect(partial.append)
    model.searchFinished.connect(final.append)
    with qtbot.waitSignal(model.searchFinished, timeout=5000):
        model.set_query("agents")
    assert partial == [PaperTableModel.PAGE]
    assert final == [5000]
    assert library.calls == [("agents", PaperTableModel.PAGE), ("agents", None)]
    assert model.rowCount() == 5000 and not model.searching


def test_only_the_newest_search_is_shown(qtbot):
    library = _BigLibrary(50)
    model = PaperTableModel(library)
    final = []
    model.searchFinished.connect(final.append)
    model.set_query("a")
    model.set_query("ab")
    with qtbot.waitSignal(model.searchFinished, timeout=5000):
        model.set_query("abc")
    qtbot.wait(50)
    assert final == [50]
    assert library.calls[-1] == ("abc", None)
    assert ("a", None) not in library.calls[1:] or len(final) == 1
