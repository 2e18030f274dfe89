"""What every use case runs with: the request's session (it owns the transaction), who is asking, when."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.config import Settings
    from workorders.domain.actors import Principal


@dataclass(frozen=True)
class Context:
    session: AsyncSession
    principal: Principal
    now: datetime
    settings: Settings
