"""A webhook receiver for tests: verifies every delivery with the `standardwebhooks` and `svix`
libraries, answers as scripted, and counts what it got, including sends that overlap in time."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import standardwebhooks
import svix.webhooks


@dataclass
class Received:
    url: str
    webhook_id: str
    body: dict[str, Any]
    headers: dict[str, str]
    status: int


@dataclass
class Receiver:
    """`secrets` maps a URL to the secrets its signature must verify with (all of them)."""

    secrets: dict[str, list[str]] = field(default_factory=dict)
    # Answers to give, in turn, per URL; 200 once they run out.
    script: dict[str, list[httpx.Response]] = field(default_factory=dict)
    verify: bool = True
    delay: float = 0.0
    calls: list[Received] = field(default_factory=list)
    in_flight: Counter[tuple[str, str]] = field(default_factory=Counter)
    overlapping: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        body = request.content.decode()
        headers = dict(request.headers)
        if self.verify:
            for secret in self.secrets.get(url, []):
                standardwebhooks.Webhook(secret).verify(body, headers)
                svix.webhooks.Webhook(secret).verify(body, headers)
        key = (url, headers["webhook-id"])
        if self.in_flight[key]:
            self.overlapping += 1
        self.in_flight[key] += 1
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            answers = self.script.get(url)
            response = answers.pop(0) if answers else httpx.Response(200, text="ok")
        finally:
            self.in_flight[key] -= 1
        self.arrived.set()
        self.calls.append(
            Received(url, headers["webhook-id"], json.loads(body), headers, response.status_code)
        )
        return response

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self), follow_redirects=False)

    def ids(self, url: str | None = None) -> list[str]:
        return [c.webhook_id for c in self.calls if url is None or c.url == url]

    async def wait_for(self, ids: set[str]) -> None:
        """Until every one of `ids` has arrived at least once."""
        while not ids <= set(self.ids()):
            self.arrived.clear()
            await self.arrived.wait()
