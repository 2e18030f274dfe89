"""What every use case runs with: the request's session (it owns the transaction), who is asking, when."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.config import Settings
    from workorders.domain.actors import Principal


class Asking(Protocol):
    """Who is asking and when, with the settings: all that deciding what a caller may do with an
    order, and presenting it, needs of a request. A `Context` is one; so is an `Asker`."""

    @property
    def principal(self) -> Principal: ...

    @property
    def now(self) -> datetime: ...

    @property
    def settings(self) -> Settings: ...


@dataclass(frozen=True, slots=True)
class Asker:
    """A request that only presents what it read: no session (reading one order, api/deps.py)."""

    principal: Principal
    now: datetime
    settings: Settings


@dataclass(frozen=True)
class Context:
    session: AsyncSession
    principal: Principal
    now: datetime
    settings: Settings
