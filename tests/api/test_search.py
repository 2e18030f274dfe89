"""`q=` through the search indexes (pg_trgm on PostgreSQL, FTS5 trigram on SQLite): the same answers as
the substring scan it replaced — case-insensitive, Chinese by character, title, description or number."""

from __future__ import annotations

import httpx

from tests.conftest import Community, FileOrder


async def test_q_finds_substrings_through_the_index(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    c = community
    noise = await file_order(c.owner, "楼上装修噪音太大，晚上十点还在敲")
    leak = await file_order(c.owner, "Kitchen tap LEAKS under the sink", title="Tap leak")
    quoted = await file_order(c.owner, '门口贴了"温馨提示"的纸')

    async def search(q: str) -> list[str]:
        response = await client.get("/v1/work-orders", params={"q": q}, headers=c.manager.headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await search("装修噪音") == [noise["id"]]
    assert await search("点还在") == [noise["id"]]
    assert await search("leaks UNDER") == [leak["id"]]
    assert await search("tap lea") == [leak["id"]]
    assert await search(noise["number"][-8:]) == [noise["id"]]
    assert await search('"温馨提示"') == [quoted["id"]]
    assert await search("没有这个词") == []
    assert await search("噪音") == [noise["id"]]  # two characters: scanned, same answer
    # Owners still see only their own orders.
    theirs = await client.get(
        "/v1/work-orders", params={"q": "装修噪音"}, headers=c.neighbour.headers
    )
    assert theirs.json()["items"] == []
