"""arXiv PDFs downloaded against the local test server: queue, resume, checks, arXiv's spacing, cancel, auto-download.

The PDF served is a real one (tests/fixtures/online/pdfjs-asciihexdecode.pdf, from pdf.js; see SOURCES.md there).
"""

from __future__ import annotations

import json
import re
import sys
import time

import pytest

from papershelf import paths
from papershelf.core import attachments
from papershelf.core.errors import NotFoundError, PapershelfError
from papershelf.core.importers import Source
from papershelf.core.library import Library
from papershelf.core.online import pdfs
from papershelf.core.online.http import Client, NetworkError
from papershelf.core.operations import downloads as dl
from tests.online_server import FIXTURES, FakeTime, OnlineServer, Reply, online_server_fixture  # noqa: F401

PDF = (FIXTURES / "online" / "pdfjs-asciihexdecode.pdf").read_bytes()
BIB = b"""@article{alpha, title={Alpha}, author={A. Author}, year={2023}, eprint={2301.00001}, archivePrefix={arXiv}}
@article{beta, title={Beta}, author={B. Author}, year={2023}}
@article{gamma, title={Gamma}, author={C. Author}, year={1999}, eprint={hep-th/9901001}, archivePrefix={arXiv}}
@article{delta, title={Delta}, author={D. Author}, year={2024}, eprint={2402.00002}, archivePrefix={arXiv}}
"""
ALPHA, BETA, GAMMA, DELTA = 1, 2, 3, 4


def pdf_reply(**kwargs: object) -> Reply:
    options: dict[str, object] = {"content_type": "application/pdf", "etag": '"v1"', "ranges": True}
    options.update(kwargs)
    return Reply(PDF, **options)  # type: ignore[arg-type]


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def server(online_server: OnlineServer, monkeypatch: pytest.MonkeyPatch) -> OnlineServer:
    monkeypatch.setenv("PAPERSHELF_ARXIV_PDF", online_server.url + "/pdf")
    return online_server


@pytest.fixture
def lib(library: Library) -> Library:
    result = library.import_file(Source(name="papers.bib", data=BIB), fmt="bibtex")
    assert result.paper_ids == [ALPHA, BETA, GAMMA, DELTA]
    return library


def web(fake: FakeTime, **options: object) -> Client:
    return pdfs.pdf_client(clock=fake.clock, sleep=fake.sleep, **options)  # type: ignore[arg-type]


def attached(library: Library, paper_id: int) -> list[attachments.Attachment]:
    return attachments.attachments_of(library, [paper_id]).get(paper_id, [])


def queue(library: Library) -> dict[int, tuple[int, str | None]]:
    return {q.paper_id: (q.attempts, q.error) for q in pdfs.queued(library)}


def partial(library: Library) -> list[str]:
    folder = pdfs.partial_dir(library)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# -- where from ----------------------------------------------------------------------------------------------


def test_pdf_url_default_mirror_prefix_and_version(monkeypatch):
    monkeypatch.delenv("PAPERSHELF_ARXIV_PDF", raising=False)
    assert pdfs.pdf_url("2301.00001") == "https://arxiv.org/pdf/2301.00001"
    assert pdfs.pdf_url("arXiv:2301.00001v2") == "https://arxiv.org/pdf/2301.00001v2"
    assert pdfs.pdf_url("hep-th/9901001") == "https://arxiv.org/pdf/hep-th/9901001"
    monkeypatch.setenv("PAPERSHELF_ARXIV_PDF", "http://mirror.example/arxiv/pdf/")
    assert pdfs.pdf_url("2301.00001") == "http://mirror.example/arxiv/pdf/2301.00001"
    assert pdfs.min_interval()["mirror.example"] == 3.0
    with pytest.raises(PapershelfError, match="not an arXiv id"):
        pdfs.pdf_url("../etc/passwd")
    monkeypatch.setenv("PAPERSHELF_ARXIV_PDF", "file:///tmp")
    with pytest.raises(NetworkError, match="PAPERSHELF_ARXIV_PDF is not an http"):
        pdfs.pdf_url("2301.00001")


# -- downloading -----------------------------------------------------------------------------------------------


def test_download_attaches_the_pdf_and_empties_the_queue(lib, server, fake):
    server.add("/pdf/2301.00001", pdf_reply())
    seen: list[pdfs.DownloadProgress] = []
    [result] = pdfs.download(lib, [ALPHA], client=web(fake), progress=seen.append)
    assert result.state == "downloaded", result.message
    assert result.line() == "1 (2301.00001): downloaded 2301.00001.pdf (743 bytes)"
    [pdf] = attached(lib, ALPHA)
    assert pdf.origin == "downloaded" and pdf.name == "2301.00001.pdf" and pdf.path.read_bytes() == PDF
    assert pdf.path.is_relative_to(paths.files_dir(lib.path))
    assert queue(lib) == {} and partial(lib) == []
    assert seen[0].index == 1 and seen[0].count == 1 and seen[-1].done == seen[-1].total == len(PDF)
    sent = server.requests[0].headers
    assert sent["User-Agent"].startswith("Papershelf/") and "Range" not in sent


def test_an_old_style_id_is_asked_for_with_its_archive(lib, server, fake):
    server.add("/pdf/hep-th/9901001", pdf_reply())
    [result] = pdfs.download(lib, [GAMMA], client=web(fake))
    assert result.state == "downloaded" and attached(lib, GAMMA)[0].name == "hep-th_9901001.pdf"
    assert server.paths() == ["/pdf/hep-th/9901001"]


def test_no_arxiv_id_or_a_pdf_already_is_skipped_with_the_reason(lib, server, fake):
    server.add("/pdf/2301.00001", pdf_reply())
    pdfs.download(lib, [ALPHA], client=web(fake))
    results = pdfs.download(lib, [ALPHA, BETA], client=web(fake))
    assert [(r.state, r.line()) for r in results] == [
        ("skipped", "1 (2301.00001): already has a PDF"),
        ("skipped", "2: no arXiv id, so no arXiv PDF to download"),
    ]
    assert len(server.requests) == 1 and queue(lib) == {}


def test_resume_after_an_interrupted_transfer_and_a_restart(lib, library_location, server, fake):
    server.add("/pdf/2301.00001", [pdf_reply(truncate=300), pdf_reply()])
    [first] = pdfs.download(lib, [ALPHA], client=web(fake))
    assert first.state == "failed" and first.queued
    reason = f"{server.url}/pdf/2301.00001: the connection closed after 300 of 743 bytes"
    assert first.message == f"{reason}; still queued (1 of 5 tries failed)"
    assert queue(lib) == {ALPHA: (1, reason)}
    assert (pdfs.partial_dir(lib) / "2301.00001.part").read_bytes() == PDF[:300]
    lib.close()

    with Library(library_location) as again:  # the app restarted: the queue and the partial file are still there
        [second] = pdfs.download(again, client=web(FakeTime()))
        assert second.state == "downloaded" and second.resumed_from == 300
        assert "resumed at 300 bytes" in second.message
        assert attached(again, ALPHA)[0].path.read_bytes() == PDF
        assert queue(again) == {} and partial(again) == []
    asked = server.requests[1].headers
    assert asked["Range"] == "bytes=300-" and asked["If-Range"] == '"v1"'


def test_a_file_changed_on_the_server_is_fetched_whole(lib, server, fake):
    server.add("/pdf/2301.00001", [pdf_reply(truncate=300, etag='"old"'), pdf_reply(etag='"new"')])
    pdfs.download(lib, [ALPHA], client=web(fake))
    [result] = pdfs.download(lib, client=web(fake))
    assert result.state == "downloaded" and result.resumed_from == 0
    assert server.requests[1].headers["If-Range"] == '"old"'
    assert attached(lib, ALPHA)[0].path.read_bytes() == PDF


def test_a_server_that_ignores_ranges_sends_it_all_again(lib, server, fake):
    server.add("/pdf/2301.00001", [pdf_reply(truncate=300), pdf_reply(ranges=False)])
    pdfs.download(lib, [ALPHA], client=web(fake))
    [result] = pdfs.download(lib, client=web(fake))
    assert result.state == "downloaded" and result.resumed_from == 0
    assert attached(lib, ALPHA)[0].path.read_bytes() == PDF


def test_without_a_validator_the_download_starts_again(lib, server, fake):
    server.add("/pdf/2301.00001", [pdf_reply(truncate=300, etag=None), pdf_reply(etag=None)])
    pdfs.download(lib, [ALPHA], client=web(fake))
    [result] = pdfs.download(lib, client=web(fake))
    assert "Range" not in server.requests[1].headers
    assert result.state == "downloaded" and attached(lib, ALPHA)[0].path.read_bytes() == PDF


def test_a_whole_file_kept_after_a_failed_attach_is_attached_without_fetching_it_again(lib, server, fake, monkeypatch):
    server.add("/pdf/2301.00001", pdf_reply())
    real = attachments.prepare_attach

    def full_disk(*args: object, **kwargs: object) -> object:
        raise PapershelfError("files folder: No space left on device")

    monkeypatch.setattr(attachments, "prepare_attach", full_disk)
    [first] = pdfs.download(lib, [ALPHA], client=web(fake))
    assert (
        first.state == "failed"
        and first.message == "files folder: No space left on device; still queued (1 of 5 tries failed)"
    )
    assert (pdfs.partial_dir(lib) / "2301.00001.part").read_bytes() == PDF
    monkeypatch.setattr(attachments, "prepare_attach", real)
    [second] = pdfs.download(lib, client=web(fake))
    assert second.state == "downloaded" and second.resumed_from == len(PDF)
    assert server.requests[1].headers["Range"] == f"bytes={len(PDF)}-"  # answered 416: nothing more to send
    assert attached(lib, ALPHA)[0].path.read_bytes() == PDF


def test_an_html_page_instead_of_the_pdf_is_refused_in_one_line(lib, server, fake):
    captcha = "<!DOCTYPE html><html><body><h1>Are you a robot?</h1><form>captcha</form></body></html>"
    server.add("/pdf/2301.00001", Reply.html(captcha))
    [result] = pdfs.download(lib, [ALPHA], client=web(fake))
    assert result.state == "failed"
    reason = (
        f"{server.url}/pdf/2301.00001: the server sent a web page (text/html; charset=utf-8), not a PDF: "
        "perhaps a captcha or an error page; nothing was attached"
    )
    assert result.message == f"{reason}; still queued (1 of 5 tries failed)"
    assert attached(lib, ALPHA) == [] and partial(lib) == []
    assert queue(lib) == {ALPHA: (1, reason)}


def test_a_404_is_reported_once_and_leaves_the_queue(lib, library_location, server, fake):
    [result] = pdfs.download(lib, [DELTA], client=web(fake))
    assert result.line() == f"4 (2402.00002): {server.url}/pdf/2402.00002: HTTP 404 Not Found; no longer queued"
    assert not result.queued and queue(lib) == {}
    lib.close()
    with Library(library_location) as again:  # the app opened again: its resume has nothing left to try or report
        assert pdfs.queued(again) == [] and pdfs.download(again, client=web(FakeTime())) == []
        assert len(server.requests) == 1
        server.add("/pdf/2402.00002", pdf_reply())
        [asked] = pdfs.download(again, [DELTA], client=web(FakeTime()))  # asked for by name: tried again
        assert asked.state == "downloaded" and len(server.requests) == 2


@pytest.mark.parametrize(
    ("status", "reason"), [(410, "Gone"), (400, "Bad Request"), (451, "Unavailable For Legal Reasons")]
)
def test_other_answers_that_will_not_change_leave_the_queue(lib, server, fake, status, reason):
    server.add("/pdf/2402.00002", Reply.status_only(status))
    [result] = pdfs.download(lib, [DELTA], client=web(fake))
    assert result.message.endswith(f"HTTP {status} {reason}; no longer queued") and queue(lib) == {}


@pytest.mark.parametrize("status", [500, 502, 403, 408])
def test_answers_that_may_pass_stay_queued(lib, server, fake, status):
    server.add("/pdf/2402.00002", Reply.status_only(status))
    [result] = pdfs.download(lib, [DELTA], client=web(fake))
    assert result.queued and result.message.endswith("; still queued (1 of 5 tries failed)")
    assert list(queue(lib)) == [DELTA]


def test_a_failure_that_may_pass_leaves_the_queue_after_five_tries(lib, server, fake):
    server.add("/pdf/2301.00001", Reply.html("<html><body>Are you a robot?</body></html>"))
    pdfs.queue(lib, [ALPHA])
    messages = [pdfs.download(lib, client=web(fake))[0].message for _ in range(5)]
    assert [m.rsplit("; ", 1)[1] for m in messages] == [
        "still queued (1 of 5 tries failed)",
        "still queued (2 of 5 tries failed)",
        "still queued (3 of 5 tries failed)",
        "still queued (4 of 5 tries failed)",
        "no longer queued (5 of 5 tries failed)",
    ]
    assert queue(lib) == {} and pdfs.download(lib, client=web(fake)) == []
    assert len(server.requests) == 5


def test_a_value_that_is_not_an_arxiv_id_leaves_the_queue(lib, server, fake):
    from sqlalchemy import update

    from papershelf.core import db
    from papershelf.core.schema import P

    pdfs.queue(lib, [ALPHA])
    with db.write(lib.engine) as conn:  # as an older version or another tool may have left it
        conn.execute(update(P).where(P.c.id == ALPHA).values(arxiv_id="not/an id"))
    [result] = pdfs.download(lib, client=web(fake))
    assert result.line() == "1 (not/an id): 'not/an id' is not an arXiv id; no longer queued"
    assert queue(lib) == {} and server.requests == []


def test_undo_of_giving_up_puts_the_queue_row_back(lib, server, fake):
    pdfs.queue(lib, [DELTA])
    before = pdfs.queued(lib)
    outcome = lib.run(dl.RecordDownloadFailure(DELTA, "HTTP 404 Not Found", final=True))
    assert outcome.result == dl.Failure(1, queued=False) and pdfs.queued(lib) == []
    lib.run(outcome.inverse)
    assert pdfs.queued(lib) == before


def test_429_waits_as_retry_after_asks(lib, server, fake):
    server.add("/pdf/2301.00001", [Reply.status_only(429, headers={"Retry-After": "7"}), pdf_reply()])
    [result] = pdfs.download(lib, [ALPHA], client=web(fake))
    assert result.state == "downloaded"
    assert fake.sleeps == [7.0] and len(server.requests) == 2


def test_three_seconds_between_two_requests_to_arxiv(lib, server, fake):
    server.add("/pdf/2301.00001", pdf_reply())
    server.add("/pdf/2402.00002", pdf_reply())
    results = pdfs.download(lib, [ALPHA, DELTA], client=web(fake))
    assert [r.state for r in results] == ["downloaded", "downloaded"]
    assert fake.sleeps == [3.0]  # the fake clock stood still while the first PDF came


def test_too_large_a_file_is_refused_and_not_kept(lib, server, fake):
    server.add("/pdf/2301.00001", pdf_reply())
    [result] = pdfs.download(lib, [ALPHA], client=web(fake), max_bytes=500)
    assert result.state == "failed"
    assert result.message.endswith("the file is 743 bytes, more than the 500 allowed; no longer queued")
    assert partial(lib) == [] and queue(lib) == {}


def test_cancel_keeps_what_arrived_and_the_queue(lib, library_location, server, fake):
    server.add("/pdf/2301.00001", [pdf_reply(trickle=0.0005), pdf_reply()])
    server.add("/pdf/2402.00002", pdf_reply())
    stop = False

    def progress(p: pdfs.DownloadProgress) -> None:
        nonlocal stop
        stop = stop or p.done >= 100

    results = pdfs.download(lib, [ALPHA, DELTA], client=web(fake), progress=progress, cancelled=lambda: stop)
    assert [r.state for r in results] == ["cancelled", "cancelled"]
    assert results[0].message == "cancelled; still queued (what arrived is kept)"
    kept = (pdfs.partial_dir(lib) / "2301.00001.part").read_bytes()
    assert 100 <= len(kept) < len(PDF) and PDF.startswith(kept)
    assert queue(lib) == {ALPHA: (0, None), DELTA: (0, None)}  # a cancel is no failure
    assert [r.path for r in server.requests] == ["/pdf/2301.00001"]
    lib.close()

    with Library(library_location) as again:
        results = pdfs.download(again, client=web(FakeTime()))
        assert [r.state for r in results] == ["downloaded", "downloaded"]
        assert results[0].resumed_from == len(kept)
        assert attached(again, ALPHA)[0].path.read_bytes() == PDF


def test_cancelled_before_it_starts_asks_nothing(lib, server, fake):
    results = pdfs.download(lib, [ALPHA], client=web(fake), cancelled=lambda: True)
    assert [r.state for r in results] == ["cancelled"] and server.requests == []
    assert queue(lib) == {ALPHA: (0, None)}


# -- the queue -------------------------------------------------------------------------------------------------


def test_queue_survives_a_restart_and_undo_takes_it_back(lib, library_location):
    outcome = pdfs.queue(lib, [DELTA, ALPHA, DELTA])
    assert outcome.result == 2 and outcome.inverse.label == "Queue 2 PDFs for download"
    assert pdfs.queue(lib, [ALPHA]).result == 0
    lib.close()
    with Library(library_location) as again:
        assert [q.paper_id for q in pdfs.queued(again)] == [ALPHA, DELTA]
        again.run(outcome.inverse)
        assert pdfs.queued(again) == []


def test_unqueue_and_its_undo_put_back_the_failures(lib, server, fake):
    server.add("/pdf/2402.00002", pdf_reply(truncate=300))
    pdfs.download(lib, [DELTA], client=web(fake))  # cut short: stays queued with its failure
    before = queue(lib)
    outcome = lib.run(dl.UnqueueDownloads((DELTA,)))
    assert outcome.result == 1 and queue(lib) == {}
    lib.run(outcome.inverse)
    assert queue(lib) == before


def test_deleting_a_paper_takes_it_out_of_the_queue(lib):
    pdfs.queue(lib, [ALPHA])
    lib.delete_papers([ALPHA])
    assert pdfs.queued(lib) == []


# -- automatic downloads ---------------------------------------------------------------------------------------


def test_auto_download_is_off_by_default(lib):
    lib.add_tags([ALPHA], ["to-read"])
    assert pdfs.auto_download(lib) is None
    assert pdfs.papers_to_queue(lib, [ALPHA]) == []


def test_auto_download_by_tag(lib):
    outcome = pdfs.set_auto_download(lib, ("tag", "  To-Read "))
    assert pdfs.auto_download(lib) == ("tag", "To-Read")
    lib.add_tags([ALPHA, BETA, GAMMA, DELTA], ["to-read"])  # tags are matched without case
    pdfs.queue(lib, [GAMMA])
    assert pdfs.papers_to_queue(lib, [ALPHA, BETA, GAMMA, DELTA]) == [ALPHA, DELTA]  # BETA: no arXiv id
    assert pdfs.queue_automatic(lib, [ALPHA, BETA, DELTA]) == 2
    assert pdfs.papers_to_queue(lib, [ALPHA, DELTA]) == []
    lib.run(outcome.inverse)
    assert pdfs.auto_download(lib) is None


def test_auto_download_by_list_and_its_undo(lib):
    pdfs.set_auto_download(lib, ("tag", "x"))
    lib.create_list("Thesis")
    outcome = pdfs.set_auto_download(lib, ("list", "thesis"))
    assert pdfs.auto_download(lib) == ("list", "Thesis")  # as the list spells it
    lib.add_to_list("Thesis", [DELTA, ALPHA])
    lib.add_tags([GAMMA], ["x"])
    assert pdfs.papers_to_queue(lib, [ALPHA, GAMMA, DELTA]) == [ALPHA, DELTA]
    lib.run(outcome.inverse)
    assert pdfs.auto_download(lib) == ("tag", "x")
    off = pdfs.set_auto_download(lib, None)
    assert pdfs.auto_download(lib) is None
    lib.run(off.inverse)
    assert pdfs.auto_download(lib) == ("tag", "x")


def test_a_rule_this_version_cannot_read_counts_as_off_and_is_put_back_exactly(lib):
    from sqlalchemy import insert

    from papershelf.core import db
    from papershelf.core.schema import ST

    with db.write(lib.engine) as conn:
        conn.execute(insert(ST).values(key="auto_download", value={"venue": "NeurIPS"}))
    assert pdfs.auto_download(lib) is None
    outcome = pdfs.set_auto_download(lib, ("tag", "x"))
    lib.run(outcome.inverse)
    with db.read(lib.engine) as conn:
        assert conn.execute(ST.select()).all() == [("auto_download", {"venue": "NeurIPS"})]


def test_a_list_that_does_not_exist_is_refused_and_the_rule_kept(lib):
    pdfs.set_auto_download(lib, ("tag", "x"))
    with pytest.raises(NotFoundError, match="no reading list named 'Nope'"):
        pdfs.set_auto_download(lib, ("list", "Nope"))
    assert pdfs.auto_download(lib) == ("tag", "x")


def test_a_bad_rule_is_refused(lib):
    with pytest.raises(PapershelfError, match="a tag cannot be empty"):
        pdfs.set_auto_download(lib, ("tag", "  "))
    with pytest.raises(PapershelfError, match="neither a tag nor a list"):
        pdfs.set_auto_download(lib, ("venue", "x"))  # type: ignore[arg-type]
    assert pdfs.auto_download(lib) is None


# -- the client's download on its own --------------------------------------------------------------------------


def test_client_download_keeps_the_validator_beside_the_partial_file(server, tmp_path, fake):
    server.add("/f", pdf_reply(truncate=10, etag=None, last_modified="Mon, 01 Dec 2025 10:00:00 GMT"))
    target = tmp_path / "f.part"
    with pytest.raises(NetworkError, match="closed after 10 of 743 bytes"):
        Client(clock=fake.clock, sleep=fake.sleep).download(server.url + "/f", target)
    meta = json.loads((tmp_path / "f.part.json").read_text())
    assert meta == {"url": server.url + "/f", "validator": "Mon, 01 Dec 2025 10:00:00 GMT"}
    assert target.read_bytes() == PDF[:10]


@pytest.mark.parametrize("linked", ["f.part", "f.part.json"])  # the partial file, and its validator beside it
def test_client_download_does_not_write_through_a_symlink(server, tmp_path, fake, linked):
    server.add("/f", pdf_reply())
    elsewhere = tmp_path / "precious.txt"
    elsewhere.write_text("mine")
    (tmp_path / linked).symlink_to(elsewhere)
    with pytest.raises(PapershelfError, match=linked):
        Client(clock=fake.clock, sleep=fake.sleep).download(server.url + "/f", tmp_path / "f.part")
    assert elsewhere.read_text() == "mine"


def test_a_folder_where_the_pdf_is_named_is_not_renamed_over(lib, server, fake):
    server.add("/pdf/2301.00001", pdf_reply())
    squatter = pdfs.partial_dir(lib) / "2301.00001.pdf"
    squatter.mkdir(parents=True)
    (squatter / "inside.txt").write_text("mine")
    [result] = pdfs.download(lib, [ALPHA], client=web(fake))
    assert result.state == "failed" and result.message.endswith(
        "2301.00001.pdf: not a regular file; move it away and download again; still queued (1 of 5 tries failed)"
    )
    assert (squatter / "inside.txt").read_text() == "mine" and attached(lib, ALPHA) == []
    squatter.joinpath("inside.txt").unlink()
    squatter.rmdir()
    [again] = pdfs.download(lib, client=web(fake))  # kept whole: the next try asks only past its end
    assert again.state == "downloaded" and attached(lib, ALPHA)[0].path.read_bytes() == PDF


def test_a_servers_long_reason_is_cut_to_one_short_line():
    error = NetworkError("http://x/pdf/1", "Not Found " * 5000 + "\n" + "more")
    assert len(error.reason) == 500 and error.reason.endswith("…") and "\n" not in str(error)


@pytest.mark.skipif(sys.platform == "win32", reason="flock")
def test_a_paper_another_process_is_downloading_is_left_to_it(lib, server, fake):
    import fcntl

    server.add("/pdf/2301.00001", pdf_reply())
    folder = pdfs.partial_dir(lib)
    folder.mkdir(parents=True)
    with open(folder / "2301.00001.lock", "w") as other:  # another window or command holds paper 1
        fcntl.flock(other.fileno(), fcntl.LOCK_EX)
        [result] = pdfs.download(lib, [ALPHA], client=web(fake))
        assert result.line() == "1 (2301.00001): being downloaded by another Papershelf window or command"
        assert server.requests == [] and queue(lib) == {ALPHA: (0, None)}
    [result] = pdfs.download(lib, client=web(fake))
    assert result.state == "downloaded" and partial(lib) == []


def test_the_lock_belongs_to_the_arxiv_id_not_the_paper_id(lib, server, fake):
    # Review: after a restore gave paper 11's id to another paper, 'download' said "being downloaded by another
    # window" because that other paper's download held the lock of id 11.
    server.add("/pdf/2402.00002", pdf_reply())
    folder = pdfs.partial_dir(lib)
    folder.mkdir(parents=True)
    assert pdfs.file_key("hep-th/9901001") == "hep-th_9901001"
    with open(folder / "2301.00001.lock", "w") as other:  # another process downloads 2301.00001, once paper 4
        if sys.platform != "win32":
            import fcntl

            fcntl.flock(other.fileno(), fcntl.LOCK_EX)
        [result] = pdfs.download(lib, [DELTA], client=web(fake))
    assert result.state == "downloaded" and server.paths() == ["/pdf/2402.00002"]


# -- the paper went during the download ------------------------------------------------------------------------


NEWCOMER = b"@article{other, title={Unrelated}, author={O. Other}, year={2020}}"


def replace_delta(library: Library) -> None:
    """Delete paper 4 and import an unrelated paper, which SQLite gives the id 4 again."""
    library.delete_papers([DELTA])
    [new_id] = library.import_file(Source(name="o.bib", data=NEWCOMER), fmt="bibtex").paper_ids
    assert new_id == DELTA


def stored_files(library: Library) -> list[str]:
    root = paths.files_dir(library.path)
    return sorted(p.name for p in root.rglob("*.pdf") if ".trash" not in p.parts and ".partial" not in p.parts)


@pytest.mark.sqlite_only("SQLite gives a deleted paper's id to the next one; a PostgreSQL sequence never does")
def test_a_pdf_is_not_attached_to_the_paper_that_took_the_deleted_papers_id(lib, server, fake):
    # Review: 'download 14 &', 'delete 14', 'import o.bib' (a new paper 14): the PDF landed on the new paper.
    server.add("/pdf/2402.00002", pdf_reply())
    swapped = False

    def progress(step: pdfs.DownloadProgress) -> None:
        nonlocal swapped
        if step.done and not swapped:
            swapped = True
            replace_delta(lib)

    [result] = pdfs.download(lib, [DELTA], client=web(fake), progress=progress)
    assert swapped and result.state == "failed"
    assert result.line() == (
        "4 (2402.00002): paper 4 was deleted (or changed its arXiv id) while its PDF downloaded; nothing attached"
    )
    assert attached(lib, DELTA) == [] and partial(lib) == [] and stored_files(lib) == []
    assert queue(lib) == {} and not result.queued


@pytest.mark.sqlite_only("SQLite gives a deleted paper's id to the next one; a PostgreSQL sequence never does")
def test_the_paper_is_checked_in_the_same_change_as_the_attach(lib, server, fake, monkeypatch):
    # The paper goes after the last look before the attach, while the file is being copied in.
    server.add("/pdf/2402.00002", pdf_reply())
    real = attachments.prepare_attach

    def copy_then_swap(*args: object, **kwargs: object) -> object:
        operation = real(*args, **kwargs)  # type: ignore[arg-type]
        replace_delta(lib)
        return operation

    monkeypatch.setattr(attachments, "prepare_attach", copy_then_swap)
    [result] = pdfs.download(lib, [DELTA], client=web(fake))
    assert result.message == "paper 4 was deleted (or changed its arXiv id) while its PDF downloaded; nothing attached"
    assert attached(lib, DELTA) == [] and partial(lib) == [] and stored_files(lib) == []


def test_a_paper_whose_arxiv_id_changed_meanwhile_gets_no_pdf_of_the_old_one(lib, server, fake):
    from sqlalchemy import update

    from papershelf.core import db
    from papershelf.core.schema import P

    server.add("/pdf/2402.00002", pdf_reply())

    def progress(step: pdfs.DownloadProgress) -> None:
        if step.done:
            with db.write(lib.engine) as conn:
                conn.execute(update(P).where(P.c.id == DELTA).values(arxiv_id="2402.09999"))

    [result] = pdfs.download(lib, [DELTA], client=web(fake), progress=progress)
    assert result.state == "failed" and "changed its arXiv id" in result.message and attached(lib, DELTA) == []
    assert result.queued and queue(lib) == {
        DELTA: (0, None)
    }  # still queued: the next download fetches the new id's PDF


# -- what arrived must be a PDF ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html><body>captcha %PDF- </body></html>", "text/html"),  # the review's page
        (b"%PDF-1.7 but served as a page", "text/html; charset=utf-8"),
        (b"<html><body>captcha %PDF- </body></html>", "application/octet-stream"),
        (b"Please wait... %PDF-1.4", "application/pdf"),
    ],
)
def test_a_page_that_mentions_pdf_is_not_taken_for_one(lib, server, fake, body, content_type):
    server.add("/pdf/2301.00001", Reply(body, content_type=content_type))
    [result] = pdfs.download(lib, [ALPHA], client=web(fake))
    assert result.state == "failed" and result.queued, result.message
    assert "not a PDF" in result.message and result.message.endswith("; still queued (1 of 5 tries failed)")
    assert attached(lib, ALPHA) == [] and partial(lib) == []


def test_a_pdf_after_a_byte_order_mark_and_a_blank_line_is_taken(lib, server, fake):
    server.add("/pdf/2301.00001", Reply(b"\xef\xbb\xbf\r\n" + PDF, content_type="application/pdf"))
    [result] = pdfs.download(lib, [ALPHA], client=web(fake))
    assert result.state == "downloaded", result.message


# -- arXiv's spacing between processes ----------------------------------------------------------------------------


def test_two_clients_share_arxivs_spacing_through_the_file(lib, server, fake):
    # Review: two commands at once made 2 requests every 3 s; a shell loop of downloads one a second.
    server.add("/pdf/2301.00001", pdf_reply())
    server.add("/pdf/2402.00002", pdf_reply())
    first, second = web(fake), web(fake)  # two processes' clients: each its own memory, one spacing file
    assert pdfs.download(lib, [ALPHA], client=first)[0].state == "downloaded"
    assert pdfs.download(lib, [DELTA], client=second)[0].state == "downloaded"
    assert fake.sleeps == [3.0]
    assert (paths.cache_dir() / pdfs.SPACING_FILE).is_file()


def test_a_damaged_or_unusable_spacing_file_costs_nothing_but_the_sharing(tmp_path, fake):
    from papershelf.core.online.spacing import SharedSpacing

    path = tmp_path / "times.json"
    path.write_text('{"h": NaN, "k": 1e999, "x": "soon"}')
    spacing = SharedSpacing(path)
    assert spacing.take_turn("h", 3.0, fake.clock, fake.sleep) and fake.sleeps == []
    assert spacing.take_turn("h", 3.0, fake.clock, fake.sleep) and fake.sleeps == [3.0]
    assert json.loads(path.read_text()) == {"h": 1003.0}  # what it could not read is gone
    folder = tmp_path / "folder"
    folder.mkdir()
    assert not SharedSpacing(folder).take_turn("h", 3.0, fake.clock, fake.sleep)  # a folder: not used
    if sys.platform != "win32":
        (tmp_path / "link").symlink_to(tmp_path / "elsewhere.json")
        assert not SharedSpacing(tmp_path / "link").take_turn("h", 3.0, fake.clock, fake.sleep)
        assert not (tmp_path / "elsewhere.json").exists()  # never written through a link


def test_a_turn_booked_implausibly_far_ahead_counts_as_no_request(tmp_path, fake):
    from papershelf.core.online.spacing import SharedSpacing

    path = tmp_path / "times.json"
    path.write_text(json.dumps({"h": fake.now + 10_000}))  # from before the machine restarted
    assert SharedSpacing(path).take_turn("h", 3.0, fake.clock, fake.sleep) and fake.sleeps == []


SPACED = """
import sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from papershelf.core.online.http import Client
from papershelf.core.online.spacing import SharedSpacing
client = Client(min_interval={"127.0.0.1": 0.5}, shared_spacing=SharedSpacing(Path(sys.argv[2])))
for n in range(2):
    client.get(sys.argv[3] + "/ok", expect="any")
"""


def test_two_processes_keep_the_spacing_together(server, tmp_path):
    import subprocess

    from tests.conftest import ROOT

    server.add("/ok", Reply(b"ok", content_type="text/plain"))
    argv = [sys.executable, "-c", SPACED, str(ROOT / "desktop"), str(tmp_path / "times.json"), server.url]
    both = [subprocess.Popen(argv) for _ in range(2)]
    assert [p.wait(60) for p in both] == [0, 0]
    times = sorted(r.time for r in server.requests)
    assert len(times) == 4
    assert min(b - a for a, b in zip(times, times[1:])) >= 0.45, times


# -- a slow drip ---------------------------------------------------------------------------------------------------


def test_a_download_past_its_time_limit_names_the_real_limit(lib, server, fake, monkeypatch):
    # Review: a drip of 1 byte every 5 s failed after 600 s saying "no complete answer within 50 s".
    monkeypatch.setattr(pdfs, "DOWNLOAD_TIMEOUT", 1.0)
    server.add("/pdf/2301.00001", pdf_reply(trickle=0.02))
    [result] = pdfs.download(lib, [ALPHA], client=web(fake))
    assert result.state == "failed" and result.queued
    assert result.message.endswith("timed out: no complete answer within 1 s; still queued (1 of 5 tries failed)")


def test_a_stalled_download_gives_up_early_and_keeps_what_came(lib, server, fake, monkeypatch):
    monkeypatch.setattr(pdfs, "STALL_WINDOW", 0.5)
    monkeypatch.setattr(pdfs, "STALL_BYTES", 200)
    server.add("/pdf/2301.00001", [pdf_reply(trickle=0.02), pdf_reply()])
    start = time.monotonic()
    [result] = pdfs.download(lib, [ALPHA], client=web(fake))
    assert time.monotonic() - start < 5
    assert result.state == "failed" and result.queued
    assert re.search(r": the server sent almost nothing for 0.5 s \(\d+ bytes\); still queued", result.message)
    kept = (pdfs.partial_dir(lib) / "2301.00001.part").read_bytes()
    assert kept and PDF.startswith(kept)
    [again] = pdfs.download(lib, client=web(fake))
    assert again.state == "downloaded" and again.resumed_from == len(kept)


def test_a_server_that_sends_nothing_after_its_headers_is_a_stall_too(lib, server, fake, monkeypatch):
    monkeypatch.setattr(pdfs, "STALL_WINDOW", 0.5)
    server.add("/pdf/2301.00001", pdf_reply(trickle=10))
    start = time.monotonic()
    [result] = pdfs.download(lib, [ALPHA], client=web(fake))
    assert time.monotonic() - start < 5
    assert "the server sent almost nothing for 0.5 s (0 bytes); still queued" in result.message


# -- a PDF that went missing -----------------------------------------------------------------------------------------


def test_a_paper_whose_only_pdf_went_missing_is_downloaded_again(lib, server, fake):
    # Review: after a restore the paper's PDF was MISSING, and 'download' said "already has a PDF".
    server.add("/pdf/2301.00001", pdf_reply())
    pdfs.download(lib, [ALPHA], client=web(fake))
    [before] = attached(lib, ALPHA)
    before.path.unlink()  # gone; no check has noticed yet
    [result] = pdfs.download(lib, [ALPHA], client=web(fake))
    assert result.line() == (
        "1 (2301.00001): downloaded 2301.00001.pdf (743 bytes); it is the PDF that was missing, found again"
    )
    [after] = attached(lib, ALPHA)
    assert after.id == before.id and not after.missing and after.path.read_bytes() == PDF
    assert len(server.requests) == 2 and queue(lib) == {}


def test_auto_download_queues_a_paper_whose_pdf_went_missing(lib, server, fake):
    server.add("/pdf/2301.00001", pdf_reply())
    pdfs.download(lib, [ALPHA], client=web(fake))
    pdfs.set_auto_download(lib, ("tag", "to-read"))
    lib.add_tags([ALPHA], ["to-read"])
    assert pdfs.papers_to_queue(lib, [ALPHA]) == []
    attached(lib, ALPHA)[0].path.unlink()
    assert pdfs.papers_to_queue(lib, [ALPHA]) == [ALPHA]


def test_a_slow_but_steady_download_is_no_stall(lib, server, fake, monkeypatch):
    # Each window brings enough: the download goes on across windows (a timed-out socket cannot be read again,
    # so the wait for data is cut at a window's end only when that window fell short).
    monkeypatch.setattr(pdfs, "STALL_WINDOW", 0.2)
    monkeypatch.setattr(pdfs, "STALL_BYTES", 10)
    server.add("/pdf/2301.00001", pdf_reply(trickle=0.003))
    [result] = pdfs.download(lib, [ALPHA], client=web(fake))
    assert result.state == "downloaded", result.message
