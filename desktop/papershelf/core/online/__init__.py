"""Papershelf online: the only code that contacts the network, and only when asked.

What is sent where:

- ``papershelf fetch`` (File ▸ Fetch Daily Papers) asks the Hugging Face daily
  papers API for one listing per day: ``GET {HF_ENDPOINT}/api/daily_papers?date=YYYY-MM-DD&limit=100``
  (``HF_ENDPOINT`` defaults to ``https://huggingface.co``);
- ``papershelf enrich`` (and ``fetch`` unless ``--no-enrich``) asks the arXiv API
  about papers by their arXiv ids, at most 100 ids per request and one request
  every 3 seconds: ``GET {PAPERSHELF_ARXIV_API}?id_list=…`` (default
  ``https://export.arxiv.org/api/query``); papers without an arXiv id are
  matched against their own day's listing (one request per day).

Each request carries a User-Agent naming Papershelf and its version, and
nothing else about the user or the library: no titles, notes or tags.
Responses are cached (ETag, Last-Modified) in the user cache folder.

Modules: :mod:`.http` (the client: timeouts, proxies, OS trust store, rate
limits, Retry-After, cache), :mod:`.daily` and :mod:`.arxiv` (the two APIs),
:mod:`.fetching` (what ``fetch`` and ``enrich`` do with them).
"""
