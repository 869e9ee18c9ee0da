"""Test helpers for PDFs: real fixtures, annotating them the way viewers do, and hostile variants.

Annotations are written with PDFium (pypdfium2's raw API) and saved as an
incremental update, as Okular, Evince, Preview and Acrobat do: the original
bytes stay and the annotations are appended.
"""

from __future__ import annotations

import ctypes
import hashlib
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as raw

from papershelf.core.pdf import minimal

PDFS = Path(__file__).resolve().parents[1] / "fixtures" / "pdfs"
PAPER = PDFS / "sympy-paper.pdf"  # 29 pages, compiled from the SymPy paper's LaTeX (SOURCES.md)
HELLO = PDFS / "asciihexdecode.pdf"  # pdf.js: one page, "Hello world"
PAGES_LOOP = PDFS / "Pages-tree-refs.pdf"  # pdf.js: a page tree whose kids point back at each other
STICKY_NOTE = PDFS / "annotation-popup-subject.pdf"  # pdf.js: a Text annotation with author and popup

_SUBTYPES = {
    "highlight": raw.FPDF_ANNOT_HIGHLIGHT,
    "underline": raw.FPDF_ANNOT_UNDERLINE,
    "strikeout": raw.FPDF_ANNOT_STRIKEOUT,
    "squiggly": raw.FPDF_ANNOT_SQUIGGLY,
    "note": raw.FPDF_ANNOT_TEXT,
    "freetext": raw.FPDF_ANNOT_FREETEXT,
}


@dataclass
class Mark:
    """One annotation to add: a markup over ``phrase`` (its first occurrence on ``page``), or a note."""

    page: int  # 1-based
    kind: str
    phrase: str = ""  # markups: the text to cover
    comment: str = ""
    author: str = "Reader"
    modified: str = "D:20250103120000+01'00'"
    at: tuple[float, float] = (40.0, 500.0)  # notes: where (left, top) on the page


def _set_string(annot, key: str, value: str) -> None:
    data = (value + "\x00").encode("utf-16-le")
    buffer = ctypes.create_string_buffer(data, len(data))
    raw.FPDFAnnot_SetStringValue(annot, key.encode("ascii"), ctypes.cast(buffer, ctypes.POINTER(raw.FPDF_WCHAR)))


def line_boxes(textpage, phrase: str) -> list[tuple[float, float, float, float]]:
    """The boxes (left, bottom, right, top) covering ``phrase`` on a page, one per line, as viewers draw them."""
    searcher = textpage.search(phrase, match_case=True)
    found = searcher.get_next()
    if found is None:
        raise AssertionError(f"{phrase!r} is not on the page")
    start, count = found
    lines: list[list[float]] = []
    for index in range(start, start + count):
        left, bottom, right, top = textpage.get_charbox(index)
        if right - left <= 0 or top - bottom <= 0:
            continue  # a generated space or line break
        middle = (bottom + top) / 2
        if lines and lines[-1][1] <= middle <= lines[-1][3]:  # on the line of the box before: "(" and "y" too
            box = lines[-1]
            box[0], box[2], box[3] = min(box[0], left), max(box[2], right), max(box[3], top)
        else:
            lines.append([left, bottom, right, top])
    return [(b[0] - 0.5, b[1] - 1.0, b[2] + 0.5, b[3] + 1.0) for b in lines]


def annotate(source: Path, out: Path, marks: list[Mark]) -> Path:
    """Copy ``source`` to ``out`` with ``marks`` added as an incremental update."""
    document = pdfium.PdfDocument(source.read_bytes())
    try:
        for mark in marks:
            page = document[mark.page - 1]
            textpage = page.get_textpage()
            annot = raw.FPDFPage_CreateAnnot(page.raw, _SUBTYPES[mark.kind])
            assert annot, f"PDFium would not create a {mark.kind} annotation"
            if mark.phrase:
                boxes = line_boxes(textpage, mark.phrase)
                for left, bottom, right, top in boxes:
                    quad = raw.FS_QUADPOINTSF(left, top, right, top, left, bottom, right, bottom)
                    assert raw.FPDFAnnot_AppendAttachmentPoints(annot, ctypes.byref(quad))
                rect = raw.FS_RECTF(
                    min(b[0] for b in boxes),
                    max(b[3] for b in boxes),
                    max(b[2] for b in boxes),
                    min(b[1] for b in boxes),
                )
            else:
                left, top = mark.at
                rect = raw.FS_RECTF(left, top, left + (150 if mark.kind == "freetext" else 20), top - 20)
            raw.FPDFAnnot_SetRect(annot, ctypes.byref(rect))
            raw.FPDFAnnot_SetColor(annot, raw.FPDFANNOT_COLORTYPE_Color, 255, 230, 0, 255)
            if mark.comment:
                _set_string(annot, "Contents", mark.comment)
            _set_string(annot, "T", mark.author)
            _set_string(annot, "M", mark.modified)
            raw.FPDFPage_CloseAnnot(annot)
            textpage.close()
            page.close()
        document.save(out, flags=raw.FPDF_INCREMENTAL)  # the original bytes, then the update appended
    finally:
        document.close()
    return out


def stamp_arxiv(source: Path, out: Path, text: str) -> Path:
    """``source`` with arXiv's stamp (rotated text down the left margin of page 1) added."""
    document = pdfium.PdfDocument(source.read_bytes())
    try:
        page = document[0]
        font = raw.FPDFText_LoadStandardFont(document.raw, b"Times-Roman")
        obj = raw.FPDFPageObj_CreateTextObj(document.raw, font, ctypes.c_float(20.0))
        data = (text + "\x00").encode("utf-16-le")
        buffer = ctypes.create_string_buffer(data, len(data))
        raw.FPDFText_SetText(obj, ctypes.cast(buffer, ctypes.POINTER(raw.FPDF_WCHAR)))
        raw.FPDFPageObj_Transform(obj, 0, 1, -1, 0, 30, 120)  # 90 degrees, bottom to top, in the margin
        raw.FPDFPage_InsertObject(page.raw, obj)
        assert raw.FPDFPage_GenerateContent(page.raw)
        page.close()
        document.save(out)
    finally:
        document.close()
    return out


# --- Hostile PDFs -----------------------------------------------------------------------------------------------


build_pdf = minimal.build_pdf


def page_objects(content: bytes, *, filter_name: bytes = b"") -> list[bytes]:
    extra = b" /Filter /%s" % filter_name if filter_name else b""
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d%s >>\nstream\n" % (len(content), extra) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]


def decompression_bomb(megabytes: int) -> bytes:
    """One page whose content stream inflates from ~1 MB to ``megabytes`` of text operators."""
    packer = zlib.compressobj(9)
    chunk = b"BT /F1 12 Tf 72 720 Td (bomb) Tj ET\n" * 29127  # ~1 MB
    parts = [packer.compress(chunk) for _ in range(megabytes)]
    parts.append(packer.flush())
    return build_pdf(page_objects(b"".join(parts), filter_name=b"FlateDecode"))


def huge_page_count() -> bytes:
    """A page tree that claims two billion pages and has one."""
    objects = page_objects(b"BT /F1 12 Tf 72 720 Td (only page) Tj ET")
    objects[1] = b"<< /Type /Pages /Kids [3 0 R] /Count 2147483647 >>"
    return build_pdf(objects)


def wide_page_tree(pages: int) -> bytes:
    """A real tree of ``pages`` pages sharing one content stream (a huge but honest page count)."""
    kids = b" ".join(b"%d 0 R" % (4 + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d /MediaBox [0 0 612 792] >>" % pages,
        b"<< /Length 38 >>\nstream\nBT /Helv 12 Tf 72 720 Td (page) Tj ET\nendstream",
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /Contents 3 0 R >>"] * pages
    return build_pdf(objects)


def deeply_nested() -> bytes:
    """An array nested 200,000 deep inside the page dictionary (a parser's recursion)."""
    objects = page_objects(b"BT /F1 12 Tf 72 720 Td (nested) Tj ET")
    objects[2] = objects[2][:-2] + b" /Junk " + b"[" * 200_000 + b"]" * 200_000 + b" >>"
    return build_pdf(objects)


# RC4 and the standard security handler (revision 2, 40-bit), to write a real encrypted PDF without a library.
_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    i = j = 0
    out = bytearray()
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def encrypted(user_password: str = "secret", owner_password: str = "owner") -> bytes:
    """One page whose content stream is RC4-encrypted for ``user_password`` (PDF 1.4 standard handler, R2)."""
    user = (user_password.encode("latin-1") + _PAD)[:32]
    owner = (owner_password.encode("latin-1") + _PAD)[:32]
    o_value = _rc4(hashlib.md5(owner).digest()[:5], user)
    permissions = -4
    file_id = hashlib.md5(b"papershelf test").digest()
    key = hashlib.md5(user + o_value + struct.pack("<i", permissions) + file_id).digest()[:5]
    u_value = _rc4(key, _PAD)
    content = b"BT /F1 12 Tf 72 720 Td (secret text) Tj ET"
    object_key = hashlib.md5(key + struct.pack("<I", 4)[:3] + b"\x00\x00").digest()[:10]
    objects = page_objects(_rc4(object_key, content))
    objects.append(
        b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>"
        % (o_value.hex().encode(), u_value.hex().encode(), permissions)
    )
    return build_pdf(objects, trailer_extra=b"/Encrypt 6 0 R /ID [<%s> <%s>] " % ((file_id.hex().encode(),) * 2))
