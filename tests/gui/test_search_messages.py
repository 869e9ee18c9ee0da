"""The search box shows the core's query messages in the status bar while the user types, never in a dialog."""

from __future__ import annotations

from .conftest import wait_search, wait_settled, wait_sidebar


def test_half_typed_and_unknown_filters_are_named_in_the_status_bar(imported, qtbot, dialogs):
    window = imported
    window.library.add_tags(window.library.search_ids("")[:2], ["nlp"])
    window.search_field.setFocus()
    status = window.statusBar()
    qtbot.keyClicks(window.search_field, "tag:")
    qtbot.waitUntil(lambda: status.currentMessage() == 'search: "tag:" needs a tag name (tag:NAME)', timeout=3000)
    assert window.table_model.rowCount() == 49  # the last good results stay while typing
    qtbot.keyClicks(window.search_field, "n")
    qtbot.waitUntil(lambda: status.currentMessage() == 'search: no tag named "n"; did you mean "nlp"?', timeout=3000)
    qtbot.keyClicks(window.search_field, "lp")
    qtbot.waitUntil(lambda: status.currentMessage() == "", timeout=3000)
    wait_search(qtbot, window)
    assert window.table_model.rowCount() == 2
    window.search_field.clear()
    qtbot.keyClicks(window.search_field, "date:2025-13")
    qtbot.waitUntil(lambda: "date:2025-13" in status.currentMessage() and "not a date" in status.currentMessage())
    assert dialogs.shown == []


def test_removing_the_last_use_of_the_shown_tag_shows_the_library_not_an_error(imported, qtbot, dialogs):
    window = imported
    ids = window.library.search_ids("")[:2]
    window.library.add_tags(ids, ["nlp"])
    window.sidebar_controller.load()
    wait_sidebar(qtbot, window)
    assert window.sidebar_controller.select("tag", "nlp")
    wait_search(qtbot, window)
    assert window.table_model.rowCount() == 2
    window.edits.remove_tags(["nlp"], ids)
    wait_settled(qtbot, window)
    wait_sidebar(qtbot, window)
    wait_search(qtbot, window)
    # The tag is gone: the sidebar goes back to the whole library, with no "no tag named" message.
    assert window.paper_view.current_query() == "" and window.table_model.rowCount() == 49
    assert "no tag" not in window.statusBar().currentMessage()
    assert dialogs.shown == []
