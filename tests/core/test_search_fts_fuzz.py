"""Whatever a user types into the search field runs: FTS5 never sees raw syntax."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papershelf.core.search import QueryError


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    query=st.lists(
        st.sampled_from(list("ab -\"*:()^{}'+.") + ["tag:", "AND", "OR", "NOT", "NEAR", "é"]), max_size=15
    ).map("".join)
)
def test_typed_queries_never_crash(library, query):
    try:
        library.search_ids(query)
    except QueryError:
        pass
