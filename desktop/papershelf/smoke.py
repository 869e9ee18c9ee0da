"""``papershelf --smoke-test``: one real round trip through what we ship.

Run on a built bundle (and from source by the tests), it proves that the
pieces a frozen build most often loses are there: the bundled sample listing,
the Alembic migration scripts (a new library is created through them), the Qt
platform, image-format and icon plugins, fonts, and the exporters.

Everything happens in a temporary folder: ``PAPERSHELF_HOME`` points there for
the length of the test, so the user's library, settings and backups are never
touched. Headless unless ``QT_QPA_PLATFORM`` says otherwise.

Success prints one summary line and returns 0; otherwise each failure is one
line on stderr and the return value is 1.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

EXPECTED_PAPERS = 49
SAMPLE_DATE = dt.date(2025, 9, 11)
PAINT_TIMEOUT_S = 20.0


class SmokeFailure(Exception):
    """A check that failed; the message is the one line reported."""


@contextmanager
def _temporary_profile() -> Iterator[Path]:
    """A throwaway PAPERSHELF_HOME (and XDG folders), restored afterwards."""
    keys = (
        "PAPERSHELF_HOME",
        "PAPERSHELF_LIBRARY",
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_CACHE_HOME",
        "XDG_STATE_HOME",
    )
    saved = {key: os.environ.get(key) for key in keys}
    with tempfile.TemporaryDirectory(prefix="papershelf-smoke-") as tmp:
        root = Path(tmp)
        os.environ["PAPERSHELF_HOME"] = str(root / "home")
        os.environ.pop("PAPERSHELF_LIBRARY", None)
        for key, sub in (
            ("XDG_CONFIG_HOME", "xdg-config"),
            ("XDG_DATA_HOME", "xdg-data"),
            ("XDG_CACHE_HOME", "xdg-cache"),
            ("XDG_STATE_HOME", "xdg-state"),
        ):
            os.environ[key] = str(root / sub)
        from . import logs

        logs.setup()  # the log too goes to the throwaway profile
        try:
            yield root
        finally:
            logs.close()  # an open file would keep Windows from removing the folder
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


#: Qt warnings that say something is missing from the bundle fail the test.
_MISSING = re.compile(r"(cannot|could not|couldn't|failed to|unable to) (load|find|open)|no such (file|plugin)", re.I)
#: Harmless on the offscreen platform.
_BENIGN = ("propagateSizeHints",)


@contextmanager
def _qt_messages(failures: list[str], notes: list[str]) -> Iterator[None]:
    """Collect Qt's warnings: a missing library or plugin is a failure, anything else a note."""
    try:
        from PySide6.QtCore import QtMsgType, qInstallMessageHandler
    except ImportError as exc:  # the window step reports it too; keep going for the core checks
        notes.append(f"Qt: cannot import PySide6 ({exc})")
        yield
        return

    def handler(kind, _context, message: str) -> None:
        if kind in (QtMsgType.QtDebugMsg, QtMsgType.QtInfoMsg) or any(b in message for b in _BENIGN):
            return
        line = f"Qt: {message.strip().splitlines()[0] if message.strip() else message}"
        (failures if _MISSING.search(message) or kind == QtMsgType.QtFatalMsg else notes).append(line)

    previous = qInstallMessageHandler(handler)
    try:
        yield
    finally:
        qInstallMessageHandler(previous)


def _check_import(library_file: Path) -> str:
    from . import paths
    from .core import db, migrate
    from .core.library import Library

    sample = paths.sample_listing()
    if not sample.is_file():
        raise SmokeFailure(f"sample listing missing: {sample}")
    head = migrate.alembic_head()  # reads the migration scripts from disk
    if head != db.SCHEMA_HEAD:
        raise SmokeFailure(f"migrations: Alembic head is {head!r}, the code expects {db.SCHEMA_HEAD!r}")
    with Library(library_file) as library:
        result = library.import_file(sample, listing_date=SAMPLE_DATE)
        count = library.count()
    if result.added != EXPECTED_PAPERS or count != EXPECTED_PAPERS:
        raise SmokeFailure(
            f"import: expected {EXPECTED_PAPERS} papers from {sample.name}, "
            f"got {result.added} added and {count} in the library"
        )
    return f"{count} papers imported"


def _wait_until(app, condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        app.processEvents()
        time.sleep(0.01)
    return True


def _distinct_colours(image, samples: int = 48) -> int:
    """How many colours a grid of sample points over ``image`` hits."""
    width, height = image.width(), image.height()
    seen = set()
    for i in range(samples):
        for j in range(samples):
            seen.add(image.pixel(i * (width - 1) // (samples - 1), j * (height - 1) // (samples - 1)))
    return len(seen)


def _check_fonts() -> None:
    """Text really renders: a font is found and drawing a word changes pixels."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFontDatabase, QImage, QPainter

    if not QFontDatabase.families():
        raise SmokeFailure("fonts: Qt found no font families (is fontconfig and a font installed?)")
    image = QImage(200, 40, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    painter.setPen(Qt.GlobalColor.black)
    painter.drawText(image.rect(), Qt.AlignmentFlag.AlignCenter, "Papershelf")
    painter.end()
    if _distinct_colours(image, 40) < 2:
        raise SmokeFailure("fonts: drawing text painted nothing")


def _check_window(library_file: Path) -> str:
    from PySide6.QtGui import QImageReader

    from .gui import app as gui_app

    app = gui_app.ensure_app()
    if app.windowIcon().isNull():
        raise SmokeFailure("icons: the application icon did not load from resources/icons")
    formats = {bytes(f.data()).decode() for f in QImageReader.supportedImageFormats()}
    missing = {"png", "svg"} - formats
    if missing:
        raise SmokeFailure(f"Qt image format plugins missing: {', '.join(sorted(missing))}")
    _check_fonts()

    window = gui_app.create_window(library_file)
    try:
        if window.library is None:
            raise SmokeFailure(f"window: the library {library_file} did not open")
        painted = []
        window.firstPainted.connect(lambda: painted.append(True))
        window.show()
        if not _wait_until(app, lambda: bool(painted), PAINT_TIMEOUT_S):
            raise SmokeFailure(f"window: not painted within {PAINT_TIMEOUT_S:.0f} s of show()")
        rows_ok = _wait_until(app, lambda: window.table_model.rowCount() == EXPECTED_PAPERS, PAINT_TIMEOUT_S)
        if not rows_ok:
            raise SmokeFailure(
                f"window: the paper table shows {window.table_model.rowCount()} rows, expected {EXPECTED_PAPERS}"
            )
        image = window.grab().toImage()
        if image.isNull() or image.width() < 100 or image.height() < 100:
            raise SmokeFailure(f"window: grab() gave an empty image ({image.width()}x{image.height()})")
        colours = _distinct_colours(image)
        if colours < 8:
            raise SmokeFailure(f"window: the painted window is nearly uniform ({colours} colours)")
        shot = os.environ.get("PAPERSHELF_SMOKE_SCREENSHOT")
        if shot:
            image.save(shot)
        return f"window painted {image.width()}x{image.height()} with {EXPECTED_PAPERS} rows"
    finally:
        from .gui import workers

        workers.wait_all()
        window.close()
        app.processEvents()
        if window.library is not None:
            window.close_library()


def _check_export(library_file: Path, out: Path) -> str:
    import bibtexparser

    from .core.exporters import export_to_file
    from .core.library import Library

    with Library(library_file) as library:
        written = export_to_file(library.iter_papers(library.search_ids()), "bibtex", out)
    parsed = bibtexparser.parse_string(out.read_text(encoding="utf-8"))
    entries = len(parsed.entries)
    if written != EXPECTED_PAPERS or entries != EXPECTED_PAPERS or parsed.failed_blocks:
        raise SmokeFailure(
            f"export: expected {EXPECTED_PAPERS} BibTeX entries, wrote {written}, "
            f"parsed {entries} back ({len(parsed.failed_blocks)} failed blocks)"
        )
    return f"{entries} BibTeX entries"


def _check_online(library_file: Path) -> str:
    """Fetch the sample API listing from a server on 127.0.0.1 (never the internet), with the real client.

    Proves the frozen app has what the online features need: the HTTP stack,
    truststore and the OS trust store (the TLS context is made), the API import.
    """
    import http.server
    import threading

    from . import paths
    from .core.library import Library
    from .core.online import fetching

    body = (paths.resources_dir() / "samples" / "hf-daily-papers-api-sample.json").read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    previous = os.environ.get("HF_ENDPOINT")
    os.environ["HF_ENDPOINT"] = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        web = fetching.client(cache_dir=library_file.parent / "http-cache")
        with Library(library_file) as library:
            [day] = fetching.fetch_days(library, web, [SAMPLE_DATE])
    finally:
        server.shutdown()
        server.server_close()
        if previous is None:
            os.environ.pop("HF_ENDPOINT", None)
        else:
            os.environ["HF_ENDPOINT"] = previous
    if day.result is None or day.result.total != 2:
        raise SmokeFailure(f"online: expected the 2 papers of the sample API listing, got {day.result}")
    return "API listing fetched over loopback"


SMOKE_PDF_WORDS = "Papershelf smoke test page"


def smoke_pdf(path: Path) -> Path:
    """Write a one-page PDF whose text is ``SMOKE_PDF_WORDS``."""
    from .core.pdf.minimal import text_pdf

    path.write_bytes(text_pdf([[SMOKE_PDF_WORDS]]))
    return path


def _check_pdf(folder: Path) -> str:
    """Read a PDF through the sandbox: the worker process (the app itself when frozen) and PDFium are there."""
    from .core.pdf import sandbox

    content = sandbox.extract(smoke_pdf(folder / "smoke.pdf"), timeout=60)
    if content.page_count != 1 or SMOKE_PDF_WORDS not in " ".join(content.pages[0].split()):
        raise SmokeFailure(
            f"pdf: expected {SMOKE_PDF_WORDS!r} on 1 page, got {content.page_count} pages: {content.pages!r:.200}"
        )
    return "PDF text read by the sandboxed worker"


def _check_shared() -> str:
    """The PostgreSQL client is in the bundle: a shared library's URL reaches libpq, whose refusal is one line."""
    import psycopg

    from .core.errors import LibraryError
    from .core.library import Library

    try:
        Library("postgresql://papershelf@127.0.0.1:9/none?connect_timeout=5").close()  # nothing listens on port 9
    except LibraryError as exc:
        if "cannot open the shared library" not in str(exc) or "\n" in str(exc):
            raise SmokeFailure(f"shared: an unexpected answer: {exc}") from None
        return f"PostgreSQL client (libpq {psycopg.pq.version()}, {psycopg.pq.__impl__}) answers"
    raise SmokeFailure("shared: a connection to a closed port succeeded")


def run_smoke_test() -> int:
    """Import the sample, paint the window, export to BibTeX, fetch, read a PDF, reach libpq; 0 if all of it worked."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    failures: list[str] = []
    done: list[str] = []
    failed: set[str] = set()
    notes: list[str] = []
    with _temporary_profile() as root, _qt_messages(failures, notes):
        library_file = root / "smoke-library.sqlite3"
        steps = (
            ("import", lambda: _check_import(library_file)),
            ("window", lambda: _check_window(library_file)),
            ("export", lambda: _check_export(library_file, root / "smoke.bib")),
            ("online", lambda: _check_online(root / "online-library.sqlite3")),
            ("pdf", lambda: _check_pdf(root)),
            ("shared", _check_shared),
        )
        for name, step in steps:
            if "import" in failed and name in ("window", "export"):  # they read the imported library
                failures.append(f"{name}: skipped, the import failed")
                continue
            try:
                done.append(step())
            except SmokeFailure as exc:
                failed.add(name)
                failures.append(str(exc))
            except Exception as exc:
                failed.add(name)
                first = str(exc).splitlines()[0] if str(exc) else ""
                failures.append(f"{name}: {type(exc).__name__}: {first}")
    for line in notes:
        print(f"smoke test note: {line}", file=sys.stderr)
    if failures:
        for line in failures:
            print(f"smoke test FAILED: {line}", file=sys.stderr)
        return 1
    from . import __version__

    frozen = " (frozen)" if getattr(sys, "frozen", False) else ""
    print(f"smoke test passed{frozen}: papershelf {__version__}: " + "; ".join(done))
    return 0
