"""Hold `count` live streams (`/v1/events/stream`) open and read them until killed.

    python bench/streams.py http://127.0.0.1:8902 <token> 50

Prints `open` once every stream has its response headers, then reads them all forever. The streams
are read off plain sockets and their bytes thrown away: the client shares the machine's cores with the
service, and a client that parsed every event of 50 streams (httpx's `aiter_lines` did) took CPU the
benchmark then charged to the service.
"""

from __future__ import annotations

import asyncio
import sys
from urllib.parse import urlsplit

CHUNK = 65536


async def follow(host: str, port: int, token: str, opened: asyncio.Queue[None]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        (
            f"GET /v1/events/stream HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = head.split(b" ", 2)[1]
    if status != b"200":
        raise SystemExit(f"the stream answered {status.decode()}: {head[:200]!r}")
    await opened.put(None)
    while await reader.read(CHUNK):
        pass


async def main(base: str, token: str, count: int) -> None:
    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    opened: asyncio.Queue[None] = asyncio.Queue()
    tasks = [asyncio.create_task(follow(host, port, token, opened)) for _ in range(count)]
    for _ in range(count):
        await opened.get()
    print("open", flush=True)
    await asyncio.gather(*tasks)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
