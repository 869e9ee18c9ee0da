"""Paper objects for the export tests: a hostile set and a generator.

Built directly as :class:`Paper` (the Library that normally makes them is
tested elsewhere).
"""

from __future__ import annotations

import datetime as dt
import random

from papershelf.core.records import Note, Paper, PaperRecord, Sighting

ADDED = dt.datetime(2025, 9, 12, 8, 30)


def make_paper(**overrides) -> Paper:
    """A plain arXiv paper; any field can be overridden."""
    values = dict(
        id=1,
        title="Attention Is All You Need",
        abstract="We propose a new architecture.",
        authors=["Ashish Vaswani", "Noam Shazeer"],
        arxiv_id="1706.03762",
        url=None,
        code_urls=[],
        project_url=None,
        published=dt.date(2017, 6, 12),
        added_at=ADDED,
        status="unread",
        read_at=None,
        priority=0,
        citation_key="vaswani2017attention",
        entry_type="misc",
        primary_class="cs.CL",
        extra_fields={},
        tags=[],
        lists=[],
        notes=[],
        sightings=[],
    )
    values.update(overrides)
    return Paper(**values)


def paper_from_record(record: PaperRecord, paper_id: int = 1) -> Paper:
    """The Paper the library would make of an imported record (no notes, no sightings)."""
    return make_paper(
        id=paper_id,
        title=record.title,
        abstract=record.abstract,
        authors=record.authors,
        arxiv_id=record.arxiv_id,
        url=record.url,
        published=record.published,
        citation_key=record.citation_key or "",
        entry_type=record.entry_type,
        primary_class=record.primary_class,
        extra_fields=record.extra_fields,
        tags=record.tags,
    )


def note(text: str, paper_id: int = 1) -> Note:
    return Note(id=1, paper_id=paper_id, text=text, created=ADDED, updated=ADDED)


def hf_sighting(day: int, position: int = 1) -> Sighting:
    return Sighting(source="hf-daily", listing_date=dt.date(2025, 9, day), position=position)


SPECIALS = r"\ { } & % # _ $ ^ ~"


def hostile_papers() -> list[Paper]:
    """Papers whose text tries everything that could break a .bib file."""
    papers = [
        make_paper(
            title=r"50% of $x^2$ & #1 _under_ {braces} \backslash ~tilde^caret " + SPECIALS,
            abstract="All specials: " + SPECIALS + "\n\nSecond paragraph after a blank line.\r\n\ttabbed",
            citation_key="specials2025",
            tags=["c++", "50%", "a_b", "x#y", "{tag}"],
            notes=[note("A note with $ & % # _ { } \\ ~ ^\n\nand a second paragraph")],
            sightings=[hf_sighting(12, 3), hf_sighting(11, 7)],
        ),
        make_paper(
            title=r"\input{/etc/passwd} \write18{rm -rf /} \def\x{} \end{document} \catcode`\@=11",
            abstract=r"\immediate\write18{curl evil} \csname foo\endcsname \\ \newline",
            authors=[r"\input{x} Evil", r"Robert \relax Tables"],
            citation_key="commands2025",
        ),
        make_paper(
            title='<img src=x onerror=alert(1)> <script>alert("x")</script> &amp; &lt;b&gt;',
            abstract="<p>HTML <b>bold</b> &nbsp; text</p>",
            citation_key="html2025",
        ),
        make_paper(
            title="Broken {title with }} unbalanced {{ braces } and \\",
            abstract="}{ starts closed, ends open {",
            authors=["Brace {Man", "Close} Woman"],
            citation_key="braces2025",
        ),
        make_paper(
            title="Müller–Łukasz Gauß Martínez Nguyễn Trần Đặng Phạm Lǚ Søren Ærø Œuvre İstanbul ı ș ț",
            authors=[
                "Jörg Müller",
                "Łukasz Kaiser",
                "José Martínez",
                "Nguyễn Văn An",
                "Ayşe Yılmaz",
                "Søren Kierkegaard",
                "Đặng Thị Hoa",
                "Ludwig van Beethoven",
                "Jan van der Berg",
                "Maria de la Cruz",
                "Phạm Ngọc Thạch",
                "Lǚ Xùn",
                "Ștefan Țurcanu",
                "Håkan Åström",
                "Íñigo Ëvïl",
                "Ørjan Ødegård",
                "Ľudovít Štúr",
                "Zoë Brontë-Œ",
            ],
            citation_key="accents2025",
            primary_class="cs.CL",
        ),
        make_paper(
            title="Σ-Net: ≤ 2× Faster α-β Pruning in O(n²) with √ε ≈ ∞ → ∂ ∇ ∑ ∫ ≠ ± and H₂O",
            authors=["Σωκράτης Παπαδόπουλος", "Αλέξανδρος Ρήγας"],
            abstract="μ-law, λ-calculus, Ω(n log n), ℓ₂ norms, ∀x ∃y, 10⁻³ error",
            citation_key="greek2025",
        ),
        make_paper(
            title="DocThinker: Teaching MLLMs with RLHF to Beat GPT-4o on 3D ImageNet-A, Part II",
            citation_key="caps2025",
            tags=["multimodal", "RLHF"],
            sightings=[hf_sighting(11, 1)],
        ),
        make_paper(
            title="Emoji 😀 CJK 中文 한국어 RTL עברית العربية Devanagari हिन्दी zero\u200bwidth soft\u00adhyphen",
            authors=["张伟", "Wei Zhang (张伟)", "Ａｌｉｃｅ Ｆｕｌｌｗｉｄｔｈ"],
            citation_key="scripts2025",
        ),
        make_paper(
            title="Control \x00\x07\x1b\x7f characters and\u2028line\u2029separators",
            abstract="Null \x00 and bell \x07",
            citation_key="control2025",
        ),
        make_paper(
            title="Organisations as Authors",
            authors=[
                "OpenAI Team",
                "The CMS Collaboration",
                "Google DeepMind",
                "Meta AI",
                "Johnson and Johnson",
                "A Very Long Name With Many Words Here",
                "Qingyao Ai",
            ],
            citation_key="orgs2025",
        ),
        make_paper(
            title="Names in Every Form",
            authors=[
                "Smith, John",
                "Reagle, Jr., Joseph M.",
                "van den Huevel, Jr., Johan A",
                "Joseph M. Reagle Jr.",
                "Plato",
                "a, b, c, d, e",
                "others",
            ],
            citation_key="names2025",
        ),
        make_paper(
            title="A Paper Without Authors",
            authors=[],
            citation_key="noauthors2025",
        ),
        make_paper(
            title="A Website with a Hostile URL",
            authors=["Web Master"],
            arxiv_id=None,
            primary_class=None,
            url='https://example.org/a b/{x}/ü\\y?q=50%&r=100%25#frag_1"',
            citation_key="url2025",
        ),
        make_paper(
            title="A Plain Website",
            authors=["Web Master"],
            arxiv_id=None,
            primary_class=None,
            url="https://example.org/papers/plain-page",
            published=None,
            citation_key="website",
        ),
        make_paper(
            title="Journal Article with Tool Fields",
            arxiv_id=None,
            primary_class=None,
            entry_type="article",
            citation_key="article2024",
            published=dt.date(2024, 3, 1),
            extra_fields={
                "journal": "Journal of Things & Stuff",
                "volume": "12",
                "number": "3",
                "pages": "100--120",
                "doi": "10.1002/(SICI)1097-4636(199706)35:4<409::AID-JBM1>3.0.CO;2-#",
                "publisher": "ACM",
                "groups": "Reading",
                "timestamp": "2024-01-01",
                "file": ":/home/me/paper.pdf:PDF",
                "owner": "me",
                "urldate": "2024-05-05",
                "bdsk-url-1": "http://example.org",
                "year": "2024",
                "month": "3",
            },
        ),
        make_paper(
            title="Old arXiv Id and No Date",
            arxiv_id="hep-th/9901001v2",
            primary_class="hep-th",
            published=None,
            citation_key="oldarxiv",
        ),
        make_paper(
            title="Version Suffix",
            arxiv_id="2509.01234v3",
            primary_class=None,
            published=None,
            citation_key="",
            authors=["Jan van der Berg"],
        ),
        make_paper(
            title="iPhone and eBay: lowercase first letters",
            citation_key="iphone2025",
            abstract="",
        ),
        make_paper(title="x" * 3000 + " Long", citation_key="long2025"),
    ]
    # Two papers whose keys collide: the same stored key, and keys made from the same data.
    twin = dict(title="Scaling Laws Revisited", authors=["Jane Smith"], published=dt.date(2024, 1, 2))
    papers += [
        make_paper(citation_key="smith2024scaling", **twin),
        make_paper(citation_key="smith2024scaling", **twin),
        make_paper(citation_key="SMITH2024SCALING", **twin),
        make_paper(citation_key="", **twin),
        make_paper(citation_key="not a valid key{", **twin),
    ]
    return [_renumber(p, i) for i, p in enumerate(papers, 1)]


def _renumber(paper: Paper, i: int) -> Paper:
    paper.id = i
    return paper


_WORDS = (
    "learning deep neural model transformer attention graph diffusion agent reasoning "
    "language vision robust efficient sparse scaling benchmark dataset alignment"
).split()
_CAPS = ["LLM", "GPT-4o", "RLHF", "ViT", "BERT", "DocThinker", "MoE", "3D", "LoRA", "ImageNet"]
_FIRST = ["Jörg", "Ana", "Wei", "Łukasz", "Søren", "María", "Nguyễn", "Ayşe", "John", "Zoë", "Σοφία"]
_LAST = ["Müller", "Smith", "Zhang", "Kowalski", "van der Berg", "García", "Trần", "Yılmaz", "O'Neil", "de la Cruz"]
# plainnat labels same-author-same-year papers a..z and breaks after 26: vary both.
_LAST_SUFFIX = ["", "son", "ski", "er", "ová", "ez", "a", "i", "sen", "ström", "ić", "escu"]
_NASTY = ["&", "%", "#", "_", "$", "^", "~", "{", "}", "\\", "<b>", "≤", "α", "😀", "“quoted”", "—"]


def generated_papers(count: int, seed: int = 7) -> list[Paper]:
    """``count`` varied papers, deterministic for a given seed."""
    rng = random.Random(seed)
    papers = []
    for i in range(1, count + 1):
        words = rng.sample(_WORDS, 5) + [rng.choice(_CAPS)]
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), rng.choice(_NASTY))
        rng.shuffle(words)
        title = " ".join(words).capitalize()
        authors = [
            f"{rng.choice(_FIRST)} {rng.choice(_LAST)}{rng.choice(_LAST_SUFFIX)}" for _ in range(rng.randint(0, 6))
        ]
        arxiv = rng.random() < 0.8
        papers.append(
            make_paper(
                id=i,
                title=title,
                abstract=" ".join(rng.choice(_WORDS + _NASTY) for _ in range(40)),
                authors=authors,
                arxiv_id=f"25{rng.randint(1, 12):02d}.{rng.randint(0, 99999):05d}" if arxiv else None,
                url=None if arxiv else f"https://example.org/p/{i}?a=1&b={rng.choice(['x_y', '50%', 'z'])}",
                primary_class=rng.choice(["cs.CL", "cs.LG", None]) if arxiv else None,
                # Without a date only when the arXiv id gives year and month.
                published=None
                if arxiv and rng.random() < 0.2
                else dt.date(rng.randint(2015, 2025), rng.randint(1, 12), rng.randint(1, 28)),
                citation_key="",
                tags=rng.sample(_WORDS, rng.randint(0, 3)),
                sightings=[hf_sighting(rng.randint(1, 30))] if rng.random() < 0.5 else [],
            )
        )
    return papers
