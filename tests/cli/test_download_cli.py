"""`papershelf download` against the local test server: one line per paper, the queue, Ctrl+C and resume, --auto.

The PDF served is a real one (tests/fixtures/online/pdfjs-asciihexdecode.pdf, from pdf.js; see SOURCES.md there).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import pytest

from papershelf import paths
from papershelf.core import attachments
from papershelf.core.importers import Source
from papershelf.core.library import Library
from papershelf.core.online import arxiv, pdfs
from tests.online_server import FIXTURES, OnlineServer, Reply, online_server_fixture  # noqa: F401

PDF = (FIXTURES / "online" / "pdfjs-asciihexdecode.pdf").read_bytes()
BIB = b"""@article{alpha, title={Alpha}, author={A. Author}, year={2023}, eprint={2301.00001}, archivePrefix={arXiv}}
@article{beta, title={Beta}, author={B. Author}, year={2023}}
@article{gamma, title={Gamma}, author={C. Author}, year={1999}, eprint={hep-th/9901001}, archivePrefix={arXiv}}
@article{delta, title={Delta}, author={D. Author}, year={2024}, eprint={2402.00002}, archivePrefix={arXiv}}
"""


def pdf_reply(**kwargs: object) -> Reply:
    options: dict[str, object] = {"content_type": "application/pdf", "etag": '"v1"', "ranges": True}
    options.update(kwargs)
    return Reply(PDF, **options)  # type: ignore[arg-type]


@pytest.fixture
def server(online_server: OnlineServer, monkeypatch: pytest.MonkeyPatch) -> OnlineServer:
    monkeypatch.setenv("PAPERSHELF_ARXIV_PDF", online_server.url + "/pdf")
    monkeypatch.setattr(arxiv, "MIN_INTERVAL", 0.0)  # arXiv's 3 seconds, shrunk for the tests
    for path in ("/pdf/2301.00001", "/pdf/hep-th/9901001", "/pdf/2402.00002"):
        online_server.add(path, pdf_reply())
    return online_server


@pytest.fixture
def papers(library_path):
    with Library(library_path) as library:
        library.import_file(Source(name="papers.bib", data=BIB), fmt="bibtex")
    return library_path


def pdf_of(library_path, paper_id: int) -> bytes | None:
    with Library(library_path) as library:
        found = attachments.attachments_of(library, [paper_id]).get(paper_id, [])
        return found[0].path.read_bytes() if found else None


def queued(library_path) -> list[int]:
    with Library(library_path) as library:
        return [q.paper_id for q in pdfs.queued(library)]


def test_download_prints_one_line_per_paper(run, papers, server):
    code, out, err = run("download", "alpha", "beta", "gamma")
    assert code == 0, err
    assert out.splitlines() == [
        "1 (2301.00001): downloaded 2301.00001.pdf (743 bytes)",
        "2: no arXiv id, so no arXiv PDF to download",
        "3 (hep-th/9901001): downloaded hep-th_9901001.pdf (743 bytes)",
    ]
    assert err == ""
    assert pdf_of(papers, 1) == PDF and pdf_of(papers, 3) == PDF
    # Read at once, as attach does: the search finds the words inside the downloaded PDFs.
    code, out, _ = run("list", "hello")
    assert code == 0 and "1: in the PDF, page 1" in out and "3: in the PDF, page 1" in out
    code, out, _ = run("download", "1")
    assert (code, out) == (0, "1 (2301.00001): already has a PDF\n")
    assert server.paths() == ["/pdf/2301.00001", "/pdf/hep-th/9901001"]


def test_a_failure_is_its_line_stays_queued_and_download_alone_tries_again(run, papers, server):
    server.add("/pdf/2402.00002", [pdf_reply(truncate=300), pdf_reply()])
    code, out, err = run("download", "1", "4")
    assert code == 1
    assert out.splitlines() == [
        "1 (2301.00001): downloaded 2301.00001.pdf (743 bytes)",
        f"4 (2402.00002): failed: {server.url}/pdf/2402.00002: the connection closed after 300 of 743 bytes; "
        "still queued (1 of 5 tries failed)",
    ]
    assert err == "papershelf: error: 1 of 2 downloads failed; 1 still queued: `papershelf download` tries again\n"
    assert queued(papers) == [4]
    code, out, _ = run("download")
    assert (code, out) == (0, "4 (2402.00002): downloaded 2402.00002.pdf (743 bytes, resumed at 300 bytes)\n")
    assert queued(papers) == []
    assert run("download", "--queued")[:2] == (0, "no PDFs queued for download\n")


def test_a_404_is_reported_once_and_asking_by_id_tries_again(run, papers, server):
    server.add("/pdf/2402.00002", [Reply.status_only(404), pdf_reply()])
    server.add("/pdf/2301.00001", pdf_reply(truncate=300))
    code, out, err = run("download", "1", "4")
    assert code == 1
    assert (
        out.splitlines()[1]
        == f"4 (2402.00002): failed: {server.url}/pdf/2402.00002: HTTP 404 Not Found; no longer queued"
    )
    assert err == (
        "papershelf: error: 2 of 2 downloads failed; 1 still queued: `papershelf download` tries again; "
        "1 no longer queued: `papershelf download ID` tries again\n"
    )
    assert queued(papers) == [1]
    server.add("/pdf/2301.00001", pdf_reply())
    code, out, _ = run("download")  # the 404 is not tried (nor reported) again
    assert (code, out) == (0, "1 (2301.00001): downloaded 2301.00001.pdf (743 bytes, resumed at 300 bytes)\n")
    assert [r.path for r in server.requests].count("/pdf/2402.00002") == 1
    code, out, _ = run("download", "4")
    assert (code, out) == (0, "4 (2402.00002): downloaded 2402.00002.pdf (743 bytes)\n")


def test_an_html_page_instead_of_a_pdf_is_refused(run, papers, server):
    server.add("/pdf/2301.00001", Reply.html("<html><body>Are you a robot?</body></html>"))
    code, out, _ = run("download", "1")
    assert code == 1
    assert out.startswith("1 (2301.00001): failed: ") and "not a PDF" in out and len(out.splitlines()) == 1
    assert pdf_of(papers, 1) is None


def test_download_a_list_or_a_tag(run, papers, server):
    run("lists", "add", "Thesis", "4", "1")  # not a list yet
    run("lists", "create", "Thesis")
    run("lists", "add", "Thesis", "4", "1")
    code, out, _ = run("download", "--list", "Thesis")
    assert code == 0 and [line.split(":")[0] for line in out.splitlines()] == ["4 (2402.00002)", "1 (2301.00001)"]
    run("tag", "3", 'say "hi"')
    code, out, _ = run("download", "--tag", 'say "hi"')
    assert (code, out) == (0, "3 (hep-th/9901001): downloaded hep-th_9901001.pdf (743 bytes)\n")
    code, out, err = run("download", "--tag", "nope")
    assert (code, out, err) == (1, "", "papershelf: error: no tag named 'nope'\n")
    code, _, err = run("download", "--list", "Nope")
    assert code == 1 and err == "papershelf: error: no reading list named 'Nope'\n"


def test_papers_and_a_list_together_is_a_usage_error(run, papers, server):
    code, _, err = run("download", "1", "--list", "Thesis")
    assert code == 2 and err.splitlines()[-1].startswith("papershelf: error: download: give papers, --list")
    assert server.requests == []


def test_ctrl_c_keeps_what_arrived_and_the_next_download_continues(run, papers, server):
    server.add("/pdf/2301.00001", [pdf_reply(trickle=0.003), pdf_reply()])

    def ctrl_c_when_some_arrived() -> None:
        part = paths.files_dir(papers) / ".partial" / "2301.00001.part"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (part.exists() and part.stat().st_size >= 50):
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=ctrl_c_when_some_arrived, daemon=True).start()
    code, out, err = run("download", "1", "4")
    assert code == 130
    assert out.splitlines() == [
        "1 (2301.00001): cancelled; still queued (what arrived is kept)",
        "4 (2402.00002): cancelled; still queued (what arrived is kept)",
    ]
    assert err.splitlines()[-1] == (
        "papershelf: stopped; 2 still queued and what arrived is kept: `papershelf download` continues from there"
    )
    with Library(papers) as library:
        kept = (pdfs.partial_dir(library) / "2301.00001.part").read_bytes()
    assert 50 <= len(kept) < len(PDF) and PDF.startswith(kept)
    assert queued(papers) == [1, 4]

    code, out, _ = run("download")
    assert code == 0
    assert out.splitlines() == [
        f"1 (2301.00001): downloaded 2301.00001.pdf (743 bytes, resumed at {len(kept)} bytes)",
        "4 (2402.00002): downloaded 2402.00002.pdf (743 bytes)",
    ]
    assert server.requests[-2].headers["Range"] == f"bytes={len(kept)}-"
    assert pdf_of(papers, 1) == PDF


def test_progress_goes_to_a_terminal_s_stderr(run, papers, server, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, out, err = run("download", "1")
    assert code == 0 and out == "1 (2301.00001): downloaded 2301.00001.pdf (743 bytes)\n"
    assert "\r[1/1] 2301.00001: 1 KB of 1 KB" in err and err.endswith("\r")


def test_arxivs_spacing_holds_between_two_pdfs(run, papers, server, monkeypatch):
    monkeypatch.setattr(arxiv, "MIN_INTERVAL", 0.3)
    start = time.monotonic()
    assert run("download", "1", "4")[0] == 0
    assert time.monotonic() - start >= 0.3


# -- the auto-download rule ------------------------------------------------------------------------------------


def test_auto_download_by_tag_queues_on_tag_and_download_fetches(run, papers, server):
    assert run("download", "--auto") == (0, "auto-download: off\n", "")
    code, out, _ = run("download", "--auto", "tag:to-read")
    assert (code, out) == (
        0,
        "auto-download: tag:to-read: the PDF of each paper that gets the tag 'to-read' is queued; "
        "`papershelf download` fetches the queue\n",
    )
    assert run("tag", "1", "To-Read") == (
        0,
        "1: tags: To-Read\n",
        "papershelf: auto-download: 1 PDF queued; `papershelf download` fetches them\n",
    )
    assert run("tag", "2", "to-read") == (0, "2: tags: To-Read\n", "")  # no arXiv id: nothing to queue
    assert run("tag", "4", "other") == (0, "4: tags: other\n", "")
    assert server.requests == [] and queued(papers) == [1]
    assert run("download")[1] == "1 (2301.00001): downloaded 2301.00001.pdf (743 bytes)\n"
    assert run("download", "--auto", "off")[1] == "auto-download: off\n"
    assert run("tag", "3", "to-read") == (0, "3: tags: To-Read\n", "")
    assert queued(papers) == []


def test_auto_download_by_list_queues_on_lists_add(run, papers, server):
    run("lists", "create", "Thesis")
    assert run("download", "--auto", "list:Thesis")[0] == 0
    assert run("lists", "add", "Thesis", "1", "2", "4") == (
        0,
        "Thesis: 3 added\n",
        "papershelf: auto-download: 2 PDFs queued; `papershelf download` fetches them\n",
    )
    assert queued(papers) == [1, 4] and server.requests == []


def test_auto_download_refuses_a_list_that_does_not_exist(run, papers, server):
    run("download", "--auto", "tag:to-read")
    code, out, err = run("download", "--auto", "list:Nope")
    assert (code, out) == (1, "")
    assert err == "papershelf: error: no reading list named 'Nope'; `papershelf lists` shows them\n"
    assert run("download", "--auto")[1].startswith("auto-download: tag:to-read:")


def test_auto_download_by_a_tag_no_paper_has_yet_says_so(run, papers, server):
    code, out, err = run("download", "--auto", "tag:offline")
    assert code == 0 and out.startswith("auto-download: tag:offline: ")
    assert err == "papershelf: auto-download: no paper has the tag 'offline' yet\n"
    run("tag", "1", "Offline")
    assert run("download", "--auto", "tag:offline")[2] == ""


@pytest.mark.parametrize("rule", ["venue:x", "tag:", "tag", "list:  "])
def test_a_bad_rule_is_a_usage_error(run, papers, rule):
    code, _, err = run("download", "--auto", rule)
    assert code == 2 and err.splitlines()[-1] == (
        f"papershelf: error: download --auto: {rule.strip()!r} is not tag:NAME, list:NAME or off"
    )
    assert run("download", "--auto")[1] == "auto-download: off\n"


def test_a_loop_of_single_downloads_keeps_arxivs_spacing(run, papers, server, monkeypatch):
    # Review: `for id in …; do papershelf download $id; done` asked arXiv once a second, each command on its own.
    monkeypatch.setattr(arxiv, "MIN_INTERVAL", 0.5)
    for ident in ("1", "3", "4"):
        assert run("download", ident)[0] == 0
    times = [r.time for r in server.requests]
    assert len(times) == 3 and min(b - a for a, b in zip(times, times[1:])) >= 0.45, times


def test_a_page_that_only_mentions_pdf_is_refused_and_stays_queued(run, papers, server):
    server.add("/pdf/2301.00001", Reply.html("<html><body>captcha %PDF- </body></html>"))
    code, out, _ = run("download", "1")
    assert code == 1 and "sent a web page (text/html; charset=utf-8), not a PDF" in out
    assert out.rstrip().endswith("still queued (1 of 5 tries failed)") and pdf_of(papers, 1) is None
    server.add("/pdf/2301.00001", pdf_reply())
    assert run("download")[1] == "1 (2301.00001): downloaded 2301.00001.pdf (743 bytes)\n"


def test_a_paper_whose_pdf_went_missing_is_downloaded_again(run, papers, server):
    # Review: z2's only PDF was MISSING after a restore, and `download z2` said "already has a PDF".
    run("download", "1")
    with Library(papers) as library:
        [pdf] = attachments.attachments_of(library, [1])[1]
    pdf.path.unlink()
    code, out, _ = run("download", "1")
    assert (code, out) == (
        0,
        "1 (2301.00001): downloaded 2301.00001.pdf (743 bytes); it is the PDF that was missing, found again\n",
    )
    assert pdf_of(papers, 1) == PDF
    assert "MISSING" not in run("files")[1]
