"""`q=` through the search indexes (pg_trgm on PostgreSQL, FTS5 trigram on SQLite, and for one or two
characters each backend's table of grams): the same answers as the substring scan they replaced —
case-insensitive, Chinese by character, title, description or number.
The grams (both backends) and SQLite's trigram table are written behind the filing, and a search
scans the orders filed since they last caught up (`workorders.search_index`,
`workorders.services.search_grams`): the answers are the same before and after they catch up. A
phrase's matches are read by key when they are few and the list's index is walked when they are
many (`listing.FEW_MATCHES`): the answers and the pages are the same either way."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing, contextmanager
from datetime import UTC, date, datetime
from typing import Any

import httpx
import hypothesis
import pytest
from hypothesis import HealthCheck
from hypothesis import strategies as st
from sqlalchemy import event, or_, select, text
from sqlalchemy.engine import make_url

from tests.api.test_query_plans import COPIES, plan_nodes
from tests.conftest import Community, FileOrder
from workorders import search_index
from workorders.clock import ManualClock
from workorders.config import Settings
from workorders.db import Database, transaction
from workorders.models import WorkOrder
from workorders.services import listing, search_grams
from workorders.workers.runner import Workers, jobs

_LIST_INDEX = "ix_work_orders_property_id_created_at_id"
# What PostgreSQL's follower of the grams writes, for orders copied by SQL (`COPIES`: they have no
# `work_order.created` event, so the follower never meets them).
GRAMS_OF_COPIES = text(
    "INSERT INTO work_orders_grams (work_order_id, property_id, created_at, grams) "
    "SELECT id, property_id, created_at, work_order_grams(title, description, number) "
    "FROM work_orders WHERE id LIKE :copies"
)
# How the statement of a page begins: the rows walked, or the matches collected and read by key (the
# others ask how many, or where the grams stand).
PAGE = ("SELECT work_orders.", "SELECT first_rows.", "WITH matches ")


@pytest.fixture(params=["matches-read", "index-walked"])
def search_plan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The two plans of a search: the matches collected and read by key (every phrase here has few;
    PostgreSQL's bounded walk first meets none of them, and its short phrases are not few enough to
    skip that walk), or the property's orders walked in the list's order (no phrase has few
    enough, on SQLite no walk is long enough to read them instead, and PostgreSQL's walk has no
    bound: a page it fills is the answer)."""
    if request.param == "matches-read":
        monkeypatch.setattr(listing, "WALKED", 0)
        monkeypatch.setattr(listing, "FEW_MATCHES", -1)
    else:
        monkeypatch.setattr(listing, "FEW_MATCHES", -1)
        monkeypatch.setattr(listing, "MANY_MATCHES", -1)
        monkeypatch.setattr(listing, "WALK_PER_MATCH", 10**9)
        monkeypatch.setattr(listing, "WALKED", 10**9)
        monkeypatch.setattr(listing, "NEWEST_PER_PAGE", 0)


@contextmanager
def _sent(db: Database, beginning: tuple[str, ...]) -> Iterator[list[tuple[str, Any]]]:
    """The statements that begin so, sent on the reader engine within the block, each with its
    parameters."""
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith(beginning):
            sent.append((statement, parameters))

    event.listen(db.read_engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.read_engine.sync_engine, "before_cursor_execute", record)


@pytest.fixture
def page_statements(db: Database) -> Iterator[list[tuple[str, Any]]]:
    """The statements of list pages (`PAGE`) sent on the reader engine while the test runs."""
    with _sent(db, PAGE) as sent:
        yield sent


async def _explained(
    db: Database, sent: list[tuple[str, Any]], *, settings: tuple[str, ...] = ()
) -> list[Any]:
    """The plans of statements sent (`_sent`), run again with their parameters under EXPLAIN
    ANALYZE, with these settings (`SET …`) on the connection."""
    async with db.read_engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        for setting in settings:
            await raw.execute(f"SET {setting}")
        plans = [
            await raw.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", *parameters)
            for statement, parameters in sent
        ]
        await raw.execute("RESET ALL")
    return plans


def _handed(parameters: Any) -> int | None:
    """How many ids a page's statement was handed to read by key (None: no list of ids, the
    candidates themselves)."""
    lists = [len(p) for p in parameters if isinstance(p, list)]
    return max(lists) if lists else None


async def _page_through(
    client: httpx.AsyncClient, headers: dict[str, str], params: dict[str, Any]
) -> AsyncIterator[dict[str, Any]]:
    """Each page of `GET /v1/work-orders` with `params`, following its cursors to the end."""
    params = dict(params)
    while True:
        response = await client.get("/v1/work-orders", params=params, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        yield body
        if body["next_cursor"] is None:
            return
        params["cursor"] = body["next_cursor"]


async def _catch_up(settings: Settings, db: Database) -> None:
    """What SQLite's writers do after every `db.CHECKPOINT_EVERY`-th commit, or PostgreSQL's workers
    every `feed_poll_interval`, now."""
    if settings.database_url.startswith("sqlite"):
        connection = sqlite3.connect(
            make_url(settings.database_url).database or "", isolation_level=None
        )
        try:
            search_index.catch_up(connection)
        finally:
            connection.close()
        return
    async with transaction(db.writer) as session:
        await search_grams.catch_up(session, datetime.now(UTC))


@pytest.mark.usefixtures("search_plan")
async def test_q_finds_substrings_through_the_index(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    settings: Settings,
    db: Database,
) -> None:
    c = community
    await _catch_up(settings, db)  # the suite's earlier orders are in the index: these are not
    noise = await file_order(c.owner, "楼上装修噪音太大，晚上十点还在敲")
    leak = await file_order(c.owner, "Kitchen tap LEAKS under the sink", title="Tap leak")
    quoted = await file_order(c.owner, '门口贴了"温馨提示"的纸')
    fee = await file_order(c.owner, "水费多收了50%_请核实")

    async def search(q: str) -> list[str]:
        response = await client.get("/v1/work-orders", params={"q": q}, headers=c.manager.headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    expected = {
        "装修噪音": [noise["id"]],
        "点还在": [noise["id"]],
        "leaks UNDER": [leak["id"]],
        "tap lea": [leak["id"]],
        noise["number"][-8:]: [noise["id"]],
        '"温馨提示"': [quoted["id"]],
        "0%_请": [fee["id"]],
        "0_%": [],  # LIKE's wildcards are the characters themselves
        "没有这个词": [],
        # One or two characters: the table of grams.
        "噪音": [noise["id"]],
        "敲": [noise["id"]],
        "lE": [leak["id"]],
        "K": [leak["id"]],
        '"温': [quoted["id"]],
        "%_": [fee["id"]],
        "_%": [],
        "zz": [],
        "鑫": [],
        ":5": [],  # what SQL text would take for a parameter
        "\\%": [],
    }
    assert {q: await search(q) for q in expected} == expected
    await _catch_up(settings, db)
    assert {q: await search(q) for q in expected} == expected
    # Owners still see only their own orders.
    theirs = await client.get(
        "/v1/work-orders", params={"q": "装修噪音"}, headers=c.neighbour.headers
    )
    assert theirs.json()["items"] == []


@pytest.mark.usefixtures("search_plan")
async def test_an_order_whose_text_changed_is_found_by_its_new_text(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    settings: Settings,
    db: Database,
) -> None:
    """Nothing in the service changes an order's text, but whoever does (an operator's UPDATE) does
    not mislead a search: SQLite's grams table keeps the old text of an order it had indexed, and
    gets the new one at its next catch-up; until then the order is scanned."""
    c = community
    order = await file_order(c.owner, "地下车库的排风扇一直在响")
    await _catch_up(settings, db)
    async with db.write_engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE work_orders SET title = '电梯', description = '电梯按钮失灵' WHERE id = :id"
            ),
            {"id": order["id"]},
        )

    async def search(q: str) -> list[str]:
        response = await client.get("/v1/work-orders", params={"q": q}, headers=c.manager.headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    expected = {
        "按钮": [order["id"]],
        "失": [order["id"]],
        "风扇": [],
        "库": [],
        "按钮失灵": [order["id"]],
    }
    assert {q: await search(q) for q in expected} == expected
    await _catch_up(settings, db)
    assert {q: await search(q) for q in expected} == expected


@pytest.mark.usefixtures("search_plan")
async def test_a_search_pages_through_its_matches_in_the_list_order(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    settings: Settings,
    db: Database,
) -> None:
    c = community
    await file_order(c.owner, "电梯里有异响，别的都正常")  # noise, not a match
    filed = [await file_order(c.owner, f"{n}号楼电梯异响，很吓人") for n in range(3)]
    await _catch_up(settings, db)  # three matches in the index, two above the mark
    filed += [await file_order(c.neighbour, f"{n}号楼电梯异响，很吓人") for n in range(3, 5)]

    async def pages(sort: str) -> list[str]:
        seen: list[str] = []
        params = {"q": "梯异响，很", "sort": sort, "limit": 2}
        async for body in _page_through(client, c.manager.headers, params):
            assert len(body["items"]) <= 2
            seen += [item["id"] for item in body["items"]]
        return seen

    oldest = [o["id"] for o in sorted(filed, key=lambda o: (o["created_at"], o["id"]))]
    assert await pages("created_at") == oldest
    assert await pages("-created_at") == oldest[::-1]
    assert sorted(await pages("priority")) == sorted(oldest)


# The plans of a search, by the bounds that choose between them (`listing`): as they are; the
# matches collected or read among the newest candidates; walks and newest candidates so short that
# every fallback runs; the walk alone.
_PLANS: dict[str, dict[str, int]] = {
    "as-set": {},
    "collected": {"WALKED": 0, "FEW_MATCHES": -1},
    "fallbacks": {"WALKED": 1, "NEWEST_PER_PAGE": 1, "FEW_MATCHES": -1, "WALK_PER_MATCH": 1},
    "walked": {
        "WALKED": 10**9,
        "NEWEST_PER_PAGE": 0,
        "FEW_MATCHES": -1,
        "MANY_MATCHES": -1,
        "WALK_PER_MATCH": 10**9,
    },
}


async def test_every_plan_pages_through_the_matches_a_scan_finds(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    settings: Settings,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Old, clumped, spread, newest and absent phrases of one to four characters, some orders
    indexed and some filed since, in each sort, pages of 2 and 5, with and without a filter: every
    plan pages through exactly the orders, in exactly the order, of the ILIKE scan."""
    c = community
    for i in range(12):
        await file_order(c.owner, f"古老的水管漏水了，第{i}次")
    for i in range(12):
        await file_order(c.owner, f"电梯异响{i}，门口有水")
    await _catch_up(settings, db)  # the rest are filed since the grams caught up
    for i in range(8):
        await file_order(c.neighbour, f"新的门禁坏了{i}，Door BROKEN")
    orders = WorkOrder.__table__

    async def scanned(q: str, sort: str, queue: str | None) -> list[str]:
        pattern = listing._like_pattern(q)
        columns = listing.ORDERINGS[listing.Sort(sort)].order_by
        query = (
            select(orders.c.id)
            .where(
                orders.c.property_id == "default",
                or_(*(orders.c[f].ilike(pattern, escape="\\") for f in listing.SEARCHED)),
            )
            .order_by(*columns)
        )
        if queue is not None:
            query = query.where(orders.c.queue == queue)
        async with db.read_engine.connect() as connection:
            return list((await connection.execute(query)).scalars())

    async def paged(q: str, sort: str, limit: int, queue: str | None) -> list[str]:
        seen: list[str] = []
        params: dict[str, Any] = {"q": q, "sort": sort, "limit": limit}
        if queue is not None:
            params["queue"] = queue
        async for body in _page_through(client, c.manager.headers, params):
            assert len(body["items"]) <= limit
            seen += [item["id"] for item in body["items"]]
        return seen

    queue = (await scanned("电梯", "-created_at", None))[:1]
    async with db.read_engine.connect() as connection:
        routed = (
            await connection.execute(select(orders.c.queue).where(orders.c.id.in_(queue)))
        ).scalar_one()
    phrases = ["古老", "水", "门禁坏了", "老的水管", "zz", "异响1", "door b"]
    expected = {
        (q, sort, queue): await scanned(q, sort, queue)
        for q in phrases
        for sort in ("-created_at", "created_at", "priority")
        for queue in (None, routed)
    }
    assert len(expected[("水", "-created_at", None)]) == 24
    for plan, bounds in _PLANS.items():
        with monkeypatch.context() as patched:
            for name, value in bounds.items():
                patched.setattr(listing, name, value)
            for (q, sort, queue), want in expected.items():
                for limit in (2, 5):
                    assert await paged(q, sort, limit, queue) == want, (plan, q, sort, limit, queue)


@pytest.mark.parametrize(
    ("q", "index"), [("排风扇", "work_orders_search"), ("风扇", "work_orders_grams")]
)
async def test_sqlite_reads_few_matches_by_rowid_and_walks_the_index_for_many(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    settings: Settings,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    q: str,
    index: str,
    page_statements: list[tuple[str, Any]],
) -> None:
    """The plans SQLite makes of the list's own statement: the hint (`NOT INDEXED`) reaches it. One
    owner's orders are walked by their owner's index whatever the matches. A phrase of three
    characters or more is looked up in the trigram table, a shorter one in the grams table; the
    walk checks the many matches of a short one by LIKE, not against the index. Many matches are
    read by rowid all the same when a page of them is far behind the newest orders
    (`WALK_PER_MATCH`)."""
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("a SQLite plan")
    c = community
    await file_order(c.owner, "地下车库的排风扇一直在响")
    await _catch_up(settings, db)

    async def plan(headers: dict[str, str], **params: str) -> str:
        response = await client.get("/v1/work-orders", params={"q": q, **params}, headers=headers)
        assert len(response.json()["items"]) == 1
        statement, parameters = page_statements.pop()
        database = sqlite3.connect(make_url(settings.database_url).database or "")
        try:
            rows = database.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
        finally:
            database.close()
        return "\n".join(row[-1] for row in rows)

    few = await plan(c.manager.headers)
    owners = await plan(c.owner.headers)
    one_owners = await plan(c.manager.headers, owner_id=c.owner.id)
    monkeypatch.setattr(listing, "FEW_MATCHES", 0)
    many = await plan(c.manager.headers)
    # A page of one, its last match the older of two, four orders behind the newest.
    await file_order(c.owner, "地下车库的排风扇一直在响")
    for _ in range(3):
        await file_order(c.owner, "楼道灯不亮")
    await _catch_up(settings, db)
    many_but_old = await plan(c.manager.headers, limit="1")
    sooner = await plan(c.manager.headers, limit="1", sort="priority")
    walk = "SEARCH work_orders USING INDEX ix_work_orders_property_id_created_at_id"
    read = "SEARCH work_orders USING INTEGER PRIMARY KEY (rowid=?)"
    owner = "ix_work_orders_property_id_owner_id_created_at_id"
    looked_up = f"SCAN {index} VIRTUAL TABLE"
    assert read in few and walk not in few and looked_up in few, few
    assert walk in many and read not in many, many
    assert (looked_up in many) is (index == "work_orders_search"), many
    assert read in many_but_old and walk not in many_but_old, many_but_old
    assert read not in sooner, sooner  # no guess for the priority's walk: it walks
    for theirs in (owners, one_owners):
        assert owner in theirs and read not in theirs, theirs


async def test_postgres_plans_each_search_for_its_phrase(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    settings: Settings,
    db: Database,
    page_statements: list[tuple[str, Any]],
) -> None:
    """The phrase is written into the statement, so no search runs on a generic plan made for any
    phrase (which scanned the trigram indexes whole): the same statement for two phrases would be
    one prepared statement."""
    if settings.database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's plan cache")
    c = community
    await file_order(c.owner, "地下车库的排风扇一直在响")
    statements: dict[str, set[str]] = {}
    for q, written in (("风扇", "'%风扇%'"), ("排风扇", "'%排风扇%'"), ("it's", "'%it''s%'")):
        response = await client.get("/v1/work-orders", params={"q": q}, headers=c.manager.headers)
        assert response.status_code == 200, response.text
        statements[q] = {statement for statement, _ in page_statements}
        assert statements[q] and all(written in s for s in statements[q]), statements
        for _, parameters in page_statements:
            assert not [p for p in parameters if isinstance(p, str) and "%" in p], parameters
        page_statements.clear()
    assert (
        not statements["风扇"] & statements["排风扇"]
        and not statements["排风扇"] & statements["it's"]
    )


# Characters whose case, width or meaning to LIKE could trip the grams up.
_ALPHABET = "漏水电梯噪音的了aAbBzZ09дДσΣςİıßẞ%_\\ \n\t🚰"


@hypothesis.settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@hypothesis.given(
    fields=st.tuples(*[st.text(_ALPHABET, max_size=12)] * 3),
    q=st.text(_ALPHABET, min_size=1, max_size=2),
    taken=st.booleans(),
)
async def test_postgres_grams_hold_a_short_phrase_exactly_where_ilike_finds_it(
    db: Database, fields: tuple[str, str, str], q: str, taken: bool
) -> None:
    """`work_order_grams` (migration 0020) against ILIKE, as the search compares: for any text and any
    phrase of one or two characters (often one taken from the text), the grams hold the phrase's
    lower case exactly when ILIKE finds it in one of the three fields."""
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL's function")
    joined = "".join(fields)
    if taken and len(joined) >= len(q):
        q = joined[len(joined) // 3 :][: len(q)] or q
    pattern = listing._like_pattern(q)
    async with db.read_engine.connect() as connection:
        found, held = (
            await connection.execute(
                text(
                    "SELECT (:t ILIKE :p ESCAPE '\\' OR :d ILIKE :p ESCAPE '\\' "
                    "OR :n ILIKE :p ESCAPE '\\'), "
                    "work_order_grams(:t, :d, :n) @> ARRAY[lower(:q)]"
                ),
                {"t": fields[0], "d": fields[1], "n": fields[2], "p": pattern, "q": q},
            )
        ).one()
    assert held is found, (fields, q)


@hypothesis.settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@hypothesis.given(
    written=st.text(_ALPHABET + "ΩωǅǆⅠⅰⒶⓐ", max_size=12),
    q=st.text("漏水电梯噪音的了09%_\\ 。", min_size=1, max_size=4),
    taken=st.booleans(),
)
async def test_an_uncased_phrase_is_found_by_like_where_ilike_finds_it(
    db: Database, written: str, q: str, taken: bool
) -> None:
    """What lets a search compare a phrase with no cased letter by LIKE (`listing.uncased`): the
    database's LIKE and ILIKE agree on it, for any text (cased letters, ones whose lower case is
    longer, wildcards), on both databases."""
    assert listing.uncased(q)
    if taken and len(written) >= len(q):
        start = len(written) // 3
        candidate = written[start : start + len(q)]
        q = candidate if listing.uncased(candidate) and candidate else q
    pattern = listing._like_pattern(q)
    async with db.read_engine.connect() as connection:
        like, ilike = (
            await connection.execute(
                text("SELECT :t LIKE :p ESCAPE '\\', lower(:t) LIKE lower(:p) ESCAPE '\\'")
                if db.dialect == "sqlite"  # what ILIKE compiles to on SQLite
                else text("SELECT :t LIKE :p ESCAPE '\\', :t ILIKE :p ESCAPE '\\'"),
                {"t": written, "p": pattern},
            )
        ).one()
    assert bool(like) is bool(ilike), (written, q)


async def test_postgres_reads_a_short_phrase_s_few_candidates_by_key(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    settings: Settings,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    page_statements: list[tuple[str, Any]],
) -> None:
    """Among 2,000 orders newer than the one that holds a rare phrase of two characters, the page
    reads a handful of orders by the primary key (the newest candidates, sorted in the table of
    grams; or every candidate), where the walk of the list's index reads every newer order before
    it meets the match. An order filed since the grams caught up is among the candidates too, and
    so found."""
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL's table of grams")
    c = community
    rare = await file_order(c.owner, "地下车库的排风扇一直在响")
    common = await file_order(c.owner, "厨房水龙头漏水")
    async with db.write_engine.begin() as connection:
        # Copies of the common order, filed by SQL with their grams (they have no events).
        await connection.execute(COPIES, {"count": 2000, "id": common["id"]})
        await connection.execute(GRAMS_OF_COPIES, {"copies": common["id"] + "\\_%"})
    async with db.read_engine.connect() as connection:
        await connection.execute(text("ANALYZE work_orders"))
        await connection.execute(text("ANALYZE work_orders_grams"))
    await _catch_up(settings, db)
    later = await file_order(c.owner, "排风扇的声音更大了")  # not yet in the grams

    async def rows_read(**params: str) -> tuple[list[str], int]:
        response = await client.get(
            "/v1/work-orders", params={"q": "风扇", **params}, headers=c.manager.headers
        )
        assert response.status_code == 200, response.text
        (plan,) = await _explained(db, [page_statements.pop()])
        scans = [n for n in plan_nodes(plan) if n.get("Relation Name") == "work_orders"]
        read = sum(n["Actual Rows"] + n.get("Rows Removed by Filter", 0) for n in scans)
        return [item["id"] for item in response.json()["items"]], read

    newest_first = await rows_read()
    monkeypatch.setattr(listing, "NEWEST_PER_PAGE", 0)
    by_key = await rows_read()
    monkeypatch.setattr(listing, "FEW_MATCHES", -1)
    monkeypatch.setattr(listing, "MANY_MATCHES", -1)
    walked = await rows_read()
    newest = sorted((later, rare), key=lambda o: (o["created_at"], o["id"]), reverse=True)
    assert newest_first[0] == by_key[0] == walked[0] == [o["id"] for o in newest]
    assert newest_first[1] <= 10 and by_key[1] <= 10, (newest_first, by_key)
    assert walked[1] > 2000, walked


async def test_postgres_reads_only_a_short_phrase_s_newest_candidates(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    settings: Settings,
    db: Database,
    page_statements: list[tuple[str, Any]],
) -> None:
    """300 orders hold a phrase of two characters: a page of 5, newest or oldest first, reads
    `NEWEST_PER_PAGE` pages of them by key, not 300, and the pages go on from their cursors as the
    scan's do. A filter that turns down all but two of them leaves the newest candidates short of a
    page, and every candidate is read instead: the same answer."""
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL's table of grams")
    c = community
    common = await file_order(c.owner, "地下车库的排风扇一直在响")
    async with db.write_engine.begin() as connection:
        await connection.execute(COPIES, {"count": 299, "id": common["id"]})
        await connection.execute(
            text(
                "UPDATE work_orders SET created_at = created_at - make_interval(secs => "
                "CAST(split_part(id, '_', 3) AS int)), status = CASE WHEN "
                "CAST(split_part(id, '_', 3) AS int) IN (7, 250) THEN 'in_progress' "
                "ELSE status END WHERE id LIKE :copies"
            ),
            {"copies": common["id"] + "\\_%"},
        )
        # Filed by SQL, the copies have no events: their grams are written here.
        await connection.execute(GRAMS_OF_COPIES, {"copies": common["id"] + "\\_%"})
    await _catch_up(settings, db)
    async with db.read_engine.connect() as connection:
        await connection.execute(text("ANALYZE work_orders"))
        await connection.execute(text("ANALYZE work_orders_grams"))

    async def pages(**params: str) -> tuple[list[str], list[int | None]]:
        """Every page's ids (up to five pages), and for each page how many orders its last statement
        was given to read by key (None: the candidates, not a list of ids)."""
        found: list[str] = []
        given: list[int | None] = []
        bodies = _page_through(client, c.manager.headers, {"q": "风扇", **params})
        async with aclosing(bodies):
            async for body in bodies:
                found += [item["id"] for item in body["items"]]
                _, parameters = page_statements[-1]
                given.append(_handed(parameters))
                page_statements.clear()
                if len(found) > 20:
                    break
        return found, given

    newest, newest_read = await pages(limit="5")
    oldest, oldest_read = await pages(limit="5", sort="created_at")
    few, few_read = await pages(limit="5", status="in_progress")
    async with db.read_engine.connect() as connection:
        ids = (
            await connection.execute(
                text(
                    "SELECT id, status FROM work_orders WHERE description LIKE '%风扇%' "
                    "ORDER BY created_at DESC, id DESC"
                )
            )
        ).all()
    assert len(ids) == 300
    assert newest == [i for i, _ in ids][:25] and oldest == [i for i, _ in ids][::-1][:25]
    assert few == [i for i, status in ids if status == "in_progress"] and len(few) == 2
    # A page of 5 from the first 4 pages' worth of candidates in the list's order (24).
    assert newest_read == oldest_read == [24] * 5, (newest_read, oldest_read)
    assert few_read == [None], few_read


async def test_postgres_walks_the_days_to_a_short_phrase_s_newest_candidates(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    settings: Settings,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    page_statements: list[tuple[str, Any]],
) -> None:
    """300 orders hold a phrase of two characters, one an hour over the last 100 hours and one an
    hour 60 days before, with no match on the days between; 3 of the oldest hold another. Taken for
    common phrases (`FEW_MATCHES`), their candidates are found day by day in the index by day
    (migration 0022). Every page, newest or oldest first, across the days without a match, is the
    scan's, and is handed the candidates of the days walked, never all 300. A first page walks
    exactly the days from the newest order's to the one where a page's worth of candidates is
    reached, each one look into the index by day, and the GIN index of the grams themselves is not
    read; the rare phrase walks every day to the oldest order's and finds its 3."""
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL's index by day")
    monkeypatch.setattr(listing, "FEW_MATCHES", -1)
    monkeypatch.setattr(listing, "WALKED", 0)
    c = community
    common = await file_order(c.owner, "地下车库的排风扇一直在响")
    copies = {"copies": common["id"] + "\\_%"}
    n = "CAST(split_part(id, '_', 3) AS int)"
    async with db.write_engine.begin() as connection:
        await connection.execute(COPIES, {"count": 299, "id": common["id"]})
        await connection.execute(
            text(
                f"UPDATE work_orders SET created_at = created_at - make_interval(hours => {n} "
                f"+ CASE WHEN {n} > 100 THEN 60 * 24 ELSE 0 END) WHERE id LIKE :copies"
            ),
            copies,
        )
        await connection.execute(GRAMS_OF_COPIES, copies)
        # Their rows of grams are written again by the trigger of a changed text.
        await connection.execute(
            text(
                f"UPDATE work_orders SET description = description || '，鑫淼' "
                f"WHERE id LIKE :copies AND {n} >= 297"
            ),
            copies,
        )
    await _catch_up(settings, db)
    async with db.read_engine.connect() as connection:
        await connection.execute(text("ANALYZE work_orders_grams"))
        times = (
            await connection.execute(
                text(
                    "SELECT id, created_at, description LIKE '%风扇%' FROM work_orders "
                    "WHERE property_id = 'default' ORDER BY created_at DESC, id DESC"
                )
            )
        ).all()
    times = [(i, at, bool(held)) for i, at, held in times]
    assert sum(held for _, _, held in times) == 300

    def looks(plan: Any) -> dict[str, int]:
        """How many times each index of the table of grams was looked into."""
        nodes = [n for n in plan_nodes(plan) if n.get("Index Name", "").startswith("work_orders_g")]
        return {n["Index Name"]: n["Actual Loops"] for n in nodes}

    async def walked(
        q: str, **params: str
    ) -> tuple[list[str], list[tuple[int | None, dict[str, int]]]]:
        """Every page's ids, and for each page how many ids it was handed (None: no list, every
        candidate read by key) and how many times its walk of the days looked into each index of the table of
        grams (at this size PostgreSQL would read the table's 300 rows instead; it is told not to)."""
        found: list[str] = []
        given: list[int | None] = []
        with _sent(db, ("WITH RECURSIVE walk",)) as sent:
            async for body in _page_through(client, c.manager.headers, {"q": q, **params}):
                found += [item["id"] for item in body["items"]]
                _, parameters = page_statements.pop()
                given.append(_handed(parameters))
                page_statements.clear()
        walks = [
            looks(plan) for plan in await _explained(db, sent, settings=("enable_seqscan = off",))
        ]
        return found, list(zip(given, walks, strict=True))

    def day(moment: datetime) -> int:
        return (moment.astimezone(UTC).date() - date(1970, 1, 1)).days

    def expected(
        ordered: list[tuple[str, datetime, bool]], pages: list[str], held: set[str]
    ) -> Any:
        """Per page of `pages` (the ids, in order, 20 a page), the ids it is handed and the days
        walked: from the first order's day (or the cursor's), day by day toward the last order's,
        each day's candidates after the cursor (at most 4 pages' worth of them) added, until 4
        pages' worth."""
        count = listing.NEWEST_PER_PAGE * 21
        last = day(ordered[-1][1])
        step = 1 if last >= day(ordered[0][1]) else -1
        at = {i: (k, moment) for k, (i, moment, _) in enumerate(ordered)}
        walks = []
        for cursor in [None, *pages[19:-1:20]]:
            begin, d = (
                (0, day(ordered[0][1]))
                if cursor is None
                else (at[cursor][0] + 1, day(at[cursor][1]))
            )
            reached = days = 0
            while True:
                days += 1
                today = [i for i, moment, _ in ordered[begin:] if day(moment) == d and i in held]
                reached += min(len(today), count)
                if reached >= count or d == last:
                    break
                d += step
            walks.append((reached, {"work_orders_grams_by_day": days}))
        return walks

    matches = {i for i, _, held in times if held}
    rare_ones = [i for i, _, held in times if held][-3:]
    newest, newest_walks = await walked("风扇", limit="20")
    oldest, oldest_walks = await walked("风扇", limit="20", sort="created_at")
    rare, rare_walks = await walked("鑫淼", limit="20")
    assert newest == [i for i, _, held in times if held] and oldest == newest[::-1]
    assert rare == rare_ones
    assert newest_walks == expected(times, newest, matches), newest_walks
    assert oldest_walks == expected(times[::-1], oldest, matches), oldest_walks
    assert rare_walks == expected(times, rare, set(rare_ones)), rare_walks
    assert max(given or 0 for given, _ in newest_walks + oldest_walks) < 300
    # The rare phrase's walk passed every day, the 60 without a match included.
    assert rare_walks[0][1]["work_orders_grams_by_day"] > 60
    # A walk stops after `DAYS_WALKED` days; the page is then every candidate's, read by key (no
    # list of ids handed to it).
    monkeypatch.setattr(search_grams, "DAYS_WALKED", 10)
    rare, rare_walks = await walked("鑫淼", limit="20")
    assert rare == rare_ones and rare_walks == [(None, {"work_orders_grams_by_day": 10})], (
        rare_walks
    )


async def test_postgres_walks_a_bounded_number_of_orders_then_collects_old_matches(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    page_statements: list[tuple[str, Any]],
) -> None:
    """A phrase of three characters held only by orders older than 2,000 others: the walk of the
    list's index stops after `WALKED` orders, short of a page, and the matches are collected by a
    statement that does not walk that index (at 1M orders, from the trigram indexes; bench/
    RESULTS.md, round 26). A page the bounded walk fills is its answer, in one statement, and the
    next page goes on from its cursor."""
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL's bounded walk")
    c = community
    old = [await file_order(c.owner, f"地下车库的排风扇一直在响，第{i}次") for i in range(3)]
    common = await file_order(c.owner, "厨房水龙头漏水")
    async with db.write_engine.begin() as connection:
        await connection.execute(COPIES, {"count": 2000, "id": common["id"]})
    async with db.read_engine.connect() as connection:
        await connection.execute(text("ANALYZE work_orders"))

    async def walks(q: str, **params: str) -> tuple[dict[str, Any], list[int | None]]:
        """The page, and for each statement it took the orders it walked in the list's index
        (None: it did not walk that index)."""
        response = await client.get(
            "/v1/work-orders", params={"q": q, **params}, headers=c.manager.headers
        )
        assert response.status_code == 200, response.text
        walked: list[int | None] = []
        for plan in await _explained(db, page_statements):
            nodes = [n for n in plan_nodes(plan) if n.get("Index Name") == _LIST_INDEX]
            walked.append(sum(n["Actual Rows"] for n in nodes) if nodes else None)
        page_statements.clear()
        return response.json(), walked

    monkeypatch.setattr(listing, "WALKED", 100)
    found, bounded = await walks("排风扇")
    first, filled = await walks("水龙头", limit="2")
    second, next_filled = await walks("水龙头", limit="2", cursor=first["next_cursor"])
    newest_first = sorted(old, key=lambda o: (o["created_at"], o["id"]), reverse=True)
    assert [o["id"] for o in found["items"]] == [o["id"] for o in newest_first]
    assert bounded == [100, None], bounded
    assert len(filled) == len(next_filled) == 1 and filled[0] and next_filled[0], filled
    assert filled[0] <= 100 and next_filled[0] <= 100, (filled, next_filled)
    pages = [first["items"], second["items"]]
    assert [len(p) for p in pages] == [2, 2] and len({o["id"] for p in pages for o in p}) == 4


async def test_the_workers_index_new_orders_in_batches_and_move_past_them(
    app: Any,
    community: Community,
    file_order: FileOrder,
    db: Database,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL's workers write the grams of new orders every `feed_poll_interval`, `BATCH` at a
    time, each order once; SQLite's job has nothing to do (its writers keep its grams)."""
    [job] = [j for j in jobs(app.state.settings) if j.name == "search-grams"]
    assert job.interval == app.state.settings.feed_poll_interval
    workers = Workers(db, app.state.settings, clock)
    if db.dialect != "postgresql":
        async with transaction(db.writer) as session:
            assert await search_grams.catch_up(session, clock.now()) == 0
        return
    await workers.run_once(job)  # the suite's earlier orders
    first = await file_order(community.owner, "地下车库的排风扇一直在响")
    second = await file_order(community.owner, "楼道灯不亮")

    async def indexed() -> dict[str, bool]:
        async with db.read_engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT work_order_id, grams @> ARRAY['风扇'] FROM work_orders_grams "
                    "WHERE work_order_id IN (:first, :second)"
                ),
                {"first": first["id"], "second": second["id"]},
            )
            return {str(order_id): bool(held) for order_id, held in rows}

    assert await indexed() == {}
    monkeypatch.setattr(search_grams, "BATCH", 1)
    await workers.run_once(job)
    assert await indexed() == {first["id"]: True}
    await workers.run_once(job)
    await workers.run_once(job)
    assert await indexed() == {first["id"]: True, second["id"]: False}
    async with transaction(db.writer) as session:
        assert await search_grams.catch_up(session, clock.now()) == 0
