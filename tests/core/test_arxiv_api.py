"""The arXiv API module: parsing real recorded Atom feeds, refusing bad XML, and batched requests to a local server.

The recorded feeds are the files of tests/fixtures/online/ (sources in SOURCES.md there); a test that needs
one is skipped, saying so, while the file is not in the tree. The expected values below were read off the
files by hand.
"""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from papershelf.core.online import arxiv
from papershelf.core.online.arxiv import ArxivEntry
from papershelf.core.online.http import Client, NetworkError
from tests.conftest import FIXTURES
from tests.online_server import FakeTime, OnlineServer, Reply, Request, online_server_fixture  # noqa: F401

RECORDED = FIXTURES / "online"
URL = "https://export.arxiv.org/api/query?id_list=x&max_results=1"


def recorded(name: str) -> bytes:
    path = RECORDED / name
    if not path.is_file():
        pytest.skip(f"the recorded response {name} is not in tests/fixtures/online/ yet (see SOURCES.md there)")
    return path.read_bytes()


def parse(name: str) -> tuple[list[ArxivEntry], list[str]]:
    return arxiv.parse_feed(recorded(name), URL)


def only(name: str) -> ArxivEntry:
    entries, errors = parse(name)
    assert errors == []
    [entry] = entries
    return entry


def failure(body: bytes, url: str = URL) -> str:
    """The one-line message parse_feed raises for body."""
    with pytest.raises(NetworkError) as caught:
        arxiv.parse_feed(body, url)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{url}: malformed Atom: "), message
    return message


# -- recorded feeds, every field -----------------------------------------------------------------------------------


def test_old_format_entry_with_doi_and_journal_reference():
    # Namespaces declared on each element, title and abstract hard-wrapped, abstract indented by two spaces.
    entry = only("arxiv-2016-id-1111.2011v2.xml")
    assert entry.arxiv_id == "1111.2011"
    assert entry.version == 2
    assert entry.title == ("Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit")
    assert entry.summary.startswith(
        "Theoretical description of anisotropic systems, such as layered superconductors and coupled spin"
        " chains, is often a challenge"
    )
    assert entry.summary.endswith(
        "is similar to adding a single extra dimension to the theory describing a single node."
    )
    assert 'study of d-dimensional "nodes" arranged as the vertices' in entry.summary
    assert entry.authors == ("James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic")
    assert entry.published == dt.date(2011, 11, 8)
    assert entry.updated == dt.date(2012, 4, 2)
    assert entry.primary_category == "cond-mat.str-el"
    assert entry.categories == ("cond-mat.str-el", "cond-mat.stat-mech")
    assert entry.doi == "10.1103/PhysRevB.85.115117"
    assert entry.journal_ref == "Phys. Rev. B 85, 115117 (2012)"
    assert entry.comment == "8 pages, 3 figures. Published version"


def test_new_format_old_style_id_with_affiliations_and_entities():
    entry = only("arxiv-2026-id-astro-ph-0601001-affiliations.xml")
    assert entry.arxiv_id == "astro-ph/0601001"
    assert entry.version == 1
    assert entry.title == (
        "Frequency of Hot Jupiters and Very Hot Jupiters from the OGLE-III Transit Surveys Toward the Galactic"
        " Bulge and Carina"
    )
    assert entry.summary.startswith("We derive the frequencies of hot Jupiters (HJs) with 3--5 day periods")
    assert "following Gould & Morgan (2003) by populating" in entry.summary  # &amp;
    assert "spectroscopic-followup limit of V_max<17.5. Hence" in entry.summary  # &lt;
    assert entry.summary.endswith("but there are too few in the sample to map this distribution in detail.")
    # The affiliations are not part of the names.
    assert entry.authors == ("Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski")
    assert entry.published == dt.date(2006, 1, 2)
    assert entry.updated == dt.date(2006, 1, 2)
    assert entry.primary_category == "astro-ph"
    assert entry.categories == ("astro-ph",)
    assert entry.doi is None
    assert entry.journal_ref == "ActaAstron.56:1-50,2006"
    assert entry.comment == (
        "62 pages including 16 figures and 9 tables. Submitted to Acta Astronomica. Full resolution version at"
        " http://www.astronomy.ohio-state.edu/~gould/ogle_hot_jupiters.ps.gz"
    )


def test_wrapped_comment_latex_abstract_and_msc_class_left_out_of_the_categories():
    entry = only("arxiv-2025-08-id-2206.06921.xml")
    assert entry.arxiv_id == "2206.06921"
    assert entry.version == 3
    assert entry.title == "Attainable forms of Assouad spectra"
    assert entry.summary.startswith(r"Let $d\in\mathbb{N}$ and let $\varphi\colon(0,1)\to[0,d]$. We prove")
    assert r"for every $0<\lambda<\theta<1$, \[0\leq (1-\lambda)\varphi(\lambda)" in entry.summary
    assert entry.authors == ("Alex Rutar",)
    assert entry.published == dt.date(2022, 6, 14)
    assert entry.updated == dt.date(2024, 8, 12)
    assert entry.primary_category == "math.CA"
    # The feed's fourth <category> is the MSC class "28A80 (Primary) 39B62 (Secondary)".
    assert entry.categories == ("math.CA", "math.DS", "math.MG")
    assert entry.doi == "10.1512/iumj.2024.73.9928"
    assert entry.journal_ref == "Indiana Univ. Math. J. 73 (2024), 1331-1356"
    assert entry.comment == (
        "25 pages, 5 figures. v3: Many typo fixes and substantially improved exposition, especially in"
        " non-monotonic construction. Some numbering changes from v2. Results unchanged"
    )


def test_the_manual_example_with_an_id_without_version():
    entry = only("arxiv-manual-example-typical-response.xml")
    assert entry.arxiv_id == "hep-ex/0307015"
    assert entry.version is None
    assert entry.title == "Multi-Electron Production at High Transverse Momenta in ep Collisions at HERA"
    assert entry.authors == ("H1 Collaboration",)
    assert entry.published == entry.updated == dt.date(2003, 7, 7)  # "2003-07-07T13:46:39-04:00"
    assert entry.primary_category == "hep-ex"
    assert entry.categories == ("hep-ex",)
    assert entry.doi is None
    assert entry.journal_ref == "Eur.Phys.J. C31 (2003) 17-29"
    assert entry.comment == "23 pages, 8 figures and 4 tables"


def test_a_title_that_is_a_number_and_a_paper_without_comment():
    entry = only("arxiv-2026-id-2104.12255v1-title-0.xml")
    assert (entry.arxiv_id, entry.version, entry.title) == ("2104.12255", 1, "0")
    assert entry.authors == ("Quan Thoi Minh Nguyen",)
    assert entry.comment is None and entry.doi is None and entry.journal_ref is None
    assert entry.categories == ("cs.CR",)


def test_many_authors_and_a_non_ascii_name():
    entries, errors = parse("arxiv-2026-id-list-one-missing.xml")
    assert errors == []
    [entry] = entries
    assert entry.arxiv_id == "1707.08567"
    assert len(entry.authors) == 34
    assert entry.authors[0] == "Kees A. Schouhamer Immink"
    assert "Dirk Wübben" in entry.authors
    assert entry.authors[-1] == "Hirosuke Yamamoto"


def test_every_entry_of_a_search_answer_is_clean():
    entries, errors = parse("arxiv-2026-search-testing-10.xml")
    assert errors == [] and len(entries) == 10
    for entry in entries:
        assert re.fullmatch(r"\d{4}\.\d{4,5}", entry.arxiv_id), entry.arxiv_id
        assert entry.version is not None and 1 <= entry.version <= 3
        for text in (entry.title, entry.summary, entry.journal_ref or "x", entry.comment or "x"):
            assert text and text == " ".join(text.split()), text
        assert entry.authors and all(name == name.strip() for name in entry.authors)
        assert entry.primary_category in entry.categories
        assert entry.published is not None and entry.updated is not None and entry.published <= entry.updated
    assert sum(e.doi is not None for e in entries) == 6
    assert sum(e.journal_ref is not None for e in entries) == 6
    first = entries[0]
    assert first.arxiv_id == "2202.12139"
    assert first.title == "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques"
    assert first.authors == ("Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker")
    assert first.doi == "10.1109/ICSTW55395.2022.00035"
    assert first.categories == ("cs.SE", "cs.LG")


def test_unknown_ids_in_the_old_api_are_empty_entries_and_are_skipped():
    entries, errors = parse("arxiv-2025-08-id-list-missing-ids.xml")
    assert errors == []
    [entry] = entries
    assert entry.arxiv_id == "2201.13452"
    assert entry.title == "Asymptotic Analysis for a Nonlinear Reaction-Diffusion System Modeling an Infectious Disease"
    assert entry.categories == ("math.AP",)  # and the MSC class "35"
    assert entry.updated == dt.date(2022, 1, 31)


def test_unknown_ids_in_the_new_api_are_left_out():
    [entry] = parse("arxiv-2025-11-id-list-missing-ids.xml")[0]
    assert entry.arxiv_id == "2201.13452"
    assert entry.updated == dt.date(2022, 2, 1)
    assert parse("arxiv-2026-id-0000.0000-empty.xml") == ([], [])


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("arxiv-manual-example-error-response.xml", "arXiv: incorrect id format for 1234.12345"),
        ("arxiv-2026-id-abc-error-400.xml", "arXiv: incorrect id format for abc"),
    ],
)
def test_error_entries_are_reported_not_taken_for_papers(name, message):
    assert parse(name) == ([], [message])


# -- the same shapes, written out, for when the recorded files are not there -----------------------------------------

FEED = """<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom"
      xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/x</id>
  <title>arXiv Query: search_query=&amp;id_list={ids}</title>
  <opensearch:totalResults>{count}</opensearch:totalResults>
{entries}
</feed>
"""

ENTRY = """  <entry>
    <id>http://arxiv.org/abs/{arxiv_id}v{version}</id>
    <title>Paper {arxiv_id}: a title
  wrapped</title>
    <updated>2025-09-12T10:00:00Z</updated>
    <link href="https://arxiv.org/abs/{arxiv_id}v{version}" rel="alternate" type="text/html"/>
    <summary>  An abstract
hard-wrapped   at 80 columns.
</summary>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <published>2025-09-10T17:59:59Z</published>
    <arxiv:primary_category term="cs.LG"/>
    <author><name>Ada Lovelace</name></author>
    <author><name>  Alan M.
      Turing </name><arxiv:affiliation>Manchester</arxiv:affiliation></author>
  </entry>"""


def feed(*ids: str, version: int = 2) -> bytes:
    entries = "\n".join(ENTRY.format(arxiv_id=i, version=version) for i in ids)
    return FEED.format(ids=",".join(ids), count=len(ids), entries=entries).encode()


def test_written_out_feed():
    [entry], errors = arxiv.parse_feed(feed("2509.01234"), URL)
    assert errors == []
    assert entry == ArxivEntry(
        arxiv_id="2509.01234",
        version=2,
        title="Paper 2509.01234: a title wrapped",
        summary="An abstract hard-wrapped at 80 columns.",
        authors=("Ada Lovelace", "Alan M. Turing"),
        published=dt.date(2025, 9, 10),
        updated=dt.date(2025, 9, 12),
        primary_category="cs.LG",
        categories=("cs.LG", "cs.CL"),
        doi=None,
        journal_ref=None,
        comment=None,
    )


def test_written_out_error_entry_and_unexpected_id():
    body = FEED.format(
        ids="x",
        count=2,
        entries="""<entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_x</id><title>Error</title>
        <summary>incorrect id
          format for x</summary><author><name>arXiv api core</name></author></entry>
        <entry><id>https://example.org/something/else</id><title>Not a paper</title></entry>""",
    ).encode()
    assert arxiv.parse_feed(body, URL) == (
        [],
        [
            "arXiv: incorrect id format for x",
            "arXiv: skipped an entry with the unexpected id 'https://example.org/something/else'",
        ],
    )


# -- malformed and hostile XML -------------------------------------------------------------------------------------------


def test_truncated_feed():
    body = feed("2509.01234", "2509.01235")
    assert "no element found" in failure(body[: len(body) // 2]) or "unclosed" in failure(body[: len(body) // 2])


def test_truncated_recorded_feed():
    body = recorded("arxiv-2016-id-1111.2011v2.xml")
    failure(body[:2000])


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "no element found"),
        (b"Rate exceeded.", "syntax error"),
        (b'{"papers": []}', "not well-formed (invalid token)"),
        (b"<!DOCTYPE html>\n<html><body><h1>503 Service Unavailable</h1></body></html>", "got an HTML page"),
        (b"<html><body><p>Maintenance</body></html>", "mismatched tag"),
        (b"<html><body>Maintenance</body></html>", "the document is <html>, not an Atom <feed>"),
        (b'<rss version="2.0"><channel/></rss>', "the document is <rss>, not an Atom <feed>"),
        (b"<feed><entry/></feed>", "the document is <feed>, not an Atom <feed>"),  # no Atom namespace
        (b'<feed xmlns="http://www.w3.org/2005/Atom"><entry>', "no element found"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"></feed><feed/>', "junk after document element"),
    ],
)
def test_not_an_atom_feed(body, words):
    assert words in failure(body)


BILLION_LAUGHS = """<?xml version="1.0" encoding="{encoding}"?>
<!DOCTYPE feed [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2509.01234v1</id>
<title>&lol9;</title></entry></feed>
"""


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_billion_laughs_is_refused_before_expansion(encoding):
    body = BILLION_LAUGHS.format(encoding=encoding).encode(encoding)
    started = time.monotonic()
    assert failure(body).endswith("refused a document type declaration (DOCTYPE/ENTITY)")
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE feed [<!ENTITY passwd SYSTEM "file:///etc/passwd">]>',  # external entity
        '<!DOCTYPE feed SYSTEM "http://127.0.0.1:9/evil.dtd">',  # external DTD
        "<!DOCTYPE feed>",  # harmless, but never part of an arXiv answer
    ],
)
def test_any_document_type_declaration_is_refused(doctype):
    body = f'<?xml version="1.0"?>\n{doctype}\n<feed xmlns="http://www.w3.org/2005/Atom"><title>&passwd;</title></feed>'
    if "passwd" not in doctype:
        body = body.replace("&passwd;", "x")
    assert "refused a document type declaration" in failure(body.encode())


# -- ids and URLs ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "asked"),
    [
        ("2509.01234", "2509.01234"),
        ("2509.01234v2", "2509.01234"),
        ("arXiv:2509.01234v12", "2509.01234"),
        ("https://arxiv.org/abs/2509.01234v3", "2509.01234"),
        ("0704.0001", "0704.0001"),
        ("1412.9999", "1412.9999"),
        ("1501.00001", "1501.00001"),
        ("hep-th/9901001v1", "hep-th/9901001"),
        ("math.GT/0309136", "math/0309136"),
        ("cond-mat/0102536", "cond-mat/0102536"),
        # arXiv answers these with an error for the whole request:
        ("abc", None),
        ("1234.12345", None),  # 5 digits before 2015
        ("1501.0001", None),  # 4 digits after 2014
        ("2513.00001", None),  # month 13
        ("foo/0601001", None),  # no such archive
        ("hep-th/9913001", None),
        ("", None),
    ],
)
def test_request_id(given, asked):
    assert arxiv.request_id(given) == asked


def test_api_url_default_and_override(monkeypatch):
    monkeypatch.delenv("PAPERSHELF_ARXIV_API", raising=False)
    assert arxiv.api_url() == "https://export.arxiv.org/api/query"
    assert arxiv.min_interval() == {"export.arxiv.org": 3.0}
    monkeypatch.setenv("PAPERSHELF_ARXIV_API", "")
    assert arxiv.api_url() == "https://export.arxiv.org/api/query"
    monkeypatch.setenv("PAPERSHELF_ARXIV_API", " http://127.0.0.1:8080/mirror/api/query ")
    assert arxiv.api_url() == "http://127.0.0.1:8080/mirror/api/query"
    assert arxiv.min_interval() == {"127.0.0.1": 3.0}
    assert arxiv.query_url(["2509.01234", "hep-th/9901001"]) == (
        "http://127.0.0.1:8080/mirror/api/query?id_list=2509.01234,hep-th/9901001&max_results=2"
    )
    monkeypatch.setenv("PAPERSHELF_ARXIV_API", "http://127.0.0.1:8080/q?key=1")
    assert arxiv.query_url(["2509.01234"]) == "http://127.0.0.1:8080/q?key=1&id_list=2509.01234&max_results=1"


@pytest.mark.parametrize("value", ["export.arxiv.org/api/query", "ftp://export.arxiv.org/api/query", "http://"])
def test_api_url_that_is_not_http(monkeypatch, value):
    monkeypatch.setenv("PAPERSHELF_ARXIV_API", value)
    with pytest.raises(NetworkError) as caught:
        arxiv.api_url()
    assert str(caught.value) == f"{value}: PAPERSHELF_ARXIV_API is not an http(s) URL"


# -- fetch() against the local server ----------------------------------------------------------------------------------


def answer_ids(request: Request) -> Reply:
    """An Atom answer with an entry for each id asked for."""
    [ids] = request.params["id_list"]
    return Reply.atom(feed(*ids.split(",")))


@pytest.fixture
def api(online_server, monkeypatch):
    """The arXiv API at http://127.0.0.1:PORT/mirror/api/query (a base URL with a path)."""
    monkeypatch.setenv("PAPERSHELF_ARXIV_API", f"{online_server.url}/mirror/api/query")
    return online_server


def test_batches_of_100_ids_through_a_base_url_with_a_path(api):
    ids = [f"2509.{n:05d}" for n in range(1, 251)]
    api.add("/mirror/api/query", answer_ids)
    seen: list[tuple[int, int]] = []
    found, errors = arxiv.fetch(Client(), ids, progress=lambda done, total: seen.append((done, total)))
    assert errors == []
    assert [r.path for r in api.requests] == ["/mirror/api/query"] * 3
    assert [r.params["id_list"] for r in api.requests] == [
        [",".join(ids[0:100])],
        [",".join(ids[100:200])],
        [",".join(ids[200:250])],
    ]
    assert [r.params["max_results"] for r in api.requests] == [["100"], ["100"], ["50"]]
    assert "," in api.requests[0].query and "%2C" not in api.requests[0].query  # readable in logs
    assert list(found) == ids
    assert found["2509.00250"].title == "Paper 2509.00250: a title wrapped"
    assert seen == [(0, 250), (100, 250), (200, 250), (250, 250)]
    headers = api.requests[0].headers
    assert headers["User-Agent"].startswith("Papershelf/")
    assert "application/atom+xml" in headers["Accept"]


def test_requests_are_3_seconds_apart_on_the_clients_clock(api):
    fake = FakeTime()
    arrivals: list[float] = []

    def reply(request: Request) -> Reply:
        arrivals.append(fake.now)
        return answer_ids(request)

    api.add("/mirror/api/query", reply)
    client = Client(clock=fake.clock, sleep=fake.sleep, min_interval=arxiv.min_interval())
    started = time.monotonic()
    found, _ = arxiv.fetch(client, [f"2509.{n:05d}" for n in range(1, 302)])
    assert len(found) == 301 and len(arrivals) == 4
    assert [b - a for a, b in zip(arrivals, arrivals[1:])] == [3.0, 3.0, 3.0]
    assert time.monotonic() - started < 3  # nothing really slept


def test_versions_duplicates_old_ids_and_ids_that_are_not_arxiv_ids(api):
    api.add("/mirror/api/query", answer_ids)
    given = ["2509.01234v2", "arXiv:2509.01234", "abc", "math.GT/0309136v1", "1234.12345", "2509.01234v3"]
    found, errors = arxiv.fetch(Client(), given)
    # One request, each paper once, without versions; the ids that would fail the batch are not sent.
    assert api.paths() == ["/mirror/api/query?id_list=2509.01234,math/0309136&max_results=2"]
    # Keyed as the library keeps ids (normalize.arxiv_id): the subject class of an old id stays.
    assert sorted(found) == ["2509.01234", "math.gt/0309136"]
    assert found["math.gt/0309136"].arxiv_id == "math/0309136"
    assert errors == ["'abc' is not an arXiv id", "'1234.12345' is not an arXiv id"]


def test_no_ids_no_request(api):
    assert arxiv.fetch(Client(), []) == ({}, [])
    assert arxiv.fetch(Client(), ["not an id"]) == ({}, ["'not an id' is not an arXiv id"])
    assert api.requests == []


MISSING = ["2201.13455", "2201.13452", "2201.13453", "2201.13454"]


@pytest.mark.parametrize("name", ["arxiv-2025-08-id-list-missing-ids.xml", "arxiv-2025-11-id-list-missing-ids.xml"])
def test_recorded_answers_with_unknown_ids(api, name):
    # The old API put an empty entry in the place of each unknown id, the current one leaves them out.
    recorded(name)
    api.add(f"/mirror/api/query?id_list={','.join(MISSING)}&max_results=4", Reply.file(f"online/{name}"))
    found, errors = arxiv.fetch(Client(), MISSING)
    assert list(found) == ["2201.13452"]
    assert found["2201.13452"].authors == ("Hong-Ming Yin", "Jun Zou")
    assert errors == ["arXiv has no paper 2201.13455", "arXiv has no paper 2201.13453", "arXiv has no paper 2201.13454"]


def test_recorded_answer_with_an_unknown_id_arxiv_does_not_call_malformed(api):
    # The recorder asked for 0808.05394 too, which arXiv answered with nothing; 5 digits before 2015 are no id
    # (1234.12345 is arXiv's own example of a malformed id), so it is not sent at all.
    recorded("arxiv-2026-id-list-one-missing.xml")
    api.add(
        "/mirror/api/query?id_list=1707.08567&max_results=1", Reply.file("online/arxiv-2026-id-list-one-missing.xml")
    )
    found, errors = arxiv.fetch(Client(), ["0808.05394", "1707.08567"])
    assert list(found) == ["1707.08567"] and len(found["1707.08567"].authors) == 34
    assert errors == ["'0808.05394' is not an arXiv id"]


def test_recorded_answer_for_an_old_style_id(api):
    recorded("arxiv-2026-id-astro-ph-0601001-affiliations.xml")
    api.add(
        "/mirror/api/query?id_list=astro-ph/0601001&max_results=1",
        Reply.file("online/arxiv-2026-id-astro-ph-0601001-affiliations.xml"),
    )
    found, errors = arxiv.fetch(Client(), ["astro-ph/0601001v1"])
    assert errors == []
    assert found["astro-ph/0601001"].authors[0] == "Andrew Gould"


def test_an_error_entry_with_status_200_reports_the_message_not_every_id(api):
    body = FEED.format(
        ids="x",
        count=1,
        entries="<entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_2509.01234</id>"
        "<title>Error</title><summary>incorrect id format for 2509.01234</summary></entry>",
    )
    api.add("/mirror/api/query", Reply.atom(body))
    assert arxiv.fetch(Client(), ["2509.01234", "2509.01235"]) == ({}, ["arXiv: incorrect id format for 2509.01234"])


def test_the_error_answer_of_the_current_api_is_http_400(api):
    recorded("arxiv-2026-id-abc-error-400.xml")
    api.add("/mirror/api/query", Reply.file("online/arxiv-2026-id-abc-error-400.xml", status=400))
    url = f"{api.url}/mirror/api/query?id_list=2509.01234&max_results=1"
    with pytest.raises(NetworkError) as caught:
        arxiv.fetch(Client(), ["2509.01234"])
    assert str(caught.value) == f"{url}: HTTP 400 Bad Request"


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply.html(), "expected XML, got an HTML page"),
        (Reply(b"Rate exceeded.", content_type="text/plain"), "expected XML, got malformed XML"),
        (Reply.atom(feed("2509.01234")[:300]), "expected XML, got malformed XML"),
        (Reply.atom(BILLION_LAUGHS.format(encoding="utf-8")), "DOCTYPE or ENTITY"),
        (Reply.atom(b'<rss version="2.0"><channel/></rss>'), "malformed Atom: the document is <rss>"),
    ],
)
def test_a_bad_answer_is_one_line_naming_the_url(api, reply, reason):
    api.add("/mirror/api/query", reply)
    with pytest.raises(NetworkError) as caught:
        arxiv.fetch(Client(), ["2509.01234"])
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{api.url}/mirror/api/query?id_list=2509.01234&max_results=1: ")
    assert reason in message


def test_a_failing_second_batch_fails_the_whole_fetch(api):
    api.add("/mirror/api/query", [Reply.atom(feed(*[f"2509.{n:05d}" for n in range(1, 101)])), Reply.status_only(500)])
    with pytest.raises(NetworkError, match="HTTP 500"):
        arxiv.fetch(Client(), [f"2509.{n:05d}" for n in range(1, 151)])
    assert len(api.requests) == 2


def test_retry_after_is_honoured(api):
    fake = FakeTime()
    api.add("/mirror/api/query", [Reply.status_only(503, headers={"Retry-After": "7"}), Reply.atom(feed("2509.01234"))])
    client = Client(clock=fake.clock, sleep=fake.sleep, min_interval=arxiv.min_interval())
    found, errors = arxiv.fetch(client, ["2509.01234"])
    assert list(found) == ["2509.01234"] and errors == []
    assert sum(fake.sleeps) >= 7


def test_the_apps_clients_share_arxivs_spacing_with_other_processes(online_server, monkeypatch):
    """The app and a command at once (two clients, each its own memory) still ask the API once every 3 s."""
    from papershelf.core.online import fetching

    monkeypatch.setenv("PAPERSHELF_ARXIV_API", online_server.url + "/api/query")
    online_server.add("/api/query", [Reply(b"<feed/>"), Reply(b"<feed/>")])
    waits: list[float] = []
    first, second = fetching.client(sleep=waits.append), fetching.client(sleep=waits.append)
    first.get(online_server.url + "/api/query", expect="any")
    second.get(online_server.url + "/api/query", expect="any")
    assert len(waits) == 1 and 2.0 < waits[0] <= arxiv.MIN_INTERVAL
