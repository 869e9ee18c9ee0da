"""The PDF worker: the separate process ``core/pdf/sandbox.py`` starts to read one untrusted PDF.

    python -m papershelf.core.pdf.worker extract|identify FILE --cpu S --memory-mb MB --max-pages N --max-chars N
    papershelf --pdf-worker extract|identify FILE …        (the frozen app: ``__main__`` hands over before Qt)

It loads PDFium, then limits itself (address space and CPU time, where the OS has
them), then reads the file with :mod:`.reader` and writes one JSON object to stdout:
``{"ok": true, "content": {...}}`` or ``{"ok": false, "reason": "..."}``. It reads
no stdin and never prints a traceback to stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

MEMORY_MESSAGE = "ran out of memory"


def apply_limits(*, memory_mb: int, cpu_s: float) -> None:
    """Cap this process's address space and CPU time (POSIX ``resource``).

    Windows has no ``resource`` module (a Job Object would be the equivalent); there
    only the sandbox's wall-clock timeout applies. macOS accepts RLIMIT_AS but does
    not enforce it, so there too only time is bounded.
    """
    try:
        import resource
    except ImportError:
        return
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError):
            pass
    if cpu_s > 0:
        seconds = math.ceil(cpu_s)
        try:  # the soft limit sends SIGXCPU, the hard one a second later SIGKILL
            resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
        except (ValueError, OSError):
            pass


def _reply(payload: dict[str, object]) -> None:
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="papershelf --pdf-worker")
    parser.add_argument("mode", choices=("extract", "identify"))
    parser.add_argument("path", type=Path)
    parser.add_argument("--cpu", type=float, default=0.0)
    parser.add_argument("--memory-mb", type=int, default=0)
    parser.add_argument("--max-pages", type=int, default=5000)
    parser.add_argument("--max-chars", type=int, default=5_000_000)
    args = parser.parse_args(argv)
    from . import reader

    # PDFium is loaded before the limits: mapping the library is not the PDF's cost, and under a small
    # address-space cap dlopen fails with an OSError that would read as "the file could not be opened".
    try:
        reader.load_pdfium()
    except (ImportError, OSError) as exc:
        _reply({"ok": False, "reason": f"the PDF library could not be loaded ({type(exc).__name__})"})
        return 0
    apply_limits(memory_mb=args.memory_mb, cpu_s=args.cpu)
    try:
        if args.mode == "identify":
            content = reader.read(args.path, max_pages=1, max_chars=min(args.max_chars, 200_000), annotations=False)
        else:
            content = reader.read(args.path, max_pages=args.max_pages, max_chars=args.max_chars)
        _reply({"ok": True, "content": asdict(content)})
    except MemoryError:
        sys.stdout.buffer.write(b'{"ok":false,"reason":"' + MEMORY_MESSAGE.encode() + b'"}')
        sys.stdout.buffer.flush()
    except reader.PdfReadError as exc:
        _reply({"ok": False, "reason": str(exc)})
    except OSError as exc:
        _reply({"ok": False, "reason": f"the file could not be opened ({exc.strerror or type(exc).__name__})"})
    except Exception as exc:  # anything else PDFium or the binding raised: this file is damaged for us
        first = str(exc).splitlines()[0][:200] if str(exc) else ""
        _reply({"ok": False, "reason": f"damaged: {type(exc).__name__}{': ' + first if first else ''}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
