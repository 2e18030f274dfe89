"""Photos on work orders: type judged from the bytes, metadata stripped, thumbnails, limits, visibility,
and files that never outlive (or precede) their rows."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.api.test_contract import assert_problem
from workorders.domain.actors import Principal, Role
from workorders.limits import BodySizeLimit
from workorders.models.attachments import Attachment
from workorders.services import attachments, work_orders
from workorders.services.context import Context
from workorders.storage import DirectoryStorage

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.conftest import Community, FileOrder, Person
    from workorders.db import Database

GPS_IFD = 0x8825
ORIENTATION = 0x0112


@pytest.fixture
def storage(app: Any, tmp_path: Path) -> Iterator[DirectoryStorage]:
    """The app's files in a folder of this test's: a request's code finds its storage through the
    app's settings (the endpoints, and a cancelled order's photos going with it)."""
    settings = app.state.settings
    app.state.settings = settings.model_copy(update={"data_dir": tmp_path})
    try:
        yield DirectoryStorage.from_settings(app.state.settings)
    finally:
        app.state.settings = settings


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (8, 8), **save: Any) -> bytes:
    out = BytesIO()
    mode = "RGBA" if fmt in ("PNG", "WEBP") else "RGB"
    Image.new(mode, size, (200, 30, 30, 255) if mode == "RGBA" else (200, 30, 30)).save(
        out, fmt, **save
    )
    return out.getvalue()


def phone_photo() -> bytes:
    """What a phone sends: a JPEG taken sideways (orientation 6) with where it was taken."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[ORIENTATION] = 6
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (31.0, 14.0, 5.0), 3: "E", 4: (121.0, 28.0, 9.0)})
    data = image_bytes("JPEG", (800, 600), exif=exif, comment=b"IMG_0001 at home")
    assert Image.open(BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the fixture really has GPS
    return data


async def upload(
    client: httpx.AsyncClient,
    person: Person,
    order_id: str,
    data: bytes,
    *,
    name: str = "photo.jpg",
    content_type: str = "image/jpeg",
    purpose: str | None = None,
) -> httpx.Response:
    return await client.post(
        f"/v1/work-orders/{order_id}/attachments",
        files={"file": (name, data, content_type)},
        data={"purpose": purpose} if purpose else None,
        headers=person.headers,
    )


async def test_an_owner_files_with_a_photo_whose_location_never_leaves_the_phone(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    storage: DirectoryStorage,
) -> None:
    order = await file_order(community.owner, "厨房水管漏水，地上全是水")
    created = await upload(client, community.owner, order["id"], phone_photo())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"].startswith("att_")
    assert created.headers["location"] == body["url"] == f"/v1/attachments/{body['id']}"
    assert body["thumbnail_url"] == f"/v1/attachments/{body['id']}/thumbnail"
    assert body["content_type"] == "image/jpeg"
    assert body["purpose"] == "photo"
    assert body["uploaded_by"] == {"type": "owner", "id": community.owner.id}
    assert body["created_at"].endswith("Z")

    fetched = await client.get(body["url"], headers=community.owner.headers)
    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == "image/jpeg"
    assert fetched.headers["x-content-type-options"] == "nosniff"
    assert len(fetched.content) == body["size"]
    stored = Image.open(BytesIO(fetched.content))
    assert not stored.getexif()
    assert not stored.getexif().get_ifd(GPS_IFD)
    assert "exif" not in stored.info and "comment" not in stored.info
    assert b"PhoneMaker" not in fetched.content and b"IMG_0001" not in fetched.content
    # Turned upright before the orientation tag went away.
    assert stored.size == (600, 800) == (body["width"], body["height"])

    thumbnail = await client.get(body["thumbnail_url"], headers=community.owner.headers)
    assert thumbnail.status_code == 200
    assert thumbnail.headers["content-type"] == "image/jpeg"
    small = Image.open(BytesIO(thumbnail.content))
    assert max(small.size) == 320 and small.size[0] < small.size[1]
    assert not small.getexif()

    listed = await client.get(
        f"/v1/work-orders/{order['id']}/attachments", headers=community.owner.headers
    )
    assert listed.json() == {"items": [body]}
    timeline = await client.get(
        f"/v1/work-orders/{order['id']}/events", headers=community.owner.headers
    )
    added = [e for e in timeline.json()["items"] if e["type"] == "work_order.attachment_added"]
    assert len(added) == 1

    for path in (body["url"], body["thumbnail_url"], f"/v1/work-orders/{order['id']}/attachments"):
        assert_problem(await client.get(path, headers=community.neighbour.headers), 404)
    assert_problem(
        await upload(client, community.neighbour, order["id"], image_bytes()), 404, "not-found"
    )
    assert_problem(await client.get(body["url"]), 401)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
async def test_metadata_is_stripped_from_png_and_webp_too(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    storage: DirectoryStorage,
    fmt: str,
) -> None:
    order_id = (await file_order(community.owner, "外墙脱落"))["id"]
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (31.0, 14.0, 5.0)})
    sent = image_bytes(fmt, (40, 30), exif=exif)
    assert Image.open(BytesIO(sent)).getexif().get_ifd(GPS_IFD)
    created = await upload(client, community.owner, order_id, sent, name=f"a.{fmt.lower()}")
    assert created.status_code == 201, created.text
    stored = await client.get(created.json()["url"], headers=community.owner.headers)
    image = Image.open(BytesIO(stored.content))
    assert image.format == fmt
    assert not image.getexif() and "exif" not in image.info
    assert b"PhoneMaker" not in stored.content


async def test_an_image_of_too_many_pixels_is_refused_before_it_is_decoded(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    storage: DirectoryStorage,
) -> None:
    order_id = (await file_order(community.owner, "地下车库积水"))["id"]
    bomb = BytesIO()
    Image.new("1", (10_000, 6_000)).save(bomb, "PNG")
    assert len(bomb.getvalue()) < 1024 * 1024  # small on the wire, 60 megapixels unpacked
    assert_problem(await upload(client, community.owner, order_id, bomb.getvalue()), 413)
    assert list(storage.listing()) == []


async def test_staff_who_see_the_order_see_and_add_photos(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    storage: DirectoryStorage,
) -> None:
    order = await file_order(community.owner, "楼道灯不亮", category="electrical")
    assert order["queue"] == "engineering"
    before = await upload(
        client, community.engineer, order["id"], image_bytes(), name="x.png", purpose="before"
    )
    assert before.status_code == 201, before.text
    assert before.json()["purpose"] == "before"
    assert before.json()["uploaded_by"] == {"type": "staff", "id": community.engineer.id}
    for person in (community.cs, community.manager, community.owner):
        seen = await client.get(before.json()["url"], headers=person.headers)
        assert seen.status_code == 200
    # Security does not see engineering's orders, so neither their photos.
    assert_problem(await client.get(before.json()["url"], headers=community.guard.headers), 404)
    assert_problem(await upload(client, community.guard, order["id"], image_bytes()), 404)
    assert_problem(await upload(client, community.admin, order["id"], image_bytes()), 403)
    bad_purpose = await upload(client, community.engineer, order["id"], image_bytes(), purpose="x")
    assert_problem(bad_purpose, 422)
    assert_problem(
        await client.get("/v1/attachments/att_nothing", headers=community.cs.headers), 404
    )


async def test_an_upload_sent_twice_with_one_idempotency_key_is_stored_once(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    storage: DirectoryStorage,
) -> None:
    order_id = (await file_order(community.owner, "阳台漏雨"))["id"]
    path = f"/v1/work-orders/{order_id}/attachments"
    headers = community.owner.headers | {"Idempotency-Key": "photo-1"}
    sent = [
        await client.post(
            path, files={"file": ("a.png", image_bytes(), "image/png")}, headers=headers
        )
        for _ in range(2)
    ]
    assert [r.status_code for r in sent] == [201, 201]
    assert sent[0].json() == sent[1].json()
    assert sent[1].headers["idempotent-replayed"] == "true"
    listed = await client.get(path, headers=community.owner.headers)
    assert len(listed.json()["items"]) == 1
    other_bytes = image_bytes(size=(9, 9))
    reused = await client.post(
        path, files={"file": ("b.png", other_bytes, "image/png")}, headers=headers
    )
    assert_problem(reused, 422, "idempotency-key-reused")


async def test_the_type_is_judged_from_the_bytes(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    storage: DirectoryStorage,
) -> None:
    order_id = (await file_order(community.owner, "门禁坏了"))["id"]
    owner = community.owner
    text = await upload(client, owner, order_id, b"\x89PNG not really" + b"a" * 100, name="a.png")
    assert_problem(text, 415, "unsupported-media-type")
    gif = BytesIO()
    Image.new("P", (4, 4)).save(gif, "GIF")
    assert_problem(await upload(client, owner, order_id, gif.getvalue()), 415)
    truncated = image_bytes("JPEG", (200, 200))[:300]
    assert_problem(await upload(client, owner, order_id, truncated), 415)

    png_named_jpg = await upload(client, owner, order_id, image_bytes("PNG"), name="a.jpg")
    assert png_named_jpg.status_code == 201
    assert png_named_jpg.json()["content_type"] == "image/png"
    mpo = BytesIO()
    first, second = Image.new("RGB", (64, 48), "blue"), Image.new("RGB", (64, 48), "red")
    first.save(mpo, "MPO", save_all=True, append_images=[second])
    assert Image.open(BytesIO(mpo.getvalue())).format == "MPO"
    phone = await upload(client, owner, order_id, mpo.getvalue())
    assert phone.status_code == 201, phone.text
    assert phone.json()["content_type"] == "image/jpeg"
    webp = await upload(client, owner, order_id, image_bytes("WEBP"), content_type="text/plain")
    assert webp.status_code == 201
    assert webp.json()["content_type"] == "image/webp"
    fetched = await client.get(webp.json()["url"], headers=owner.headers)
    assert fetched.headers["content-type"] == "image/webp"
    assert Image.open(BytesIO(fetched.content)).format == "WEBP"
    assert_problem(
        await client.post(
            f"/v1/work-orders/{order_id}/attachments",
            data={"purpose": "photo"},
            headers=owner.headers,
        ),
        422,
    )


async def test_size_and_count_limits(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    storage: DirectoryStorage,
    app: Any,
) -> None:
    settings = app.state.settings
    order_id = (await file_order(community.owner, "卫生间墙面渗水"))["id"]
    just_over = b"\xff\xd8" + b"0" * (settings.attachment_max_bytes - 1)
    assert_problem(await upload(client, community.owner, order_id, just_over), 413)
    far_over = b"0" * (settings.attachment_max_bytes + 200 * 1024)
    assert_problem(await upload(client, community.owner, order_id, far_over), 413)
    # The uploads' allowance is theirs alone: JSON bodies keep the small limit.
    big_json = {"description": "x" * (settings.max_body_bytes + 10)}
    assert_problem(
        await client.post("/v1/work-orders", json=big_json, headers=community.owner.headers), 413
    )

    for _ in range(settings.attachments_per_order):
        assert (await upload(client, community.owner, order_id, image_bytes())).status_code == 201
    assert_problem(await upload(client, community.owner, order_id, image_bytes()), 409)
    assert storage.root.exists()
    assert len(list(storage.listing())) == 2 * settings.attachments_per_order


async def test_owners_add_photos_only_while_the_order_is_open(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    storage: DirectoryStorage,
) -> None:
    order_id = (await file_order(community.owner, "想咨询一下停车位"))["id"]
    cancelled = await client.post(
        f"/v1/work-orders/{order_id}/cancel",
        json={"reason": "不需要了"},
        headers=community.owner.headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    problem = assert_problem(await upload(client, community.owner, order_id, image_bytes()), 409)
    assert "联系客服" in problem["detail"]
    assert (await upload(client, community.cs, order_id, image_bytes())).status_code == 201


# --- files and transactions -------------------------------------------------------------------------


def _context(session: Any, settings: Any, principal: Principal) -> Context:
    return Context(session=session, principal=principal, now=datetime.now(UTC), settings=settings)


async def _count(db: Database, order_id: str) -> int:
    async with db.reader() as session:
        query = (
            select(func.count()).select_from(Attachment).where(Attachment.work_order_id == order_id)
        )
        return (await session.execute(query)).scalar_one()


async def test_a_rolled_back_upload_leaves_no_file(
    community: Community, file_order: FileOrder, db: Database, storage: DirectoryStorage
) -> None:
    order_id = (await file_order(community.owner, "窗户关不上"))["id"]
    owner = Principal(Role.OWNER, "default", sub=community.owner.id)

    class Boom(Exception):
        pass

    async def upload_then_fail() -> None:
        async with db.writer() as session, session.begin():
            ctx = _context(session, db.settings, owner)
            order = await work_orders.get_visible(ctx, order_id)
            prepared = await attachments.prepare(ctx, order, image_bytes())
            await attachments.add(ctx, order, storage, processed=prepared, purpose="photo")
            assert len(list(storage.listing())) == 2
            raise Boom

    with pytest.raises(Boom):
        await upload_then_fail()
    assert list(storage.listing()) == []
    assert await _count(db, order_id) == 0


async def test_delete_for_order_removes_rows_then_files_after_the_commit(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    db: Database,
    storage: DirectoryStorage,
) -> None:
    order_id = (await file_order(community.owner, "空调滴水"))["id"]
    other_id = (await file_order(community.neighbour, "空调也滴水"))["id"]
    for _ in range(2):
        assert (await upload(client, community.owner, order_id, image_bytes())).status_code == 201
    assert (await upload(client, community.neighbour, other_id, image_bytes())).status_code == 201
    assert len(list(storage.listing())) == 6

    async def delete_then_fail() -> None:
        async with db.writer() as session, session.begin():
            assert await attachments.delete_for_order(session, storage, order_id) == 2
            raise RuntimeError("the cancellation failed")

    with pytest.raises(RuntimeError):
        await delete_then_fail()
    assert len(list(storage.listing())) == 6  # rolled back: rows and files both kept
    assert await _count(db, order_id) == 2

    async with db.writer() as session, session.begin():
        assert await attachments.delete_for_order(session, storage, order_id) == 2
    assert await _count(db, order_id) == 0
    assert len(list(storage.listing())) == 2  # the neighbour's photo and thumbnail
    assert await _count(db, other_id) == 1


async def test_sweep_removes_old_files_without_rows(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    db: Database,
    storage: DirectoryStorage,
) -> None:
    order_id = (await file_order(community.owner, "楼上漏水到我家"))["id"]
    kept = (await upload(client, community.owner, order_id, image_bytes())).json()["id"]
    await storage.put("att_crashed", b"left by a process that died before its commit")
    await storage.put("att_crashed.thumb", b"its thumbnail")
    await storage.put("att_young", b"a transaction that may still commit")
    an_hour_ago = time.time() - 7200
    for key in ("att_crashed", "att_crashed.thumb", kept, f"{kept}.thumb"):
        os.utime(storage.path(key), (an_hour_ago, an_hour_ago))

    async with db.reader() as session:
        swept = await attachments.sweep_orphans(
            session, storage, now=datetime.now(UTC), older_than=timedelta(hours=1)
        )
    assert swept == 2
    assert {key for key, _ in storage.listing()} == {kept, f"{kept}.thumb", "att_young"}


async def test_storage_refuses_keys_that_are_not_plain_names(tmp_path: Path) -> None:
    store = DirectoryStorage(tmp_path)
    for key in ("../etc/passwd", "a/b", "", ".hidden"):
        with pytest.raises(ValueError, match="storage key"):
            store.path(key)
    with pytest.raises(KeyError):
        await store.get("att_missing")
    await store.delete("att_missing")


async def test_the_upload_allowance_holds_for_chunked_bodies_and_only_on_its_path() -> None:
    """`BodySizeLimit` with the uploads' allowance, on bodies sent without Content-Length."""

    async def echo(scope: Any, receive: Any, send: Any) -> None:
        size = 0
        while True:
            message = await receive()
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(size).encode()})

    limited = BodySizeLimit(
        echo, max_bytes=1000, allowances=[(r"/v1/work-orders/[^/]+/attachments", 5000)]
    )

    async def chunks(total: int) -> Any:
        for _ in range(total // 500):
            yield b"x" * 500

    transport = httpx.ASGITransport(app=limited)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        upload_path = "/v1/work-orders/wo_1/attachments"
        assert (await http.post(upload_path, content=chunks(4000))).text == "4000"
        assert (await http.post(upload_path, content=chunks(6000))).status_code == 413
        assert (await http.post("/v1/work-orders", content=chunks(2000))).status_code == 413
        assert (
            await http.post("/v1/work-orders/wo_1/attachments/x", content=chunks(2000))
        ).status_code == 413
        declared = await http.post(upload_path, content=b"x" * 4000)
        assert declared.text == "4000"
