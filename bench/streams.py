"""Hold `count` live streams (`/v1/events/stream`) open and read them until killed.

    python bench/streams.py http://127.0.0.1:8902 <token> 50

Prints `open` once every stream has its response headers, then reads them all forever.
"""

from __future__ import annotations

import asyncio
import sys

import httpx


async def follow(client: httpx.AsyncClient, url: str, opened: asyncio.Queue[None]) -> None:
    async with client.stream("GET", url) as response:
        response.raise_for_status()
        await opened.put(None)
        async for _line in response.aiter_lines():
            pass


async def main(base: str, token: str, count: int) -> None:
    limits = httpx.Limits(max_connections=count)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(limits=limits, headers=headers, timeout=None) as client:
        opened: asyncio.Queue[None] = asyncio.Queue()
        tasks = [
            asyncio.create_task(follow(client, f"{base}/v1/events/stream", opened))
            for _ in range(count)
        ]
        for _ in range(count):
            await opened.get()
        print("open", flush=True)
        await asyncio.gather(*tasks)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
