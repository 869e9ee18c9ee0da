"""RIS, the tagged format EndNote, Zotero, Mendeley and JabRef read."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ..records import Paper
from .common import (
    arxiv_base_id,
    date_parts,
    extra_fields,
    is_organisation,
    literal_name,
    own_url,
    sighting_note,
    split_name,
    strip_controls,
)
from .latex import collapse_space

# BibTeX entry type -> RIS type; arXiv preprints and anything else are GEN.
RIS_TYPES = {
    "article": "JOUR",
    "inproceedings": "CPAPER",
    "conference": "CPAPER",
    "proceedings": "CONF",
    "book": "BOOK",
    "collection": "EDBOOK",
    "inbook": "CHAP",
    "incollection": "CHAP",
    "phdthesis": "THES",
    "mastersthesis": "THES",
    "thesis": "THES",
    "techreport": "RPRT",
    "report": "RPRT",
    "manual": "RPRT",
    "unpublished": "UNPB",
    "online": "ELEC",
    "www": "ELEC",
    "electronic": "ELEC",
    "dataset": "DATA",
    "software": "COMP",
    "patent": "PAT",
    "booklet": "PAMP",
}
# extra_fields -> RIS tags.
_TAGS = (
    ("journal", "JO"),
    ("booktitle", "T2"),
    ("volume", "VL"),
    ("number", "IS"),
    ("publisher", "PB"),
    ("address", "CY"),
    ("isbn", "SN"),
    ("issn", "SN"),
    ("edition", "ET"),
    ("series", "T3"),
)


def render_ris(
    papers: Iterable[Paper], *, abstract: bool = True, notes: bool = False, all_fields: bool = False
) -> Iterator[str]:
    """One ``TY ... ER`` record per paper."""
    del all_fields  # RIS has no place for tool fields
    for paper in papers:
        yield record(paper, abstract=abstract, notes=notes)


def record(paper: Paper, *, abstract: bool = True, notes: bool = False) -> str:
    """The RIS record for one paper, ending in a blank line."""
    extra = extra_fields(paper)
    arxiv = arxiv_base_id(paper.arxiv_id)
    lines: list[tuple[str, str]] = [("TY", RIS_TYPES.get((paper.entry_type or "misc").lower(), "GEN"))]
    for name in paper.authors:
        if name.strip():
            lines.append(("AU", ris_name(name)))
    lines.append(("TI", paper.title))
    parts = date_parts(paper)
    if parts:
        lines.append(("PY", str(parts[0])))
        if len(parts) == 3:
            lines.append(("DA", f"{parts[0]:04d}/{parts[1]:02d}/{parts[2]:02d}"))
    for field, tag in _TAGS:
        if field in extra:
            lines.append((tag, extra[field]))
    pages = extra.get("pages", "")
    if pages:
        first, _, last = re.sub(r"[-\u2010-\u2015]+", "-", pages).partition("-")
        lines.append(("SP", first.strip()))
        if last.strip():
            lines.append(("EP", last.strip()))
    url = own_url(paper)  # a GitHub or publisher URL is kept; the arXiv page only stands in for none
    if arxiv:
        lines.append(("AN", f"arXiv:{arxiv}"))
    if url or arxiv:
        lines.append(("UR", url or f"https://arxiv.org/abs/{arxiv}"))
    if extra.get("doi"):
        lines.append(("DO", extra["doi"]))
    if abstract and paper.abstract.strip():
        lines.append(("AB", paper.abstract))
    for tag in paper.tags:
        lines.append(("KW", tag))
    note = extra.get("note") or sighting_note(paper)
    if note:
        lines.append(("N1", note))
    if notes:
        for n in paper.notes:
            if n.text.strip():
                lines.append(("N1", n.text))
    # Values are single lines: a newline in untrusted text must not start a tag,
    # and an ESC or a bidi override must not act on the terminal that shows the file.
    values = ((tag, collapse_space(strip_controls(value))) for tag, value in lines)
    body = "".join(f"{tag}  - {value}\n" for tag, value in values if value)
    return body + "ER  - \n\n"


def ris_name(name: str) -> str:
    """``Last, First`` (``Last, First, Jr.``); an organisation as it is."""
    name = collapse_space(name)
    if literal_name(name) is not None:
        return literal_name(name) or name
    if is_organisation(name) and "," not in name:
        return name
    last, suffix, first = split_name(name)
    return ", ".join(p for p in (last, first, suffix) if p)
