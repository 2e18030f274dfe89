"""`q=` through the search indexes (pg_trgm on PostgreSQL, FTS5 trigram on SQLite): the same answers as
the substring scan it replaced — case-insensitive, Chinese by character, title, description or number.
On SQLite the orders filed since the index last caught up are scanned (`workorders.search_index`):
the answers are the same before and after it catches up."""

from __future__ import annotations

import sqlite3

import httpx
from sqlalchemy.engine import make_url

from tests.conftest import Community, FileOrder
from workorders import search_index
from workorders.config import Settings


def _catch_up(settings: Settings) -> None:
    """What SQLite's writers do after every `db.CHECKPOINT_EVERY`-th commit, now."""
    if not settings.database_url.startswith("sqlite"):
        return
    connection = sqlite3.connect(
        make_url(settings.database_url).database or "", isolation_level=None
    )
    try:
        search_index.catch_up(connection)
    finally:
        connection.close()


async def test_q_finds_substrings_through_the_index(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, settings: Settings
) -> None:
    c = community
    _catch_up(settings)  # the suite's earlier orders are in the index: these are not
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
        "噪音": [noise["id"]],  # two characters: scanned, same answer
    }
    assert {q: await search(q) for q in expected} == expected
    _catch_up(settings)
    assert {q: await search(q) for q in expected} == expected
    # Owners still see only their own orders.
    theirs = await client.get(
        "/v1/work-orders", params={"q": "装修噪音"}, headers=c.neighbour.headers
    )
    assert theirs.json()["items"] == []
