"""The files of a cancelled or retained-out order go with it (after the commit), and a crashed upload's
leftovers are swept by a scheduled job."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.api.test_attachments import image_bytes, upload
from workorders.services import attachments
from workorders.storage import DirectoryStorage
from workorders.workers.runner import Workers, jobs

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, FileOrder
    from workorders.clock import ManualClock


def _files(app: Any, attachment_id: str) -> list[str]:
    storage = DirectoryStorage.from_settings(app.state.settings)
    return [key for key, _ in storage.listing() if key.startswith(attachment_id)]


async def test_cancelling_an_order_removes_its_photos(
    app: Any, client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    order = await file_order(community.owner, "楼道的灯坏了")
    uploaded = await upload(client, community.owner, order["id"], image_bytes())
    assert uploaded.status_code == 201, uploaded.text
    attachment = uploaded.json()["id"]
    assert len(_files(app, attachment)) == 2  # the image and its thumbnail
    cancelled = await client.post(
        f"/v1/work-orders/{order['id']}/cancel",
        json={"reason": "已经好了"},
        headers=community.owner.headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    assert _files(app, attachment) == []
    listed = await client.get(
        f"/v1/work-orders/{order['id']}/attachments", headers=community.cs.headers
    )
    assert listed.json()["items"] == []
    gone = await client.get(f"/v1/attachments/{attachment}", headers=community.cs.headers)
    assert gone.status_code == 404


async def test_retention_removes_the_photos_of_long_ended_orders(
    app: Any,
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    clock: ManualClock,
) -> None:
    c = community
    order = await file_order(c.owner, "卫生间漏水")
    attachment = (await upload(client, c.owner, order["id"], image_bytes())).json()["id"]
    for person, action, body in [
        (c.engineer, "claim", {}),
        (c.engineer, "start", {}),
        (c.engineer, "resolve", {"resolution": "换了密封圈"}),
        (c.owner, "confirm", {}),
    ]:
        response = await client.post(
            f"/v1/work-orders/{order['id']}/{action}", json=body, headers=person.headers
        )
        assert response.status_code == 200, response.text
    [job] = [j for j in jobs(app.state.settings) if j.name == "contact-retention"]
    workers = Workers(app.state.db, app.state.settings, clock)
    await workers.run_once(job)
    assert len(_files(app, attachment)) == 2  # not yet
    clock.advance(app.state.settings.contact_retention + timedelta(days=1))
    await workers.run_once(job)
    assert _files(app, attachment) == []


def test_the_orphan_sweep_is_scheduled(app: Any) -> None:
    names = {job.name: job for job in jobs(app.state.settings)}
    assert "attachment-orphans" in names
    assert names["attachment-orphans"].interval <= timedelta(hours=1)


async def test_the_image_is_processed_before_the_write_lock_is_taken(
    app: Any,
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SQLite has one writer: Pillow's work inside the writing transaction would stall every other
    writer for as long. While the image is processed, another connection can still take the lock."""
    if not database_url.startswith("sqlite"):
        pytest.skip("the write lock is SQLite's")
    path = database_url.split("///", 1)[1]
    order = await file_order(community.owner, "阳台的窗户玻璃裂了")
    taken: list[bool] = []
    process = attachments.process_image

    def process_and_try_the_lock(data: bytes) -> attachments.Processed:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            taken.append(True)
        except sqlite3.OperationalError:
            taken.append(False)
        finally:
            other.close()
        return process(data)

    monkeypatch.setattr(attachments, "process_image", process_and_try_the_lock)
    uploaded = await upload(client, community.owner, order["id"], image_bytes())
    assert uploaded.status_code == 201, uploaded.text
    assert taken == [True]
