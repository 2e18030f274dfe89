"""Photos on work orders: judge the bytes, strip their metadata, store them with a thumbnail.

An upload writes its files first and its row (with a `work_order.attachment_added` event) second, in the
request's transaction. The files of a transaction that rolls back are deleted at once by a session hook;
a process that dies between the write and the commit leaves files without a row, which
`sweep_orphans` removes once they are older than any transaction could still be running. Deleting
works the other way round: rows go in the transaction, their files only once it has committed, so a
rolled-back delete never leaves rows pointing at nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import TYPE_CHECKING, ClassVar

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import delete, event, func, select

from workorders.db import new_id
from workorders.domain.actors import Role
from workorders.domain.lifecycle import OPEN_STATUSES, Status
from workorders.errors import (
    N_,
    Conflict,
    Forbidden,
    Label,
    NotFound,
    PayloadTooLarge,
    ServiceError,
    _,
)
from workorders.models import WorkOrder
from workorders.models.attachments import Attachment
from workorders.services import events, work_orders

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

    from workorders.services.context import Context
    from workorders.storage import DirectoryStorage

PURPOSES = ("photo", "before", "after")
# Pillow's format name -> the type we store and serve.
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
THUMBNAIL_EDGE = 320
# Beyond this many pixels an image is refused before it is decoded (a small file can unpack huge).
MAX_PIXELS = 50_000_000
# What survives the re-encoding of `info`: colour, not metadata.
_KEPT_INFO = ("icc_profile", "transparency")

_WRITTEN = "workorders.attachments.written"
_UNLINK = "workorders.attachments.unlink"


class UnsupportedMediaType(ServiceError):
    """Defined here rather than in errors.py (owned elsewhere); it belongs to the same family."""

    status: ClassVar[int] = 415
    slug: ClassVar[str] = "unsupported-media-type"
    title: ClassVar[str] = N_("Unsupported media type")


# --- images (blocking: run in a thread) -------------------------------------------------------------


@dataclass(frozen=True)
class Processed:
    content_type: str
    data: bytes
    width: int
    height: int
    thumbnail: bytes


def process_image(data: bytes) -> Processed:
    """Decode JPEG, PNG or WebP as the bytes say; apply the EXIF orientation, then re-encode without
    EXIF, GPS, XMP or comments; make a JPEG thumbnail."""
    try:
        with Image.open(BytesIO(data), formats=list(CONTENT_TYPES)) as source:
            if source.width * source.height > MAX_PIXELS:
                raise PayloadTooLarge(
                    _("the image has more than {pixels} pixels", pixels=MAX_PIXELS)
                )
            source.load()
            # Phones write MPO (a JPEG with a second, depth or preview, image after it): the first
            # image is the photo, and it is a JPEG.
            fmt = "JPEG" if source.format == "MPO" else str(source.format)
            if fmt not in CONTENT_TYPES:
                raise UnidentifiedImageError(fmt)
            image = ImageOps.exif_transpose(source)
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise UnsupportedMediaType(_("the file is not a JPEG, PNG or WebP image")) from None
    except (OSError, SyntaxError, ValueError):
        raise UnsupportedMediaType(_("the image is damaged or truncated")) from None
    image.info = {k: v for k, v in image.info.items() if k in _KEPT_INFO}
    out = BytesIO()
    if fmt == "JPEG":
        if image.mode not in ("L", "RGB", "CMYK"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=88)
    elif fmt == "PNG":
        image.save(out, "PNG")
    else:
        image.save(out, "WEBP", quality=85)
    return Processed(CONTENT_TYPES[fmt], out.getvalue(), image.width, image.height, _thumb(image))


def _thumb(image: Image.Image) -> bytes:
    thumb = image.copy()
    thumb.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
    if thumb.mode in ("RGBA", "LA", "PA") or (thumb.mode == "P" and "transparency" in thumb.info):
        rgba = thumb.convert("RGBA")
        thumb = Image.new("RGB", rgba.size, "white")
        thumb.paste(rgba, mask=rgba.getchannel("A"))
    elif thumb.mode != "RGB":
        thumb = thumb.convert("RGB")
    out = BytesIO()
    thumb.save(out, "JPEG", quality=80)
    return out.getvalue()


# --- files and the transaction ----------------------------------------------------------------------


def _hooks(session: AsyncSession) -> dict[str, list[tuple[DirectoryStorage, str]]]:
    sync_session = session.sync_session
    if not event.contains(sync_session, "after_commit", _after_commit):
        event.listen(sync_session, "after_commit", _after_commit)
        event.listen(sync_session, "after_rollback", _after_rollback)
    return sync_session.info


def _after_commit(sync_session: Session) -> None:
    sync_session.info.pop(_WRITTEN, None)
    for storage, key in sync_session.info.pop(_UNLINK, []):
        storage.delete_now(key)


def _after_rollback(sync_session: Session) -> None:
    sync_session.info.pop(_UNLINK, None)
    for storage, key in sync_session.info.pop(_WRITTEN, []):
        storage.delete_now(key)


async def _put(session: AsyncSession, storage: DirectoryStorage, key: str, data: bytes) -> None:
    _hooks(session).setdefault(_WRITTEN, []).append((storage, key))
    await storage.put(key, data)


def _unlink_after_commit(session: AsyncSession, storage: DirectoryStorage, key: str) -> None:
    _hooks(session).setdefault(_UNLINK, []).append((storage, key))


# --- use cases --------------------------------------------------------------------------------------


def _check_uploader(ctx: Context, order: WorkOrder) -> None:
    """`order` is one the caller may see; of those, who may add to it, and when."""
    role = ctx.principal.role
    if role is Role.OWNER and Status(order.status) not in OPEN_STATUSES:
        raise Conflict(
            _(
                "this order is {status}: owners add photos while it is open (reopen it first, or ask customer service)",
                status=Label("status", order.status),
            )
        )
    if role is Role.ADMIN:
        raise Forbidden(_("the admin configures the service and does not add photos to orders"))


async def prepare(ctx: Context, order: WorkOrder, data: bytes) -> Processed:
    """Check the caller and the bytes, then decode, strip and re-encode them in a thread: before the
    writing transaction opens, so Pillow's work never holds SQLite's write lock (nor the event loop)."""
    _check_uploader(ctx, order)
    limit = ctx.settings.attachment_max_bytes
    if len(data) > limit:
        raise PayloadTooLarge(
            _(
                "a photo may be at most {limit} bytes; this one is {size}",
                limit=limit,
                size=len(data),
            )
        )
    return await asyncio.to_thread(process_image, data)


async def add(
    ctx: Context,
    order: WorkOrder,
    storage: DirectoryStorage,
    *,
    processed: Processed,
    purpose: str,
) -> Attachment:
    """Store a prepared image on `order` in the request's writing transaction."""
    _check_uploader(ctx, order)  # again: the order may have closed since `prepare`
    # Concurrent uploads to one order queue here (PostgreSQL; SQLite serialises writers anyway), so
    # the count below cannot be raced past the limit.
    await ctx.session.execute(
        select(WorkOrder.id).where(WorkOrder.id == order.id).with_for_update()
    )
    count = (
        await ctx.session.execute(
            select(func.count()).select_from(Attachment).where(Attachment.work_order_id == order.id)
        )
    ).scalar_one()
    if count >= ctx.settings.attachments_per_order:
        raise Conflict(
            _(
                "an order holds at most {attachments_per_order} attachments",
                attachments_per_order=ctx.settings.attachments_per_order,
            )
        )
    attachment_id = new_id("att")
    attachment = Attachment(
        id=attachment_id,
        property_id=order.property_id,
        work_order_id=order.id,
        purpose=purpose,
        content_type=processed.content_type,
        size=len(processed.data),
        width=processed.width,
        height=processed.height,
        storage_key=attachment_id,
        thumbnail_key=f"{attachment_id}.thumb",
        thumbnail_size=len(processed.thumbnail),
        uploaded_by_type=ctx.principal.actor_type,
        uploaded_by_id=ctx.principal.sub,
        created_at=ctx.now,
    )
    await _put(ctx.session, storage, attachment.storage_key, processed.data)
    await _put(ctx.session, storage, attachment.thumbnail_key, processed.thumbnail)
    ctx.session.add(attachment)
    await ctx.session.flush()
    await events.record(
        ctx.session,
        order=order,
        type="work_order.attachment_added",
        actor=ctx.principal,
        at=ctx.now,
        extra={
            "attachment_id": attachment.id,
            "purpose": purpose,
            "content_type": attachment.content_type,
        },
    )
    return attachment


async def list_for(ctx: Context, order: WorkOrder) -> list[Attachment]:
    query = (
        select(Attachment)
        .where(Attachment.work_order_id == order.id)
        .order_by(Attachment.created_at, Attachment.id)
    )
    return list((await ctx.session.execute(query)).scalars().all())


async def get_visible(ctx: Context, attachment_id: str) -> Attachment:
    """The attachment, when the caller may see its order; 404 alike for missing and not visible."""
    found = await ctx.session.get(Attachment, attachment_id)
    if found is not None and found.property_id == ctx.principal.property_id:
        try:
            await work_orders.get_visible(ctx, found.work_order_id)
        except NotFound:
            pass
        else:
            return found
    raise NotFound(
        _(
            "attachment {attachment_id} does not exist or is not visible to you",
            attachment_id=attachment_id,
        )
    )


async def read(storage: DirectoryStorage, attachment: Attachment, *, thumbnail: bool) -> bytes:
    key = attachment.thumbnail_key if thumbnail else attachment.storage_key
    try:
        return await storage.get(key)
    except KeyError:
        raise NotFound(_("the file of attachment {id} is gone", id=attachment.id)) from None


async def delete_for_order(session: AsyncSession, storage: DirectoryStorage, order_id: str) -> int:
    """Remove an order's attachments (cancellation, retention): rows now, files after the commit."""
    rows = (
        (await session.execute(select(Attachment).where(Attachment.work_order_id == order_id)))
        .scalars()
        .all()
    )
    for row in rows:
        _unlink_after_commit(session, storage, row.storage_key)
        _unlink_after_commit(session, storage, row.thumbnail_key)
    await session.execute(delete(Attachment).where(Attachment.work_order_id == order_id))
    return len(rows)


async def sweep_orphans(
    session: AsyncSession,
    storage: DirectoryStorage,
    *,
    now: datetime,
    older_than: timedelta = timedelta(hours=1),
) -> int:
    """Delete files that no attachment row names and that are older than `older_than` (younger
    ones may belong to a transaction still running). For a periodic worker or an operator."""
    cutoff = (now - older_than).astimezone(UTC).timestamp()
    candidates = [
        key
        for key, mtime in await asyncio.to_thread(lambda: list(storage.listing()))
        if mtime < cutoff
    ]
    if not candidates:
        return 0
    base_ids = sorted({key.removesuffix(".thumb") for key in candidates})
    known: set[str] = set()
    for start in range(0, len(base_ids), 500):
        chunk = base_ids[start : start + 500]
        query = select(Attachment.id).where(Attachment.id.in_(chunk))
        known.update((await session.execute(query)).scalars().all())
    orphans = [key for key in candidates if key.removesuffix(".thumb") not in known]
    for key in orphans:
        await storage.delete(key)
    return len(orphans)
