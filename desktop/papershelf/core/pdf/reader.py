"""Reading a PDF in this process with PDFium (pypdfium2): page text, metadata, ids and annotations.

Only the PDF worker (``core/pdf/worker.py``) calls :func:`read`; the rest of the
app goes through ``core/pdf/sandbox.py``, which runs the worker in a separate
process with time and memory limits. Everything read is bounded: pages
(``max_pages``), characters of text (``max_chars``), annotations and their
text; what was cut is marked ``truncated`` (the text itself: ``len(pages)`` against
``page_count``, and ``chars_cut``).

Text from the file is untrusted but kept whole: no character is dropped. A NUL,
which SQLite's text does not hold well, and a lone surrogate, which is not text,
become visible marks (``<U+0000>``, as ``core.display`` shows hidden characters);
every other character is kept, and the places that show text mark the rest. Page
text, for the search, has its line ends made plain (CR LF, CR and form feed become
newlines) and a NUL made a space.
PDFium itself leaves out one thing: in a UTF-16 string, what stands between two
ESC characters is a language tag by the PDF standard (ISO 32000, 7.9.2.2), and
PDFium's API gives no way to read it.
"""

from __future__ import annotations

import ctypes
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import normalize
from ..display import mark

# pypdfium2 is imported inside the functions that read: the app imports this module for the
# dataclasses, and only the worker process loads PDFium.

MAX_PAGES = 5000
MAX_CHARS = 5_000_000
MAX_ANNOTATIONS = 2000
MAX_ANNOTATION_CHARS = 4000  # per quote or comment
MAX_META_CHARS = 2000  # per metadata value

#: Annotation subtypes read, and the kind each becomes.
#: (PDFium's FPDF_ANNOT_* numbers.)
_MARKUP = {9: "highlight", 10: "underline", 12: "strikeout", 11: "squiggly"}
_COMMENTS = {1: "note", 3: "freetext"}

_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>{}]+)")
_ARXIV_DOI = re.compile(r"(?i)^10\.48550/arxiv\.(.+)$")
_ARXIV_NEW = re.compile(r"(?i)\barXiv\s*:\s*(\d{4}\.\d{4,5})(?:v\d+)?")
_ARXIV_OLD = re.compile(r"(?i)\barXiv\s*:\s*([a-z\-]+(?:\.[a-z]{2})?/\d{7})(?:v\d+)?")
_ARXIV_URL = re.compile(r"(?i)arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[a-z]{2})?/\d{7})")
_ARXIV_SQUEEZED = re.compile(r"(?i)arXiv:(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[a-z]{2})?/\d{7})")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
#: What a stored text cannot hold: NUL, and lone surrogates (not text; UTF-8 cannot encode them).
_UNHELD = re.compile("[\x00\ud800-\udfff]")
#: Spaces, tabs and line breaks: trimmed at the ends of a value, a run of them one space in a quote.
#: (Not the other characters Python's ``str.split`` takes for space: NEL, separators, form feed are kept.)
_SPACE = "\t\n\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_SPACES = re.compile(f"[{_SPACE}]+")
_PDF_DATE = re.compile(r"^D?:?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:([Zz+\-])(\d{2})?'?(\d{2})?'?)?")


def _pdfium() -> Any:
    import pypdfium2  # type: ignore[import-untyped]

    return pypdfium2


def _raw() -> Any:
    import pypdfium2.raw  # type: ignore[import-untyped]

    return pypdfium2.raw


def load_pdfium() -> None:
    """Load PDFium now (the worker does, before it limits its own memory)."""
    _pdfium()
    _raw()


class PdfReadError(Exception):
    """The PDF cannot be read; ``str()`` is the reason, e.g. ``"the PDF is encrypted"``."""


@dataclass
class Annotation:
    """A highlight or comment a viewer wrote into the PDF."""

    page: int  # 1-based
    position: float  # 0 at the top of the page .. 1 at the bottom
    kind: str  # 'highlight', 'underline', 'strikeout', 'squiggly', 'note', 'freetext'
    quote: str  # the text under a markup ("" for notes)
    comment: str
    author: str
    modified: str | None  # ISO 8601 when the PDF date parses, else as written
    ident: str  # stable: a hash of page, kind, quadpoints or rect, comment


@dataclass
class PdfContent:
    """What the app keeps of a PDF."""

    pages: list[str]
    page_count: int
    title: str
    authors: list[str]
    doi: str | None
    arxiv_id: str | None
    annotations: list[Annotation] = field(default_factory=list)
    #: Something was cut at a limit: pages, characters, annotations or an annotation's text.
    truncated: bool = False
    #: The text stopped at ``max_chars``, on the last page in ``pages`` (``len(pages) < page_count``: at ``max_pages``).
    chars_cut: bool = False


def clean_text(text: str, limit: int | None = None) -> str:
    """PDFium's page text as the app stores it: plain line ends, PDFium's hyphen marks out.

    CR LF, CR and form feed (the app's page break) become newlines, a NUL (a glyph
    the font maps to nothing) a space between words, a lone surrogate its visible
    mark (``<U+D800>``); every other character is kept.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\x00", " ")
    # PDFium marks a word hyphenated across a line end with U+FFFE (older versions: U+0002) and drops
    # the line break: the word is joined again, so that "writ-/ten" is found as "written".
    text = text.replace("\ufffe", "").replace("\x02", "")
    text = _marked(text)
    if limit is not None and len(text) > limit:
        text = text[:limit]
    return text


def clean_value(text: str, limit: int) -> str:
    """A metadata value or an annotation's text: every character kept but NUL and lone surrogates (marked).

    Only spaces, tabs and line breaks at either end are trimmed; the value is cut at ``limit``.
    """
    return _marked(text.strip(_SPACE)[:limit].rstrip(_SPACE))


def _marked(text: str) -> str:
    """``text`` with each NUL and lone surrogate written as its visible mark (``<U+0000>``, ``<U+D800>``)."""
    if "\x00" not in text and _LONE_SURROGATE.search(text) is None:
        return text
    return _UNHELD.sub(lambda m: mark(m.group()), text)


def find_doi(text: str) -> str | None:
    match = _DOI.search(text)
    if not match:
        return None
    doi = match.group(1).rstrip(".,;:)]}'")
    if doi.count("(") < doi.count(")"):
        doi = doi.rstrip(")")
    return doi


def find_arxiv_id(text: str) -> str | None:
    """An arXiv id (without its version) stamped or cited as ``arXiv:…`` or linked as arxiv.org/abs/…."""
    for pattern in (_ARXIV_NEW, _ARXIV_OLD, _ARXIV_URL):
        match = pattern.search(text)
        if match:
            found = normalize.arxiv_id(match.group(1))
            if found:
                return found
    return None


def split_authors(value: str) -> list[str]:
    """``"A. One and B. Two"``, ``"A. One; B. Two"``, ``"A. One, B. Two"`` → the names.

    A comma between single words (``"Smith, John"``) is one inverted name, not two.
    """
    value = _SPACES.sub(" ", value).strip(" ")
    if not value:
        return []
    if ";" in value:
        parts = value.split(";")
    else:
        parts = re.split(r"\s+(?:and|&)\s+|,\s*(?:and\s+)?", value)
        if "," in value and all(len(p.split()) <= 1 for p in value.split(",")):
            parts = re.split(r"\s+(?:and|&)\s+", value)
    return [p.strip(_SPACE) for p in parts if p.strip(_SPACE)]


def pdf_date(value: str) -> str | None:
    """``D:20250103120000+01'00'`` → ``2025-01-03T12:00:00+01:00``; other text is kept as written."""
    value = value.strip()
    if not value:
        return None
    match = _PDF_DATE.match(value)
    if not match:
        return value[:64]
    year, month, day, hour, minute, second, zone, zh, zm = match.groups()
    out = f"{year}-{month or '01'}-{day or '01'}T{hour or '00'}:{minute or '00'}:{second or '00'}"
    if zone in ("Z", "z"):
        out += "Z"
    elif zone:
        out += f"{zone}{zh or '00'}:{zm or '00'}"
    return out


def _annot_string(annot: Any, key: str, limit: int) -> str:
    """A string value of an annotation's dictionary (``Contents``, ``T``, ``M``), bounded."""
    raw = _raw()

    name = key.encode("ascii")
    size = raw.FPDFAnnot_GetStringValue(annot, name, None, 0)
    if size <= 2:
        return ""
    size = min(size, (limit + 1) * 4 + 2)  # UTF-16: up to 4 bytes a character, and the terminator
    buffer = ctypes.create_string_buffer(size)
    raw.FPDFAnnot_GetStringValue(annot, name, ctypes.cast(buffer, ctypes.POINTER(raw.FPDF_WCHAR)), size)
    # PDFium says how long the value is: a NUL inside it is the file's own character, kept (marked).
    text = buffer.raw[: (size - 2) & ~1].decode("utf-16-le", errors="surrogatepass")
    return clean_value(text, limit)


def _meta_value(document: Any, key: str) -> str:
    """A value of the document's Info dictionary, bounded (PDFium decodes it: PDFDocEncoding or UTF-16)."""
    raw = _raw()

    name = key.encode("ascii")
    size = raw.FPDF_GetMetaText(document.raw, name, None, 0)
    if size <= 2:
        return ""
    size = min(size, (MAX_META_CHARS + 1) * 4 + 2)
    buffer = ctypes.create_string_buffer(size)
    raw.FPDF_GetMetaText(document.raw, name, buffer, size)
    return clean_value(buffer.raw[: (size - 2) & ~1].decode("utf-16-le", errors="surrogatepass"), MAX_META_CHARS)


def _quads(annot: Any) -> list[tuple[float, float, float, float]]:
    """The markup's quadpoints as (left, bottom, right, top) boxes, at most 500."""
    raw = _raw()

    quads = []
    count = min(raw.FPDFAnnot_CountAttachmentPoints(annot), 500)
    for index in range(count):
        q = raw.FS_QUADPOINTSF()
        if raw.FPDFAnnot_GetAttachmentPoints(annot, index, ctypes.byref(q)):
            xs, ys = (q.x1, q.x2, q.x3, q.x4), (q.y1, q.y2, q.y3, q.y4)
            quads.append((min(xs), min(ys), max(xs), max(ys)))
    return quads


def _quoted(textpage: Any, quads: list[tuple[float, float, float, float]], limit: int) -> str:
    pieces: list[str] = []
    broken = False  # the piece before ends in a word hyphenated across the line end
    for left, bottom, right, top in quads:
        found = textpage.get_text_bounded(left, bottom, right, top, errors="surrogatepass").rstrip(_SPACE)
        piece = clean_text(found).strip(_SPACE)
        if pieces and broken and piece[:1].islower():
            pieces[-1] = pieces[-1].removesuffix("-") + piece  # "writ-" + "ten" is "written"
        elif piece:
            pieces.append(piece)
        # PDFium's mark (U+FFFE, which clean_text drops) or a plain hyphen the PDF wrote itself.
        broken = found.endswith(("\ufffe", "\x02", "-"))
    return clean_text(_SPACES.sub(" ", " ".join(pieces)), limit)


def _ident(page: int, kind: str, boxes: list[tuple[float, float, float, float]], comment: str) -> str:
    shape = ";".join(",".join(f"{v:.1f}" for v in box) for box in boxes)
    return hashlib.sha256(f"{page}|{kind}|{shape}|{comment}".encode()).hexdigest()[:16]


def _page_annotations(page: Any, textpage: Any, number: int, budget: int) -> tuple[list[Annotation], bool]:
    """The highlights and comments of one page (at most ``budget``); whether any were cut."""
    raw = _raw()

    found: list[Annotation] = []
    cut = False
    left, bottom, right, top = page.get_cropbox()
    height = (top - bottom) or 1.0
    count = raw.FPDFPage_GetAnnotCount(page.raw)
    for index in range(count):
        if len(found) >= budget:
            return found, True
        annot = raw.FPDFPage_GetAnnot(page.raw, index)
        if not annot:
            continue
        try:
            subtype = raw.FPDFAnnot_GetSubtype(annot)
            kind = _MARKUP.get(subtype) or _COMMENTS.get(subtype)
            if kind is None:
                continue
            comment = _annot_string(annot, "Contents", MAX_ANNOTATION_CHARS)
            if not comment:
                popup = raw.FPDFAnnot_GetLinkedAnnot(annot, b"Popup")
                if popup:
                    try:
                        comment = _annot_string(popup, "Contents", MAX_ANNOTATION_CHARS)
                    finally:
                        raw.FPDFPage_CloseAnnot(popup)
            rect = raw.FS_RECTF()
            has_rect = bool(raw.FPDFAnnot_GetRect(annot, ctypes.byref(rect)))
            boxes = _quads(annot) if subtype in _MARKUP else []
            quote = _quoted(textpage, boxes, MAX_ANNOTATION_CHARS) if boxes else ""
            if subtype in _MARKUP and not boxes and has_rect:  # no quadpoints: the text under its rectangle
                quote = _quoted(textpage, [(rect.left, rect.bottom, rect.right, rect.top)], MAX_ANNOTATION_CHARS)
            if kind in _COMMENTS.values() and not comment:
                continue  # an empty sticky note says nothing
            cut = cut or len(comment) >= MAX_ANNOTATION_CHARS or len(quote) >= MAX_ANNOTATION_CHARS
            shape = boxes or ([(rect.left, rect.bottom, rect.right, rect.top)] if has_rect else [])
            upper = max((box[3] for box in shape), default=top)
            position = min(1.0, max(0.0, 1.0 - (upper - bottom) / height))
            found.append(
                Annotation(
                    page=number,
                    position=round(position, 4),
                    kind=kind,
                    quote=quote,
                    comment=comment,
                    author=_annot_string(annot, "T", 200),
                    modified=pdf_date(_annot_string(annot, "M", 64)),
                    ident=_ident(number, kind, shape, comment),
                )
            )
        finally:
            raw.FPDFPage_CloseAnnot(annot)
    return found, cut


#: PDFium's FPDF_ERR_* numbers when a document does not load.
_LOAD_ERRORS = {
    0: "damaged: PDFium could not load it",  # "Success": a damaged cross-reference stream, for one
    1: "damaged: PDFium could not load it",
    3: "damaged: not a readable PDF structure",
    4: "the PDF is encrypted",
    5: "the PDF is encrypted with an unsupported method",
    6: "damaged: a page could not be read",
}


def read(
    path: Path,
    *,
    max_pages: int = MAX_PAGES,
    max_chars: int = MAX_CHARS,
    annotations: bool = True,
) -> PdfContent:
    """The text of the first ``max_pages`` pages (``max_chars`` in all), metadata, ids and annotations.

    Raises :class:`PdfReadError` with a one-line reason.
    """
    with open(path, "rb") as stream:
        head = stream.read(1024)
    if not head:
        raise PdfReadError("the file is empty")
    if b"%PDF-" not in head:
        raise PdfReadError("not a PDF")
    pdfium = _pdfium()

    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        reason = _LOAD_ERRORS.get(code) if isinstance(code, int) else None
        raise PdfReadError(
            reason or f"damaged: {str(exc).splitlines()[0] if str(exc) else 'PDFium refused it'}"
        ) from None
    try:
        return _read_document(document, max_pages=max_pages, max_chars=max_chars, annotations=annotations)
    finally:
        document.close()


def _read_document(document: Any, *, max_pages: int, max_chars: int, annotations: bool) -> PdfContent:
    pdfium = _pdfium()

    page_count = len(document)
    meta = {key: _meta_value(document, key) for key in ("Title", "Author", "Subject", "Keywords")}
    pages: list[str] = []
    found: list[Annotation] = []
    truncated = page_count > max_pages
    chars = 0
    chars_cut = False
    for index in range(min(page_count, max_pages)):
        if chars_cut:
            break
        try:
            page = document[index]
        except pdfium.PdfiumError:
            pages.append("")  # one unreadable page does not cost the others
            continue
        try:
            textpage = page.get_textpage()
            try:
                whole = clean_text(textpage.get_text_range(errors="surrogatepass"))
                text = whole[: max_chars - chars]
                if len(text) < len(whole):
                    truncated = chars_cut = True
                    if not text:
                        break  # the limit was reached on the page before: this page adds nothing
                chars += len(text)
                pages.append(text)
                if annotations and len(found) < MAX_ANNOTATIONS:
                    more, cut = _page_annotations(page, textpage, index + 1, MAX_ANNOTATIONS - len(found))
                    found.extend(more)
                    truncated = truncated or cut
            finally:
                textpage.close()
        finally:
            page.close()
    first = pages[0] if pages else ""
    searchable = " ".join(meta.get(key, "") for key in ("Subject", "Keywords", "Title"))
    doi = find_doi(searchable) or find_doi(first)
    arxiv = find_arxiv_id(searchable) or find_arxiv_id(first)
    if arxiv is None and doi:
        match = _ARXIV_DOI.match(doi)
        arxiv = normalize.arxiv_id(match.group(1)) if match else None
    if arxiv is None:
        squeezed = "".join(first[:20000].split())  # a margin stamp read one character a line
        match = _ARXIV_SQUEEZED.search(squeezed)
        arxiv = normalize.arxiv_id(match.group(1)) if match else None
    return PdfContent(
        pages=pages,
        page_count=page_count,
        title=meta.get("Title", ""),
        authors=split_authors(meta.get("Author", "")),
        doi=doi,
        arxiv_id=arxiv,
        annotations=found,
        truncated=truncated,
        chars_cut=chars_cut,
    )
