"""Photos: `/v1/work-orders/{id}/attachments` and `/v1/attachments/{id}` (API.md, "Photos")."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Request, Response, UploadFile
from pydantic import BaseModel

from workorders.api import V1
from workorders.api.deps import ReadContext, VisibleOrder, VisibleOrderForUpdate, WriteContext
from workorders.api.idempotent import IdempotencyKey, create_once
from workorders.api.responses import problems
from workorders.services import attachments
from workorders.storage import DirectoryStorage

if TYPE_CHECKING:
    from workorders.config import Settings
    from workorders.models.attachments import Attachment

router = APIRouter(prefix=V1, tags=["attachments"])

Purpose = Literal["photo", "before", "after"]
AttachmentId = Annotated[str, Path(max_length=64, description="The attachment's id (`att_…`)")]
# Room for the multipart framing around a file of the largest allowed size.
MULTIPART_OVERHEAD = 64 * 1024
_IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")


def body_allowances(settings: Settings) -> list[tuple[str, int]]:
    """The body limit of the upload route, for `BodySizeLimit` (JSON routes keep theirs)."""
    return [
        (r"/v1/work-orders/[^/]+/attachments", settings.attachment_max_bytes + MULTIPART_OVERHEAD)
    ]


def get_storage(request: Request) -> DirectoryStorage:
    return DirectoryStorage.from_settings(request.app.state.settings)


Storage = Annotated[DirectoryStorage, Depends(get_storage)]


@dataclass(frozen=True)
class _Upload:
    image: attachments.Processed
    sha256: str


async def _prepare(
    order: VisibleOrder,
    ctx: ReadContext,
    file: Annotated[UploadFile, File(description="The image")],
) -> _Upload:
    """The image, judged and stripped while only a read transaction is open: declared first among
    the upload's parameters, so it is solved before the writing transaction begins (404 first)."""
    data = await file.read(ctx.settings.attachment_max_bytes + 1)
    image = await attachments.prepare(ctx, order, data)
    return _Upload(image, hashlib.sha256(data).hexdigest())


PreparedUpload = Annotated[_Upload, Depends(_prepare)]


class Uploader(BaseModel):
    type: str
    id: str | None


class AttachmentRead(BaseModel):
    id: str
    content_type: str
    size: int
    width: int
    height: int
    purpose: Purpose
    url: str
    thumbnail_url: str
    created_at: datetime
    uploaded_by: Uploader


class _UploadFingerprint(BaseModel):
    """What `Idempotency-Key` compares for an upload: the purpose and the file's digest."""

    purpose: str
    sha256: str


class AttachmentList(BaseModel):
    items: list[AttachmentRead]


def _read(row: Attachment) -> AttachmentRead:
    return AttachmentRead(
        id=row.id,
        content_type=row.content_type,
        size=row.size,
        width=row.width,
        height=row.height,
        purpose=row.purpose,
        url=f"/v1/attachments/{row.id}",
        thumbnail_url=f"/v1/attachments/{row.id}/thumbnail",
        created_at=row.created_at,
        uploaded_by=Uploader(type=row.uploaded_by_type, id=row.uploaded_by_id),
    )


_UPLOAD_PROBLEMS: dict[int | str, dict[str, Any]] = {
    **problems(403, 404, 409),
    415: {"description": "The file is not a JPEG, PNG or WebP image (judged from its bytes)"},
}
_IMAGE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The image",
        "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in _IMAGE_TYPES},
    },
    **problems(404),
}


@router.post(
    "/work-orders/{order_id}/attachments",
    status_code=201,
    operation_id="createWorkOrderAttachment",
    summary="Attach a photo (JPEG, PNG or WebP, at most 10 MiB); its metadata is removed",
    response_model=AttachmentRead,
    responses=_UPLOAD_PROBLEMS,
)
async def create_attachment(
    upload: PreparedUpload,
    order: VisibleOrderForUpdate,
    ctx: WriteContext,
    storage: Storage,
    purpose: Annotated[Purpose, Form(description="`before`/`after` for technicians")] = "photo",
    idempotency_key: IdempotencyKey = None,
) -> Response:
    async def create() -> tuple[BaseModel, str]:
        row = await attachments.add(ctx, order, storage, processed=upload.image, purpose=purpose)
        body = _read(row)
        return body, body.url

    # An app on a flaky network sends the same photo again: same key and bytes, same answer.
    fingerprint = _UploadFingerprint(purpose=purpose, sha256=upload.sha256)
    response = await create_once(
        ctx, idempotency_key, operation=f"attachment:{order.id}", body=fingerprint, create=create
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(
    "/work-orders/{order_id}/attachments",
    operation_id="listWorkOrderAttachments",
    summary="The order's attachments, oldest first",
    responses=problems(404),
)
async def list_attachments(order: VisibleOrder, ctx: ReadContext) -> AttachmentList:
    return AttachmentList(items=[_read(r) for r in await attachments.list_for(ctx, order)])


async def _image(
    ctx: Any, storage: DirectoryStorage, attachment_id: str, thumbnail: bool
) -> Response:
    row = await attachments.get_visible(ctx, attachment_id)
    data = await attachments.read(storage, row, thumbnail=thumbnail)
    return Response(
        data,
        media_type="image/jpeg" if thumbnail else row.content_type,
        # Photos of someone's home are personal data: no shared cache keeps them.
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


@router.get(
    "/attachments/{attachment_id}",
    operation_id="getAttachment",
    summary="The attachment's image, to whoever may see its order",
    response_class=Response,
    responses=_IMAGE_RESPONSE,
)
async def get_attachment(
    attachment_id: AttachmentId, ctx: ReadContext, storage: Storage
) -> Response:
    return await _image(ctx, storage, attachment_id, thumbnail=False)


@router.get(
    "/attachments/{attachment_id}/thumbnail",
    operation_id="getAttachmentThumbnail",
    summary="A JPEG at most 320 px on its longer side, for lists",
    response_class=Response,
    responses=_IMAGE_RESPONSE,
)
async def get_attachment_thumbnail(
    attachment_id: AttachmentId, ctx: ReadContext, storage: Storage
) -> Response:
    return await _image(ctx, storage, attachment_id, thumbnail=True)
