"""The online commands in the app (issue 13): File ▸ Fetch Daily Papers, Paper ▸ Complete from arXiv and
Cite as Preprint, the question asked once on the first launch, and the start-up check.

Every request goes to the local test server (tests/online_server.py). The daily listing is the committed
API sample (tests/fixtures/hf-daily-papers-api-sample.json, two papers of 2025-09-11), or the pasted
sample's day rebuilt in the API's shape from its own titles and abstracts (no real response of that day
was found: tests/fixtures/online/SOURCES.md); arXiv's answers are Atom feeds in the shape the API serves
since November 2025 (namespaces on <feed>, unwrapped text), with made-up ids and authors.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QApplication, QPushButton

from papershelf.gui import fetch_flow
from papershelf.gui.fetch_flow import FetchDialog, recent_unfetched
from papershelf.gui.settings import Settings

from ..online_server import OnlineServer, Reply, online_server_fixture  # noqa: F401 (the online_server fixture)
from .conftest import SAMPLE_JSON, import_through_preview, wait_search, wait_settled

SEP11 = dt.date(2025, 9, 11)
SAMPLE_IDS = ("2509.90001", "2509.90002")


@pytest.fixture
def online(online_server: OnlineServer, monkeypatch) -> OnlineServer:
    """The server as both APIs (under paths, as mirrors would be); arXiv's 3 s between requests not waited."""
    from papershelf.core.online import arxiv

    monkeypatch.setenv("HF_ENDPOINT", online_server.url + "/hf")
    monkeypatch.setenv("PAPERSHELF_ARXIV_API", online_server.url + "/arxiv/api/query")
    monkeypatch.setattr(arxiv, "MIN_INTERVAL", 0.0)
    monkeypatch.setattr(fetch_flow, "today", lambda: dt.date(2025, 9, 12))
    return online_server


def answered(check: bool) -> None:
    """The profile of a user who answered the first launch's question."""
    settings = Settings()
    settings.startup_check_asked = True
    settings.check_listings_at_startup = check
    settings.sync()


def entry(arxiv_id: str, title: str, authors: list[str], *, published: bool = False) -> str:
    doi = (
        "\n    <arxiv:journal_ref>Proceedings of ACL 2026, pages 1-12</arxiv:journal_ref>"
        f"\n    <arxiv:doi>10.18653/v1/2026.acl-long.{arxiv_id[-3:]}</arxiv:doi>"
        if published
        else ""
    )
    names = "".join(f"\n    <author>\n      <name>{name}</name>\n    </author>" for name in authors)
    return f"""  <entry>
    <id>http://arxiv.org/abs/{arxiv_id}v2</id>
    <title>{_xml(title)}</title>
    <updated>2025-09-10T17:59:59Z</updated>
    <link href="https://arxiv.org/abs/{arxiv_id}v2" rel="alternate" type="text/html"/>
    <link href="https://arxiv.org/pdf/{arxiv_id}v2" rel="related" type="application/pdf" title="pdf"/>
    <summary>An abstract as arXiv has it.</summary>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.AI" scheme="http://arxiv.org/schemas/atom"/>
    <published>2025-09-08T17:59:59Z</published>
    <arxiv:comment>12 pages, 3 figures</arxiv:comment>
    <arxiv:primary_category term="cs.CL"/>{doi}{names}
  </entry>
"""


def feed(entries: list[str]) -> str:
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" \
xmlns:arxiv="http://arxiv.org/schemas/atom">
  <id>https://arxiv.org/api/0b1bY2kzW1yHqmRoyHWuPzJqCeA</id>
  <title>arXiv Query: search_query=&amp;id_list=&amp;start=0&amp;max_results={len(entries)}</title>
  <updated>2025-09-12T00:00:00Z</updated>
  <link href="https://arxiv.org/api/query?start=0&amp;max_results={len(entries)}" type="application/atom+xml"/>
  <opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>
  <opensearch:totalResults>{len(entries)}</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
{"".join(entries)}</feed>
"""


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def serve_sample_day(server: OnlineServer) -> None:
    """The API sample as 2025-09-11's listing, and arXiv's answer about its two papers (the first published)."""
    listing = json.loads(SAMPLE_JSON.read_text(encoding="utf-8"))
    server.add(f"/hf/api/daily_papers?date={SEP11}&limit=100", Reply.file(SAMPLE_JSON.name))
    entries = [
        entry(item["paper"]["id"], item["title"], [a["name"] for a in item["paper"]["authors"]], published=n == 0)
        for n, item in enumerate(listing)
    ]
    server.add("/arxiv/api/query", Reply.atom(feed(entries)))


def fetch_through_dialog(qtbot, window, day: dt.date, *, complete: bool = True):
    """File ▸ Fetch Daily Papers, the day chosen, Fetch clicked: the preview that opens."""
    window.acts.fetch_action.trigger()
    flow = window.fetch_flow
    qtbot.waitUntil(lambda: flow.dialog is not None and flow.dialog.isVisible(), timeout=5000)
    dialog = flow.dialog
    dialog.set_day(day)
    dialog.since_check.setChecked(False)
    dialog.complete_check.setChecked(complete)
    qtbot.mouseClick(dialog.fetch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: flow.preview is not None and flow.preview.isVisible(), timeout=10000)
    return flow.preview


def wait_idle(qtbot, window, timeout: int = 15000) -> None:
    qtbot.waitUntil(lambda: not window.fetch_flow.busy, timeout=timeout)


def status(window) -> str:
    return window.statusBar().currentMessage()


def close_error_box(window) -> str:
    box = window.fetch_flow.error_box
    assert box is not None and box.isVisible() and not box.isModal()
    text = box.text()
    box.close()
    return text


# --- File ▸ Fetch Daily Papers ----------------------------------------------------------------------------


def test_fetch_a_day_preview_import_complete_and_undo(window, qtbot, online):
    serve_sample_day(online)
    assert window.acts.fetch_action.shortcut().toString() == "Ctrl+Shift+F"
    preview = fetch_through_dialog(qtbot, window, SEP11)
    # The same preview as a file import: a dry run, nothing written yet.
    assert preview.objectName() == "importPreviewDialog"
    assert preview.new_label.text() == "2" and preview.existing_label.text() == "0"
    assert "2025-09-11" in preview.findChild(type(preview.new_label), "previewHeading").text()
    assert not preview.date_edit.isEnabled()  # the API's day, nothing to correct
    assert window.library.count() == 0
    assert online.paths() == [f"/hf/api/daily_papers?date={SEP11}&limit=100"]

    qtbot.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    wait_search(qtbot, window)
    library = window.library
    assert library.count() == 2
    assert library.fetched_days() == {SEP11: 2}
    request = online.requests[-1]
    assert request.path == "/arxiv/api/query"
    assert sorted(request.params["id_list"][0].split(",")) == list(SAMPLE_IDS)
    assert request.headers["User-Agent"].startswith("Papershelf/")
    assert "Completed 2 papers from arXiv" in status(window)
    published = library.get(library.resolve(SAMPLE_IDS[0]))
    assert published.extra_fields["doi"] == "10.18653/v1/2026.acl-long.001"
    assert published.metadata["categories"] == ["cs.CL", "cs.AI"]
    # One undo step for the day's import, one for the completion.
    assert window.undo_stack.count() == 2
    assert window.undo_stack.text(0) == "Import the daily papers of 2025-09-11"

    window.undo_stack.undo()  # the completion
    wait_settled(qtbot, window)
    assert "doi" not in library.get(published.id).extra_fields
    assert library.count() == 2
    window.undo_stack.undo()  # the import
    wait_settled(qtbot, window)
    wait_search(qtbot, window)
    assert library.count() == 0
    assert window.table_model.rowCount() == 0


def test_the_details_pane_shows_doi_journal_categories_and_who_filled_them_in(window, qtbot, online):
    serve_sample_day(online)
    preview = fetch_through_dialog(qtbot, window, SEP11)
    qtbot.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    wait_search(qtbot, window)
    library = window.library
    window.table.select_row(window.table_model.row_of(library.resolve(SAMPLE_IDS[0])))
    qtbot.waitUntil(lambda: window.detail.paper_id == library.resolve(SAMPLE_IDS[0]))
    shown = window.detail.publication
    assert shown.isVisible() and shown.textFormat() == Qt.TextFormat.PlainText
    lines = shown.text().splitlines()
    assert "DOI 10.18653/v1/2026.acl-long.001" in lines
    assert "Journal reference: Proceedings of ACL 2026, pages 1-12" in lines
    assert "Categories: cs.CL, cs.AI" in lines
    assert any(line.startswith("Filled in by arXiv API on ") and "DOI" in line for line in lines)


def serve_pasted_day(server: OnlineServer, sample: Path, day: dt.date) -> None:
    """The pasted sample's papers as ``day``'s API listing (made-up ids and authors), and arXiv's answer about them."""
    from papershelf.core.importers import Source, read_records

    records = list(read_records(Source.from_path(sample), listing_date=day).records)
    items, entries = [], []
    for n, record in enumerate(records):
        arxiv_id = f"2509.{90100 + n:05d}"
        authors = [f"Ada{n} Lovelace", f"Alan{n} Turing"]
        paper = {
            "id": arxiv_id,
            "authors": [{"_id": f"a{n}{i}", "name": name, "hidden": False} for i, name in enumerate(authors)],
            "publishedAt": "2025-09-09T00:00:00.000Z",
            "submittedOnDailyAt": f"{day.isoformat()}T00:00:00.000Z",
            "title": record.title,
            "summary": record.abstract,
            "upvotes": 3,
        }
        items.append({"paper": paper, "title": record.title, "summary": record.abstract, "numComments": 0})
        entries.append(entry(arxiv_id, record.title, authors, published=n % 5 == 0))
    server.add(f"/hf/api/daily_papers?date={day}&limit=100", Reply.json(items))
    server.add("/arxiv/api/query", Reply.atom(feed(entries)))


def test_a_day_the_library_holds_pasted_gets_ids_and_authors_and_no_duplicates(
    imported, qtbot, online, sample, monkeypatch
):
    """The pasted sample's day, fetched: every pasted paper is matched, none added; tags and notes stay."""
    window = imported
    library = window.library
    first = library.search_ids("")[0]
    library.add_tags([first], ["to-cite"])
    library.add_note(first, "my note")
    day = library.get(first).listing_dates[0]  # the pasted page has no year: the importer's guess
    monkeypatch.setattr(fetch_flow, "today", lambda: day)
    serve_pasted_day(online, sample, day)

    preview = fetch_through_dialog(qtbot, window, day)
    assert preview.new_label.text() == "0" and preview.existing_label.text() == "49"
    qtbot.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert library.count() == 49
    papers = list(library.iter_papers(library.search_ids("")))
    assert all(p.arxiv_id and p.authors for p in papers)
    kept = library.get(first)
    assert kept.tags == ["to-cite"] and [n.text for n in kept.notes] == ["my note"]
    assert "Completed 49 papers from arXiv" in status(window)


def test_complete_pasted_papers_matches_them_to_their_day_then_asks_arxiv(imported, qtbot, online, sample):
    window = imported
    library = window.library
    day = library.get(library.search_ids("")[0]).listing_dates[0]
    serve_pasted_day(online, sample, day)
    window.table.selectAll()
    window.acts.complete_action.trigger()
    wait_idle(qtbot, window)
    assert (
        online.paths()[0] == f"/hf/api/daily_papers?date={day}&limit=100"
    )  # one request for the day, not one per paper
    assert [r.path for r in online.requests[1:]] == ["/arxiv/api/query"]
    assert status(window) == "Completed 49 papers from arXiv; 49 matched to their daily listing."
    papers = list(library.iter_papers(library.search_ids("")))
    assert all(p.arxiv_id and p.authors for p in papers) and library.count() == 49
    # The arXiv completion is one undo step (matching to the listing is not: it only fills in what was missing).
    window.undo_stack.undo()
    wait_settled(qtbot, window)
    assert not any(p.metadata.get("categories") for p in library.iter_papers(library.search_ids("")))


def test_every_day_since_fetches_each_day_and_an_empty_weekend_is_said(window, qtbot, online):
    serve_sample_day(online)
    for day in ("2025-09-12", "2025-09-13", "2025-09-14"):
        online.add(f"/hf/api/daily_papers?date={day}&limit=100", Reply.json([]))
    window.fetch_flow.fetch([dt.date(2025, 9, 13), dt.date(2025, 9, 14)], complete=False)
    wait_idle(qtbot, window)
    assert "No papers were listed on 2025-09-13 to 2025-09-14" in status(window)
    assert window.library.fetched_days() == {dt.date(2025, 9, 13): 0, dt.date(2025, 9, 14): 0}
    assert window.fetch_flow.preview is None

    window.acts.fetch_action.trigger()
    flow = window.fetch_flow
    qtbot.waitUntil(lambda: flow.dialog is not None and flow.dialog.isVisible())
    flow.dialog.set_day(SEP11)
    flow.dialog.since_check.setChecked(True)
    flow.dialog.complete_check.setChecked(False)
    assert flow.dialog.days() == [SEP11, dt.date(2025, 9, 12)]  # up to today
    qtbot.mouseClick(flow.dialog.fetch_button, Qt.MouseButton.LeftButton)
    preview = wait_fetch_preview(qtbot, window)
    assert preview.new_label.text() == "2"
    assert "nothing listed on 2025-09-12" in preview.date_note.text()
    qtbot.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert window.library.count() == 2
    assert not any(r.path.startswith("/arxiv") for r in online.requests)  # completion unticked
    assert window.undo_stack.count() == 1  # the empty day is no undo step


def wait_fetch_preview(qtbot, window):
    flow = window.fetch_flow
    qtbot.waitUntil(lambda: flow.preview is not None and flow.preview.isVisible(), timeout=10000)
    return flow.preview


def test_cancelling_the_preview_imports_nothing(window, qtbot, online):
    serve_sample_day(online)
    preview = fetch_through_dialog(qtbot, window, SEP11)
    preview.reject()
    wait_idle(qtbot, window)
    assert window.library.count() == 0 and window.library.fetched_days() == {}
    assert "cancelled; nothing was imported" in status(window)


# --- Failures and cancelling -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply.html(), "expected JSON, got an HTML page"),
        (Reply.status_only(503, headers={"Retry-After": "3600"}), "HTTP 503"),
    ],
)
def test_a_server_answering_html_is_one_line_and_changes_nothing(window, qtbot, online, dialogs, reply, reason):
    online.add(f"/hf/api/daily_papers?date={SEP11}&limit=100", reply)
    import_through_preview(qtbot, window, SAMPLE_JSON, expect_new=2)
    before = window.library.count()
    window.fetch_flow.fetch([SEP11])
    wait_idle(qtbot, window)
    url = f"{online.url}/hf/api/daily_papers?date={SEP11}&limit=100"
    message = status(window)
    assert message.startswith(f"Could not fetch the daily papers: {url}: {reason}")
    assert "\n" not in message and "Traceback" not in message
    assert close_error_box(window) == message  # the same line, in a window that does not block
    assert window.library.count() == before and window.library.fetched_days() == {}
    assert window.fetch_flow.preview is None and window.undo_stack.count() == 1
    assert dialogs.shown == []  # no modal error


def test_no_network_leaves_the_app_working(window, qtbot, monkeypatch):
    from tests.online_server import closed_port

    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    window.fetch_flow.fetch([SEP11])
    wait_idle(qtbot, window)
    assert "connection refused" in status(window)
    close_error_box(window)
    import_through_preview(qtbot, window, SAMPLE_JSON, expect_new=2)  # offline, everything else works
    assert window.library.count() == 2


def test_cancel_during_the_download(window, qtbot, online):
    online.add(f"/hf/api/daily_papers?date={SEP11}&limit=100", Reply.file(SAMPLE_JSON.name, hang=30))
    window.fetch_flow.fetch([SEP11])
    qtbot.waitUntil(lambda: len(online.requests) == 1, timeout=5000)
    progress = window.fetch_flow.progress
    assert progress is not None
    qtbot.waitUntil(progress.isVisible, timeout=5000)
    cancel = next(b for b in progress.findChildren(QPushButton) if b.text() == "Cancel")
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    # At once, though the server still hangs: nothing waits for it.
    wait_idle(qtbot, window, timeout=2000)
    assert status(window) == "Fetch cancelled; nothing was imported."
    assert window.fetch_flow.progress is None and window.fetch_flow.preview is None
    assert window.library.count() == 0 and window.library.fetched_days() == {}


def test_a_failed_completion_keeps_the_import_and_says_one_line(window, qtbot, online):
    online.add(f"/hf/api/daily_papers?date={SEP11}&limit=100", Reply.file(SAMPLE_JSON.name))
    online.add("/arxiv/api/query", Reply.atom("<feed><entry>cut short"))
    preview = fetch_through_dialog(qtbot, window, SEP11)
    qtbot.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert window.library.count() == 2
    message = close_error_box(window)
    assert message.startswith(f"Could not complete the papers from arXiv: {online.url}/arxiv/api/query?id_list=")
    assert "malformed XML" in message and message.endswith("The papers were not completed.")
    assert window.undo_stack.count() == 1  # the import; no completion


# --- Paper ▸ Complete from arXiv and Cite as Preprint ------------------------------------------------------


def test_complete_the_selection_from_arxiv(window, qtbot, online):
    serve_sample_day(online)
    import_through_preview(qtbot, window, SAMPLE_JSON, expect_new=2)
    assert online.requests == []  # importing a file asks nothing of the network
    window.table.selectAll()
    window.acts.update_enabled()
    assert window.acts.complete_action.isEnabled()
    window.acts.complete_action.trigger()
    wait_idle(qtbot, window)
    assert status(window) == "Completed 2 papers from arXiv."
    assert [r.path for r in online.requests] == ["/arxiv/api/query"]
    assert window.undo_stack.count() == 2
    paper = window.library.get(window.library.resolve(SAMPLE_IDS[0]))
    assert paper.filled_by["doi"][0] == "arXiv API"


def test_cite_as_preprint_is_undoable(imported, qtbot):
    window = imported
    paper_id = window.table.current_id()
    assert paper_id is not None
    action = window.acts.cite_preprint_action
    assert action.isCheckable() and not action.isChecked()
    action.trigger()
    wait_settled(qtbot, window)
    assert window.library.get(paper_id).cite_as == "preprint"
    assert action.isChecked()
    assert "Cited as the arXiv preprint" in window.detail.publication.text()
    window.undo_stack.undo()
    wait_settled(qtbot, window)
    assert window.library.get(paper_id).cite_as == "auto"
    assert not action.isChecked()
    assert not window.detail.publication.isVisible()


# --- The question asked once, and the start-up check ---------------------------------------------------------


def test_the_first_launch_asks_once_and_stores_the_answer(make_window, qtbot, online):
    window = make_window()
    question = window.fetch_flow.question
    assert question is not None and question.isVisible()
    assert not question.isModal() and QApplication.activeModalWidget() is None
    assert "huggingface.co" not in question.label.text()  # names the host it would ask: the server here
    assert "127.0.0.1" in question.label.text()
    qtbot.mouseClick(question.no_button, Qt.MouseButton.LeftButton)
    assert window.fetch_flow.question is None
    assert Settings().startup_check_asked and not Settings().check_listings_at_startup
    assert not window.acts.startup_check_action.isChecked()
    window.close()

    again = make_window()
    qtbot.wait(200)
    assert again.fetch_flow.question is None  # asked once
    assert online.requests == []


def test_saying_yes_checks_for_todays_listing_and_imports_nothing(make_window, qtbot, online, monkeypatch):
    monkeypatch.setattr(fetch_flow, "today", lambda: SEP11)
    serve_sample_day(online)
    window = make_window()
    qtbot.mouseClick(window.fetch_flow.question.yes_button, Qt.MouseButton.LeftButton)
    assert Settings().check_listings_at_startup
    assert window.acts.startup_check_action.isChecked()
    expected = "New listing for 2025-09-11: 2 papers — File ▸ Fetch Daily Papers to import"
    qtbot.waitUntil(lambda: status(window) == expected, timeout=5000)
    assert online.paths() == [f"/hf/api/daily_papers?date={SEP11}&limit=100"]
    assert window.library.count() == 0 and window.library.fetched_days() == {}


def test_at_start_up_with_yes_todays_listing_is_checked_once(make_window, qtbot, online, monkeypatch, lib_path):
    monkeypatch.setattr(fetch_flow, "today", lambda: SEP11)
    serve_sample_day(online)
    answered(True)
    window = make_window()
    assert window.fetch_flow.question is None
    qtbot.waitUntil(lambda: "New listing for 2025-09-11: 2 papers" in status(window), timeout=5000)
    assert len(online.requests) == 1 and window.library.count() == 0


def test_at_start_up_a_fetched_day_or_a_failure_is_quiet(make_window, qtbot, online, monkeypatch, dialogs):
    monkeypatch.setattr(fetch_flow, "today", lambda: SEP11)
    online.add(f"/hf/api/daily_papers?date={SEP11}&limit=100", Reply.html())
    answered(True)
    window = make_window()
    qtbot.waitUntil(lambda: "Could not check for a new listing" in status(window), timeout=5000)
    assert window.fetch_flow.error_box is None and dialogs.shown == []  # the status bar only: nobody asked
    window.library.record_fetched_day(SEP11, 2)
    window.close()
    window = make_window()
    qtbot.wait(300)
    assert len(online.requests) == 1  # today was fetched: nothing asked


@pytest.mark.parametrize("answer", [False, None])
def test_no_request_at_start_up_unless_the_user_said_yes(make_window, qtbot, online, answer):
    if answer is not None:
        answered(answer)
    window = make_window()
    qtbot.waitUntil(lambda: window.library is not None)
    qtbot.wait(500)
    assert online.requests == []
    assert (window.fetch_flow.question is not None) == (answer is None)


def test_the_start_up_check_can_be_turned_on_and_off_in_the_file_menu(window, qtbot, online):
    online.add("/hf/api/daily_papers", Reply.json([]))
    action = window.acts.startup_check_action
    action.trigger()  # on: the question goes, and today's listing is checked (empty here)
    assert action.isChecked() and Settings().check_listings_at_startup
    assert window.fetch_flow.question is None
    qtbot.waitUntil(lambda: len(online.requests) == 1)
    action.trigger()
    assert not action.isChecked() and not Settings().check_listings_at_startup


# --- The dialog's default day --------------------------------------------------------------------------------


def test_the_default_day_is_the_oldest_weekday_not_fetched_this_past_week(qtbot):
    friday = dt.date(2025, 9, 12)
    assert recent_unfetched(set(), friday) == [dt.date(2025, 9, d) for d in (8, 9, 10, 11, 12)]
    fetched = {dt.date(2025, 9, 8), dt.date(2025, 9, 9)}
    dialog = FetchDialog(fetched, friday, "huggingface.co")
    qtbot.addWidget(dialog)
    assert dialog.date_edit.date() == QDate(2025, 9, 10)
    assert dialog.since_check.isChecked()  # three days missing: all of them
    assert dialog.days() == [dt.date(2025, 9, d) for d in (10, 11, 12)]
    assert dialog.complete_check.isChecked()
    assert dialog.date_edit.calendarPopup() and dialog.date_edit.maximumDate() == QDate(2025, 9, 12)

    every = {dt.date(2025, 9, d) for d in range(6, 13)}
    dialog = FetchDialog(every, friday, "huggingface.co")
    qtbot.addWidget(dialog)
    assert dialog.date_edit.date() == QDate(2025, 9, 12) and not dialog.since_check.isChecked()
    assert dialog.days() == [friday]


def test_the_new_settings_survive_a_relaunch():
    answered(True)
    again = Settings()
    assert again.startup_check_asked and again.check_listings_at_startup


def test_no_module_of_the_app_but_the_online_core_opens_a_connection():
    """The GUI reaches the network only through papershelf.core.online (whose client the tests point here)."""
    gui = Path(fetch_flow.__file__).resolve().parent
    for source in gui.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        for word in ("urllib.request", "http.client", "QNetworkAccessManager", "socket."):
            assert word not in text, f"{source.name} uses {word}"


def test_the_publication_lines_are_plain_text_on_one_line_each(imported, qtbot):
    """arXiv's fields are untrusted: markup stays literal, line breaks and hidden characters cannot fake a line."""
    from papershelf.gui.widgets.detail_pane import publication_lines

    paper = imported.library.get(imported.table.current_id())
    paper.metadata = {"journal_ref": "<b>Nature</b>\nFilled in by you", "categories": ["cs.CL\u202e", 3]}
    paper.extra_fields = {"doi": "10.1/x"}
    lines = publication_lines(paper)
    assert lines[0] == "DOI 10.1/x"
    assert lines[1] == "Journal reference: <b>Nature</b> Filled in by you"
    assert lines[2].startswith("Categories: cs.CL") and "\u202e" not in lines[2] and lines[2].endswith(", 3")
