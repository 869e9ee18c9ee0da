"""CSL-JSON (for Pandoc, Zotero and citeproc), one item per paper."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator

from ..records import Paper
from .common import (
    arxiv_base_id,
    citation_keys,
    date_parts,
    extra_fields,
    is_organisation,
    literal_name,
    own_url,
    sighting_note,
    split_name,
)

# BibTeX entry type -> CSL type. arXiv preprints are "article" (see item()).
CSL_TYPES = {
    "article": "article-journal",
    "inproceedings": "paper-conference",
    "conference": "paper-conference",
    "book": "book",
    "mvbook": "book",
    "collection": "book",
    "proceedings": "book",
    "inbook": "chapter",
    "incollection": "chapter",
    "bookinbook": "chapter",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "thesis": "thesis",
    "techreport": "report",
    "report": "report",
    "manual": "report",
    "unpublished": "manuscript",
    "online": "webpage",
    "www": "webpage",
    "electronic": "webpage",
    "dataset": "dataset",
    "software": "software",
    "patent": "patent",
    "booklet": "pamphlet",
}
# extra_fields -> CSL variables, copied as text.
_TEXT_VARIABLES = {
    "journal": "container-title",
    "journaltitle": "container-title",
    "booktitle": "container-title",
    "series": "collection-title",
    "volume": "volume",
    "number": "issue",
    "pages": "page",
    "publisher": "publisher",
    "address": "publisher-place",
    "location": "publisher-place",
    "school": "publisher",
    "institution": "publisher",
    "organization": "publisher",
    "edition": "edition",
    "isbn": "ISBN",
    "issn": "ISSN",
    "shorttitle": "title-short",
    "language": "language",
    "version": "version",
}


def render_csl_json(
    papers: Iterable[Paper], *, abstract: bool = True, notes: bool = False, all_fields: bool = False
) -> Iterator[str]:
    """A JSON array, streamed one item at a time."""
    del all_fields  # CSL has no place for tool fields
    yield "["
    first = True
    for paper, key in citation_keys(papers):
        text = json.dumps(item(paper, key, abstract=abstract, notes=notes), ensure_ascii=False)
        yield ("\n  " if first else ",\n  ") + (text if text.isprintable() else _escape_controls(text))
        first = False
    yield "\n]\n" if not first else "]\n"


def item(paper: Paper, key: str, *, abstract: bool = True, notes: bool = False) -> dict[str, object]:
    """The CSL-JSON object for one paper."""
    extra = extra_fields(paper)
    arxiv = arxiv_base_id(paper.arxiv_id)
    entry_type = (paper.entry_type or "misc").lower()
    out: dict[str, object] = {"id": key}  # a JSON object
    if arxiv and entry_type == "misc":
        out["type"] = "article"  # CSL's type for preprints
    else:
        out["type"] = CSL_TYPES.get(entry_type, "document")
    if paper.title.strip():
        out["title"] = paper.title.strip()
    if paper.authors:
        out["author"] = [csl_name(n) for n in paper.authors if n.strip()]
    parts = date_parts(paper)
    if parts:
        out["issued"] = {"date-parts": [parts]}
    for field, variable in _TEXT_VARIABLES.items():
        # An arXiv preprint's "number" is its arXiv id (Zotero), not an issue.
        if field in extra and variable not in out and not (arxiv and field == "number"):
            out[variable] = extra[field]
    if arxiv and out["type"] == "article":
        out["publisher"] = "arXiv"
        out["number"] = f"arXiv:{arxiv}"
    url = own_url(paper)  # a GitHub or publisher URL is kept; the arXiv page only stands in for none
    if url or arxiv:
        out["URL"] = url or f"https://arxiv.org/abs/{arxiv}"
    if extra.get("doi"):
        out["DOI"] = extra["doi"]
    if abstract and paper.abstract.strip():
        out["abstract"] = paper.abstract.strip()
    if paper.tags:
        out["keyword"] = ", ".join(paper.tags)
    note = extra.get("note") or sighting_note(paper)
    if note:
        out["note"] = note
    if notes:
        texts = [n.text.strip() for n in paper.notes if n.text.strip()]
        if texts:
            out["annote"] = "\n\n".join(texts)
    return out


def csl_name(name: str) -> dict[str, str]:
    """``{"family", "given"}`` for a person, ``{"literal"}`` for an organisation."""
    name = " ".join(name.split())
    if literal_name(name) is not None:
        return {"literal": literal_name(name) or name}
    if is_organisation(name) and "," not in name:
        return {"literal": name}
    family, suffix, given = split_name(name)
    out = {"family": family}
    if given:
        out["given"] = given
    if suffix:
        out["suffix"] = suffix
    return out


# json.dumps escapes C0 controls but writes DEL, C1 controls (CSI acts on a
# terminal) and bidi overrides as they are: escape them too, which keeps them.
_CONTROLS_RE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape_controls(text: str) -> str:
    return _CONTROLS_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
