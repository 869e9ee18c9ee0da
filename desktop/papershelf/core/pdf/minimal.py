"""The smallest valid PDFs: pages of plain Helvetica text, for the smoke test of the installed app and generated inputs.

Papershelf never edits a PDF; this writes new ones only, so that the installed
app's smoke test has a file to read through the sandbox without shipping one,
and tests and benches can make the many small PDFs they need. Real PDFs for
tests are in ``tests/fixtures/pdfs`` (see its SOURCES.md).
"""

from __future__ import annotations

from collections.abc import Sequence


def build_pdf(objects: Sequence[bytes], *, trailer_extra: bytes = b"") -> bytes:
    """A PDF of ``objects`` (numbered from 1, object 1 the catalog) with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer_extra, xref)
    return bytes(out)


def text_pdf(pages: Sequence[Sequence[str]]) -> bytes:
    """A PDF with one letter-size page per item, one line of Helvetica text per string (Latin-1)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # the page tree, once the pages are numbered
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    kids = []
    for lines in pages:
        escaped = (line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines)
        stream = ("BT /F1 11 Tf 14 TL 60 760 Td " + " ".join(f"({line}) Tj T*" for line in escaped) + " ET").encode(
            "latin-1"
        )
        number = len(objects) + 1
        kids.append(b"%d 0 R" % number)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % (number + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects[1] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % len(pages)
    return build_pdf(objects)
