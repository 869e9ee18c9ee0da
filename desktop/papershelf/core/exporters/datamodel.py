"""Which fields biblatex's data model allows for each entry type.

``biber --validate-datamodel`` warns about every field that is not listed
here, so the BibTeX exporter leaves such fields out (they are mostly tool
bookkeeping such as ``groups`` or ``bdsk-url-1``) unless asked for all fields.
Taken from biblatex 3.18's ``blx-dm.def``; the aliases are its BibTeX
source map (``biblatex.def``), which biber applies before validating.

``execute`` is in the data model, but its value is TeX code biblatex runs:
the exporter never writes it (``CODE_FIELDS`` in :mod:`.bibtex`).
"""

from __future__ import annotations

_GLOBAL = """
    abstract annotation authortype bookpagination crossref day doi endday endhour endminute
    endmonth endsecond endtimezone endyear endyeardivision entryset entrysubtype eprint
    eprintclass eprinttype execute file gender hour ids indexsorttitle indextitle isan ismn
    iswc keywords label langid langidopts library lista listb listc listd liste listf minute
    month namea nameaddon nameatype nameb namebtype namec namectype options origday
    origendday origendhour origendminute origendmonth origendsecond origendtimezone
    origendyear origendyeardivision orighour origlocation origminute origmonth origpublisher
    origsecond origtimezone origtitle origyear origyeardivision pagination presort related
    relatedoptions relatedstring relatedtype second shortauthor shorteditor shorthand
    shorthandintro shortjournal shortseries shorttitle sortkey sortname sortshorthand
    sorttitle sortyear timezone url urlday urlendday urlendhour urlendminute urlendmonth
    urlendsecond urlendtimezone urlendyear urlhour urlminute urlmonth urlsecond urltimezone
    urlyear usera userb userc userd usere userf verba verbb verbc xdata xref year
    yeardivision
"""

_BY_TYPE = {
    "article": """
        addendum annotator author commentator editor editora editoratype editorb editorbtype
        editorc editorctype editortype eid issn issue issuesubtitle issuetitle
        issuetitleaddon journalsubtitle journaltitle journaltitleaddon language note number
        origlanguage pages pubstate series subtitle title titleaddon translator version
        volume
    """,
    "bibnote": """
        note
    """,
    "book": """
        addendum afterword annotator author chapter commentator edition editor editora
        editoratype editorb editorbtype editorc editorctype editortype eid foreword
        introduction isbn language location mainsubtitle maintitle maintitleaddon note
        number origlanguage pages pagetotal part publisher pubstate series subtitle title
        titleaddon translator volume volumes
    """,
    "bookinbook inbook suppbook": """
        addendum afterword annotator author bookauthor booksubtitle booktitle booktitleaddon
        chapter commentator edition editor editora editoratype editorb editorbtype editorc
        editorctype editortype eid foreword introduction isbn language location mainsubtitle
        maintitle maintitleaddon note number origlanguage pages part publisher pubstate
        series subtitle title titleaddon translator volume volumes
    """,
    "booklet": """
        addendum author chapter editor editortype eid howpublished language location note
        pages pagetotal pubstate subtitle title titleaddon type
    """,
    "collection reference": """
        addendum afterword annotator chapter commentator edition editor editora editoratype
        editorb editorbtype editorc editorctype editortype eid foreword introduction isbn
        language location mainsubtitle maintitle maintitleaddon note number origlanguage
        pages pagetotal part publisher pubstate series subtitle title titleaddon translator
        volume volumes
    """,
    "dataset": """
        addendum author edition editor editortype language location note number organization
        publisher pubstate series subtitle title titleaddon type version
    """,
    "incollection inreference suppcollection": """
        addendum afterword annotator author booksubtitle booktitle booktitleaddon chapter
        commentator edition editor editora editoratype editorb editorbtype editorc
        editorctype editortype eid foreword introduction isbn language location mainsubtitle
        maintitle maintitleaddon note number origlanguage pages part publisher pubstate
        series subtitle title titleaddon translator volume volumes
    """,
    "inproceedings": """
        addendum author booksubtitle booktitle booktitleaddon chapter editor editortype eid
        eventday eventendday eventendhour eventendminute eventendmonth eventendsecond
        eventendtimezone eventendyear eventendyeardivision eventhour eventminute eventmonth
        eventsecond eventtimezone eventtitle eventtitleaddon eventyear eventyeardivision
        isbn language location mainsubtitle maintitle maintitleaddon note number
        organization pages part publisher pubstate series subtitle title titleaddon venue
        volume volumes
    """,
    "manual": """
        addendum author chapter edition editor editortype eid isbn language location note
        number organization pages pagetotal publisher pubstate series subtitle title
        titleaddon type version
    """,
    "misc software": """
        addendum author editor editortype howpublished language location note organization
        pubstate subtitle title titleaddon type version
    """,
    "mvcollection mvreference": """
        addendum afterword annotator author commentator edition editor editora editoratype
        editorb editorbtype editorc editorctype editortype foreword introduction isbn
        language location note number origlanguage publisher pubstate subtitle title
        titleaddon translator volume volumes
    """,
    "mvproceedings": """
        addendum editor editortype eventday eventendday eventendhour eventendminute
        eventendmonth eventendsecond eventendtimezone eventendyear eventendyeardivision
        eventhour eventminute eventmonth eventsecond eventtimezone eventtitle
        eventtitleaddon eventyear eventyeardivision isbn language location note number
        organization pagetotal publisher pubstate series subtitle title titleaddon venue
        volumes
    """,
    "mvbook": """
        addendum afterword annotator author commentator edition editor editora editoratype
        editorb editorbtype editorc editorctype editortype foreword introduction isbn
        language location note number origlanguage pagetotal publisher pubstate series
        subtitle title titleaddon translator volume volumes
    """,
    "online": """
        addendum author editor editortype language note organization pubstate subtitle title
        titleaddon version
    """,
    "patent": """
        addendum author holder location note number pubstate subtitle title titleaddon type
        version
    """,
    "periodical": """
        addendum editor editora editoratype editorb editorbtype editorc editorctype
        editortype issn issue issuesubtitle issuetitle issuetitleaddon language note number
        pubstate series subtitle title titleaddon volume yeardivision
    """,
    "proceedings": """
        addendum chapter editor editortype eid eventday eventendday eventendhour
        eventendminute eventendmonth eventendsecond eventendtimezone eventendyear
        eventendyeardivision eventhour eventminute eventmonth eventsecond eventtimezone
        eventtitle eventtitleaddon eventyear eventyeardivision isbn language location
        mainsubtitle maintitle maintitleaddon note number organization pages pagetotal part
        publisher pubstate series subtitle title titleaddon venue volume volumes
    """,
    "report": """
        addendum author chapter eid institution isrn language location note number pages
        pagetotal pubstate subtitle title titleaddon type version
    """,
    "set": """
        entryset
    """,
    "thesis": """
        addendum author chapter eid institution language location note pages pagetotal
        pubstate subtitle title titleaddon type
    """,
    "unpublished": """
        addendum author eventday eventendday eventendhour eventendminute eventendmonth
        eventendsecond eventendtimezone eventendyear eventendyeardivision eventhour
        eventminute eventmonth eventsecond eventtimezone eventtitle eventtitleaddon
        eventyear eventyeardivision howpublished language location note pubstate subtitle
        title titleaddon type venue
    """,
}

GLOBAL_FIELDS = frozenset(_GLOBAL.split())
#: entry type -> fields valid for it (including the global ones).
ENTRY_FIELDS: dict[str, frozenset[str]] = {
    entry_type: GLOBAL_FIELDS | frozenset(fields.split())
    for types, fields in _BY_TYPE.items()
    for entry_type in types.split()
}

#: BibTeX names biber maps to biblatex ones (only when the target is absent).
FIELD_ALIASES = {
    "address": "location",
    "school": "institution",
    "annote": "annotation",
    "archiveprefix": "eprinttype",
    "journal": "journaltitle",
    "primaryclass": "eprintclass",
    "key": "sortkey",
    "pdf": "file",
    "hyphenation": "langid",
}
#: BibTeX entry types biber maps to biblatex ones.
TYPE_ALIASES = {
    "conference": "inproceedings",
    "electronic": "online",
    "www": "online",
    "mastersthesis": "thesis",
    "phdthesis": "thesis",
    "techreport": "report",
}
#: The entry types of BibTeX's standard styles (plain, abbrv, alpha, plainnat).
BIBTEX_TYPES = frozenset(
    "article book booklet conference inbook incollection inproceedings manual "
    "mastersthesis misc phdthesis proceedings techreport unpublished".split()
)
# biblatex-only types -> the closest standard BibTeX type.
_TO_BIBTEX = {
    "report": "techreport",
    "collection": "book",
    "mvcollection": "book",
    "reference": "book",
    "mvreference": "book",
    "mvbook": "book",
    "bookinbook": "inbook",
    "suppbook": "inbook",
    "inreference": "incollection",
    "suppcollection": "incollection",
    "mvproceedings": "proceedings",
}


def biblatex_type(entry_type: str) -> str:
    """The biblatex type biber sees for ``entry_type`` (after its source map)."""
    entry_type = entry_type.lower()
    return TYPE_ALIASES.get(entry_type, entry_type)


def export_type(entry_type: str | None, *, bibtex: bool) -> str:
    """The entry type to write: the paper's own if the target knows it, else ``misc``.

    ``bibtex`` selects the standard BibTeX types (styles warn on others);
    otherwise any type of biblatex's data model is kept.
    """
    entry_type = (entry_type or "misc").lower()
    if bibtex:
        if entry_type in BIBTEX_TYPES:
            return entry_type
        if entry_type == "thesis":
            return "phdthesis"
        return _TO_BIBTEX.get(entry_type, "misc")
    return entry_type if biblatex_type(entry_type) in ENTRY_FIELDS else "misc"


def is_valid_field(entry_type: str, field: str) -> bool:
    """Whether biber accepts ``field`` (a BibTeX or biblatex name) on ``entry_type``."""
    allowed = ENTRY_FIELDS.get(biblatex_type(entry_type), GLOBAL_FIELDS)
    field = field.lower()
    return field in allowed or FIELD_ALIASES.get(field) in allowed
