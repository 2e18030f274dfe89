"""`/v1/labels`: every label the app shows, in both languages (API.md, "Two languages")."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from workorders.api import V1
from workorders.api.deps import CurrentPrincipal
from workorders.api.responses import problems
from workorders.i18n import CATALOGUE, EN, ZH

router = APIRouter(prefix=V1, tags=["labels"])


class LabelSet(BaseModel):
    status: dict[str, str]
    queue: dict[str, str]
    priority: dict[str, str]
    kind: dict[str, str]
    category: dict[str, str]


class Labels(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    zh_cn: LabelSet = Field(alias="zh-CN")
    en: LabelSet


@router.get(
    "/labels",
    operation_id="listLabels",
    summary="Every status, queue, priority, kind and category label in zh-CN and en",
    response_model=Labels,
    responses=problems(),
)
async def list_labels(_principal: CurrentPrincipal) -> Labels:
    return Labels(
        zh_cn=LabelSet.model_validate(CATALOGUE[ZH]), en=LabelSet.model_validate(CATALOGUE[EN])
    )
