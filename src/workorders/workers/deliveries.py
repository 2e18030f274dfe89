"""The delivery worker: follows the feed (webhook fan-out and notifications), then sends what is due.

Runs inside `workorders serve` and alone as `workorders worker`; any number of them may share one
database (see services/webhook_delivery.py for why none ever sends a delivery twice at once). Woken on
PostgreSQL when events commit (by its own process at once, by another's NOTIFY: services/live.py), and
every `feed_poll_interval` regardless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
from standardwebhooks.webhooks import Webhook

from workorders.db import transaction
from workorders.domain.egress import RefusedUrl
from workorders.services import egress, feed, notifications, webhook_delivery
from workorders.services.live import EventSignal
from workorders.services.webhook_delivery import Outcome, Outgoing

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Row

    from workorders.clock import Clock
    from workorders.config import Settings
    from workorders.db import Database

log = logging.getLogger(__name__)

WEBHOOKS_CONSUMER = "webhooks"
NOTIFICATIONS_CONSUMER = "notifications"
USER_AGENT = "workorders-webhooks/1"
# The feed is followed once every quarter of a second at most: a pass's two transactions (fan-out and
# notifications, a dozen statements between them) are shared by the events of the interval. Passes
# as often as NOTIFY woke the loop (after 50 ms of settling) cost ~0.4 ms of CPU per filed order at
# 400 filings a second (bench/RESULTS.md, round 17). Under load an event's webhooks and notifications
# now start up to this much later (50 ms before; the horizon can hold an event back longer, as it
# could then), a full page's not at all. The live streams' follower keeps a pace of its own
# (`fanout.PACE`) through the same `EventSignal.wait(until=...)`.
FOLLOW_INTERVAL = 0.25


def http_client(settings: Settings) -> httpx.AsyncClient:
    """No redirects (a receiver cannot bounce a delivery elsewhere), no environment proxies."""
    return httpx.AsyncClient(
        timeout=settings.webhook_timeout.total_seconds(),
        follow_redirects=False,
        trust_env=False,
        headers={"user-agent": USER_AGENT},
    )


def sign(sent: Outgoing, timestamp: int) -> str:
    """Standard Webhooks `v1,<base64>` signatures, one per live secret, space separated."""
    at = datetime.fromtimestamp(timestamp, UTC)
    return " ".join(Webhook(key).sign(sent.message_id, at, sent.body) for key in sent.secrets)


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        *,
        http: httpx.AsyncClient | None = None,
        signal: EventSignal | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self._own_http = http is None
        self.http = http or http_client(settings)
        self._own_signal = signal is None
        self.signal = signal or EventSignal(settings)
        self.jitter = jitter
        self._work = asyncio.Event()
        # Whether fan-out made deliveries since the follow loop last woke the send loop.
        self._made = False

    # --- following the feed ---------------------------------------------------------------------

    async def fan_out(self) -> feed.Page[Row[Any]] | None:
        async with transaction(self.db.writer) as session:
            now = self.clock.now()

            async def handle(events: list[Row[Any]]) -> None:
                if await webhook_delivery.fan_out(session, events, now):
                    self._made = True

            columns = webhook_delivery.FAN_OUT_COLUMNS
            return await feed.follow(session, WEBHOOKS_CONSUMER, handle, columns=columns, now=now)

    async def notify(self) -> feed.Page[Row[Any]] | None:
        async with transaction(self.db.writer) as session:
            now = self.clock.now()

            async def handle(events: list[Row[Any]]) -> None:
                await notifications.derive(session, events, now)

            columns = notifications.COLUMNS
            return await feed.follow(
                session, NOTIFICATIONS_CONSUMER, handle, columns=columns, now=now
            )

    # --- sending --------------------------------------------------------------------------------

    @property
    def lease(self) -> timedelta:
        return self.settings.webhook_timeout + self.settings.webhook_lease_margin

    async def claim(self, limit: int) -> list[Outgoing]:
        async with transaction(self.db.writer) as session:
            return await webhook_delivery.claim(
                session, self.clock.now(), limit=limit, lease=self.lease
            )

    async def send(self, sent: Outgoing) -> Outcome:
        """One POST, cut off at `webhook_timeout` whatever the receiver does; never raises."""
        started = time.perf_counter()

        def took() -> int:
            return round((time.perf_counter() - started) * 1000)

        timestamp = int(self.clock.now().timestamp())
        headers = {
            "content-type": "application/json",
            "webhook-id": sent.message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(sent, timestamp),
        }
        limit = self.settings.webhook_response_body_limit
        try:
            async with asyncio.timeout(self.settings.webhook_timeout.total_seconds()):
                # Again at every send: a name may resolve elsewhere than when it was accepted.
                allow_private = self.settings.webhook_allow_private_urls
                pinned = await egress.pin(sent.url, allow_private=allow_private)
                request = self.http.build_request(
                    "POST",
                    pinned.url,
                    content=sent.body.encode(),
                    headers=headers | {"host": pinned.host},
                    extensions=pinned.extensions,
                )
                response = await self.http.send(request, stream=True, follow_redirects=False)
                try:
                    head = bytearray()
                    async for chunk in response.aiter_bytes():
                        head += chunk
                        if len(head) >= limit:
                            break
                finally:
                    await response.aclose()
        except TimeoutError:
            return Outcome(None, took(), error=f"no answer within {self.settings.webhook_timeout}")
        except RefusedUrl as refused:
            return Outcome(None, took(), error=f"refused: {refused}")
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
            return Outcome(None, took(), error=f"{type(exc).__name__}: {exc}"[:1000])
        return Outcome(
            response.status_code,
            took(),
            error=None if response.is_success else f"HTTP {response.status_code}",
            response_body=bytes(head[:limit]).decode("utf-8", errors="replace") or None,
            retry_after=response.headers.get("retry-after"),
        )

    async def record(self, sent: Outgoing, outcome: Outcome) -> str:
        async with transaction(self.db.writer) as session:
            return await webhook_delivery.record(
                session,
                sent,
                outcome,
                now=self.clock.now(),
                settings=self.settings,
                jitter=self.jitter,
            )

    async def deliver(self, sent: Outgoing) -> str:
        return await self.record(sent, await self.send(sent))

    async def deliver_due(self, limit: int | None = None) -> int:
        """Claim what is due now and send it all concurrently; returns how many were sent."""
        claimed = await self.claim(limit or self.settings.webhook_concurrency)
        await asyncio.gather(*(self.deliver(sent) for sent in claimed))
        return len(claimed)

    async def run_once(self) -> int:
        """Fan out and notify what the feed has, then send what is due (tests call this)."""
        await self.fan_out()
        await self.notify()
        return await self.deliver_due()

    # --- the loop -------------------------------------------------------------------------------

    async def run(self) -> None:
        """Two loops: one follows the feed (fan-out, notifications), one sends what is due."""
        if self._own_signal:
            await self.signal.start()
        try:
            async with asyncio.TaskGroup() as loops:
                loops.create_task(self._follow_loop())
                loops.create_task(self._send_loop())
        finally:
            if self._own_signal:
                await self.signal.stop()
            if self._own_http:
                await self.http.aclose()

    async def _follow_loop(self) -> None:
        poll = self.settings.feed_poll_interval.total_seconds()
        loop = asyncio.get_running_loop()
        while True:
            token = self.signal.token()
            started = loop.time()
            pause = poll
            for follower in (self.fan_out, self.notify):
                try:
                    page = await follower()
                except Exception:
                    log.exception("following the feed failed; trying again shortly")
                    continue
                if page is not None and len(page.events) == feed.FOLLOW_BATCH:
                    pause = 0  # a full page: read on at once
                elif page is not None and page.held_back:
                    # Events beyond the horizon: their transaction (or an older one) is about to
                    # commit; look again very soon, at the follower's pace. (Under load some
                    # always are: reading on at once made passes of a few events each, back to
                    # back, each a transaction.)
                    pause = min(pause, feed.HELD_BACK_PAUSE)
            # New deliveries: send them now. A cycle that made none (no endpoint takes these events,
            # the usual case for a property without webhooks) leaves the send loop to its own timer,
            # which also finds retries come due, another worker's deliveries and replays: claiming
            # after every cycle cost a transaction per committed order for nothing.
            if self._made:
                self._made = False
                self._work.set()
            if pause > 0:
                await self.signal.wait(token, pause, until=started + FOLLOW_INTERVAL)

    async def _send_loop(self) -> None:
        poll = self.settings.feed_poll_interval.total_seconds()
        inflight: set[asyncio.Task[str]] = set()
        try:
            while True:
                self._work.clear()
                free = self.settings.webhook_concurrency - len(inflight)
                claimed: list[Outgoing] = []
                if free > 0:
                    try:
                        claimed = await self.claim(free)
                    except Exception:
                        log.exception("claiming deliveries failed; trying again shortly")
                for sent in claimed:
                    task = asyncio.create_task(self._deliver_logged(sent))
                    inflight.add(task)
                    task.add_done_callback(self._finished(inflight))
                if free > 0 and len(claimed) == free:
                    continue  # maybe more due; the next round waits if every slot is busy
                # Until a send finishes, new deliveries appear, or retries may have come due.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(poll):
                        await self._work.wait()
        finally:
            for task in inflight:
                task.cancel()
            await asyncio.gather(*inflight, return_exceptions=True)

    def _finished(self, inflight: set[asyncio.Task[str]]) -> Callable[[asyncio.Task[str]], None]:
        def done(task: asyncio.Task[str]) -> None:
            inflight.discard(task)
            self._work.set()

        return done

    async def _deliver_logged(self, sent: Outgoing) -> str:
        try:
            return await self.deliver(sent)
        except Exception:
            # The lease expires and a later round sends it again.
            log.exception("delivery %s could not be recorded", sent.delivery_id)
            return "error"
