"""Importing from what is not a regular file: pipes and FIFOs read once, devices and read errors in one line."""

from __future__ import annotations

import io
import os
import sys
import threading
from pathlib import Path

import pytest

from papershelf.core import importers
from papershelf.core.errors import ListingError
from papershelf.core.importers import Source, read_records

ENTRY = b"@misc{s1, title = {Piped Paper}, year = 2024}\n"
LISTING = b"Sep 11\n\nA Title From A Pipe\n\nIts abstract, one paragraph.\n"

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc and /dev/fd")


def titles(source: Source) -> list[str]:
    return [r.title for r in read_records(source).records]


def run_with_timeout(job, seconds: float = 10.0):
    """``job()`` in a thread; its result, or a failure (not a hang) when it does not end in time."""
    result: dict = {}

    def target():
        try:
            result["value"] = job()
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    return thread, result


@linux_only
@pytest.mark.parametrize("data", [ENTRY, LISTING], ids=["bibtex", "hf-text"])
def test_a_pipe_is_read_once_and_imports_like_a_file(data):
    read_end, write_end = os.pipe()
    os.write(write_end, data)
    os.close(write_end)
    try:
        # What `papershelf import <(cmd)` and `cmd | papershelf import /dev/stdin` pass.
        found = titles(Source.from_path(f"/dev/fd/{read_end}"))
    finally:
        os.close(read_end)
    assert found == ["Piped Paper"] if data is ENTRY else found == ["A Title From A Pipe"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_whose_writer_comes_later_is_read_once_not_waited_on_forever(tmp_path: Path):
    fifo = tmp_path / "imp.fifo"
    os.mkfifo(fifo)

    def writer():
        with open(fifo, "wb") as fh:  # blocks until the import opens the FIFO
            fh.write(ENTRY)

    threading.Thread(target=writer, daemon=True).start()
    thread, result = run_with_timeout(lambda: titles(Source.from_path(fifo)))
    if thread.is_alive():
        # Free the stuck reader (it waits for a second writer), then fail.
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(5)
        pytest.fail("the import waited forever: the FIFO was opened a second time")
    assert "error" not in result, result.get("error")
    assert result["value"] == ["Piped Paper"]


def test_a_stream_is_read_at_the_first_open_and_every_reader_sees_all_of_it():
    source = Source.from_stream(io.BytesIO(ENTRY), "standard input")
    assert titles(source) == ["Piped Paper"]
    assert titles(source) == ["Piped Paper"]  # the preview, then the import


def test_a_stream_over_the_bound_is_refused_in_one_line(monkeypatch):
    monkeypatch.setattr(importers, "MAX_STREAM", 1024 * 1024)
    source = Source.from_stream(io.BytesIO(ENTRY * 30_000), "standard input")  # 1.4 MB
    with pytest.raises(ListingError) as caught:
        read_records(source)
    assert str(caught.value) == "standard input: more than 1 MiB from a pipe; save it to a file and import that"


@linux_only
def test_a_read_error_names_the_file_in_one_line():
    with pytest.raises(ListingError) as caught:
        read_records(Source.from_path("/proc/self/mem"))  # opens, then every read fails with EIO
    assert str(caught.value) == "/proc/self/mem: cannot read (input/output error)"


@linux_only
@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/dev/null", "/dev/null: is a device, not a listing file"),
        ("/dev/zero", "/dev/zero: is a device, not a listing file"),
    ],
)
def test_a_device_is_refused_without_reading_it(path, message):
    with pytest.raises(ListingError) as caught:
        read_records(Source.from_path(path))
    assert str(caught.value) == message


def test_a_folder_is_refused(tmp_path: Path):
    with pytest.raises(ListingError) as caught:
        read_records(Source.from_path(tmp_path))
    assert str(caught.value) == f"{tmp_path}: is a folder, not a listing file"


def test_a_regular_file_is_still_read_afresh_each_time(tmp_path: Path):
    path = tmp_path / "refs.bib"
    path.write_bytes(ENTRY)
    source = Source.from_path(path)
    assert titles(source) == ["Piped Paper"]
    assert source.data is None  # streamed from the file, not held in memory
    assert titles(source) == ["Piped Paper"]
