"""A property's routing models: the package's default, and versions retrained with what customer
service taught the property, each kept with the figures it was judged by.

Retraining (`retrain`, run by `workorders routing train --property P` and by the worker) reads the
examples (`plan`), trains and judges outside any transaction (`model_training.build`), and stores the
new version (`store`), activating it only when it is not worse than the active model on held-out
examples; a refused version is kept with its figures so that the manager can read why (and still
activate it by hand).

The active model is what routing uses, loaded once per configuration revision per process (the
configuration cache), and a stored version is unpickled once per process however often the revision
moves.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from workorders import routing_model
from workorders.db import new_id, transaction
from workorders.domain.actors import ActorType, Role
from workorders.errors import Conflict, Forbidden, NotFound, _
from workorders.models import RoutingModel
from workorders.services import configuration, events, model_training, routing_examples
from workorders.services.pagination import Ordering, fetch_page

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.db import Database
    from workorders.routing_model import TextClassifier
    from workorders.services.context import Context

MODEL_KEY = "routing.model"
NEWEST_FIRST = Ordering(
    "models-newest", (RoutingModel.created_at, RoutingModel.id), descending=True
)

# Stored versions never change, so an unpickled one can be kept by its row id across revisions.
_LOADED: OrderedDict[str, TextClassifier] = OrderedDict()
_LOADED_MAX = 16
# How often storing a version takes the next name after another retraining took the one it chose.
VERSION_ATTEMPTS = 5


async def _default() -> TextClassifier:
    """The package's default model (built once per process, the first time: not on the loop)."""
    return await asyncio.to_thread(routing_model.default_classifier)


# --- routing with it -----------------------------------------------------------------------------


async def load_active(session: AsyncSession, property_id: str) -> TextClassifier:
    """The property's active model: its active stored version, or the package's default."""
    row = (
        await session.execute(
            select(RoutingModel.id).where(
                RoutingModel.property_id == property_id, RoutingModel.active
            )
        )
    ).scalar_one_or_none()
    if row is None:
        return await _default()
    return await _classifier(session, row)


async def _classifier(session: AsyncSession, model_id: str) -> TextClassifier:
    if model_id in _LOADED:
        _LOADED.move_to_end(model_id)
        return _LOADED[model_id]
    blob = await session.scalar(select(RoutingModel.blob).where(RoutingModel.id == model_id))
    assert blob is not None
    classifier = await asyncio.to_thread(routing_model.loads, blob)
    _LOADED[model_id] = classifier
    while len(_LOADED) > _LOADED_MAX:
        _LOADED.popitem(last=False)
    return classifier


async def classifier_of(session: AsyncSession, property_id: str, version: str) -> TextClassifier:
    """A named version of the property's (or the package's) model; LookupError when unknown."""
    default = await _default()
    if version == default.version:
        return default
    model_id = await session.scalar(
        select(RoutingModel.id).where(
            RoutingModel.property_id == property_id, RoutingModel.version == version
        )
    )
    if model_id is None:
        raise LookupError(version)
    return await _classifier(session, model_id)


# --- the manager's view --------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelEntry:
    version: str
    origin: str
    active: bool
    created_at: datetime | None
    figures: dict[str, Any] | None
    trained_on: dict[str, Any] | None


def _entry(row: RoutingModel) -> ModelEntry:
    return ModelEntry(
        row.version, "property", row.active, row.created_at, row.figures, row.trained_on
    )


async def _any_active(session: AsyncSession, property_id: str) -> bool:
    query = select(func.count()).where(RoutingModel.property_id == property_id, RoutingModel.active)
    return bool(await session.scalar(query))


async def list_models(
    ctx: Context, *, limit: int, cursor: str | None
) -> tuple[list[ModelEntry], str | None]:
    """The package's default first (on the first page), then the property's versions, newest first."""
    if ctx.principal.role not in (Role.MANAGER, Role.ADMIN):
        raise Forbidden(_("the routing models are the manager's and the admin's"))
    property_id = ctx.principal.property_id
    query = select(RoutingModel).where(RoutingModel.property_id == property_id)
    rows, next_cursor = await fetch_page(
        ctx.session, query, NEWEST_FIRST, limit=limit, cursor=cursor
    )
    entries = [_entry(r) for r in rows]
    if cursor is None:
        default = await _default()
        active = not await _any_active(ctx.session, property_id)
        entries.insert(0, ModelEntry(default.version, "package", active, None, None, None))
    return entries, next_cursor


async def activate(ctx: Context, version: str) -> ModelEntry:
    """Make `version` the property's model (the package's default's version: back to the default)."""
    if ctx.principal.role is not Role.MANAGER:
        raise Forbidden(_("the manager chooses the routing model"))
    property_id = ctx.principal.property_id
    await configuration.touch(ctx.session, property_id)
    default = await _default()
    row = (
        await ctx.session.execute(
            select(RoutingModel).where(
                RoutingModel.property_id == property_id, RoutingModel.version == version
            )
        )
    ).scalar_one_or_none()
    if row is None and version != default.version:
        raise NotFound(_("routing model {version} does not exist", version=version))
    previous = await _switch(ctx.session, property_id, row)
    await _record(
        ctx.session,
        property_id,
        "routing_model.activated",
        {"version": version, "previous_version": previous or default.version},
        now=ctx.now,
        actor=(ctx.principal.actor_type, ctx.principal.sub, str(ctx.principal.role)),
    )
    if row is None:
        return ModelEntry(default.version, "package", True, None, None, None)
    return _entry(row)


async def _switch(session: AsyncSession, property_id: str, row: RoutingModel | None) -> str | None:
    """Make `row` (None: the package's default) the only active version; the previous one's name."""
    previous = await session.scalar(
        select(RoutingModel.version).where(
            RoutingModel.property_id == property_id, RoutingModel.active
        )
    )
    await session.execute(
        update(RoutingModel)
        .where(RoutingModel.property_id == property_id, RoutingModel.active)
        .values(active=False)
        .execution_options(synchronize_session="fetch")
    )
    if row is not None:
        row.active = True
    await session.flush()
    return previous


# --- retraining ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a retraining did: `version` None when there was nothing to judge a new model on."""

    version: str | None
    activated: bool
    reason: str
    figures: dict[str, Any]


async def plan(
    session: AsyncSession, property_id: str, *, seed: int = 0
) -> model_training.Plan | None:
    """The examples to learn from and to judge on; None when too few are new to judge anything."""
    examples = await routing_examples.all_of(session, property_id)
    active_row = (
        await session.execute(
            select(RoutingModel).where(RoutingModel.property_id == property_id, RoutingModel.active)
        )
    ).scalar_one_or_none()
    active = await load_active(session, property_id)
    seen_by_active = active_row.examples_seen if active_row is not None else 0
    latest = model_training.latest_per_order(examples)
    unseen = [e for index, e in latest if index >= seen_by_active]
    _, held_out = model_training.held_out_split(unseen, seed)
    if not held_out:
        return None
    return model_training.Plan(
        property_id=property_id,
        seed=seed,
        examples_seen=len(examples),
        active_version=active.version,
        active=active,
        latest=[model_training.labelled(e) for _, e in latest],
        held_out=[model_training.labelled(e) for e in held_out],
    )


async def store(
    session: AsyncSession, trained: model_training.Trained, *, now: datetime
) -> Outcome:
    """Keep the new version with its figures; activate it when it was judged not worse against the
    model that is still active (another activation meanwhile voids the comparison)."""
    plan = trained.plan
    property_id = plan.property_id
    activate, reason = trained.activate, trained.reason
    if activate:
        await configuration.touch(session, property_id)
        current = await session.scalar(
            select(RoutingModel.version).where(
                RoutingModel.property_id == property_id, RoutingModel.active
            )
        )
        if (current or (await _default()).version) != plan.active_version:
            activate, reason = False, "the active model changed while this one was trained"
    figures = trained.figures | {"activated": activate, "reason": reason}
    row = await _insert_version(session, trained, figures, now=now)
    version = row.version
    if activate:
        await _switch(session, property_id, row)
    await _record(
        session,
        property_id,
        "routing_model.trained",
        {"version": version, "activated": activate, "reason": reason},
        now=now,
    )
    await session.flush()
    return Outcome(version, activate, reason, figures)


async def _insert_version(
    session: AsyncSession,
    trained: model_training.Trained,
    figures: dict[str, Any],
    *,
    now: datetime,
) -> RoutingModel:
    """Store the model under the property's next free version name.

    Two retrainings of one property may store at once (the CLI beside the worker, two worker
    replicas on SQLite, where no advisory lock keeps them apart): both would read the same highest
    number. The unique index on (property, version) lets one of them win; the other's insert fails
    inside a savepoint and it takes the next number, reading again what has been committed since.
    """
    property_id = trained.plan.property_id
    for _attempt in range(VERSION_ATTEMPTS):
        names = (
            await session.scalars(
                select(RoutingModel.version).where(RoutingModel.property_id == property_id)
            )
        ).all()
        version = f"{property_id}-v{_highest_number(property_id, names) + 1}"
        trained.model.version = version
        row = RoutingModel(
            id=new_id("rmod"),
            property_id=property_id,
            version=version,
            active=False,
            figures=figures,
            trained_on=trained.trained_on,
            examples_seen=trained.plan.examples_seen,
            blob=trained.model.dumps(),
            created_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(row)
        except IntegrityError:
            continue
        return row
    raise Conflict(
        _("no free version name for a model of {property_id}; try again", property_id=property_id)
    )


def _highest_number(property_id: str, versions: Sequence[str]) -> int:
    prefix = f"{property_id}-v"
    numbers = [int(v[len(prefix) :]) for v in versions if v.startswith(prefix)]
    return max((n for n in numbers if n >= 0), default=0)


async def retrain(db: Database, property_id: str, *, now: datetime, seed: int = 0) -> Outcome:
    """Retrain the property's model (the CLI's and the worker's job; never a request's).

    Three steps, so that no transaction stays open (and, on SQLite, no write lock is held) while
    the model trains: read the examples, train in a thread, write the new version.
    """
    async with transaction(db.reader) as session:
        found = await plan(session, property_id, seed=seed)
    if found is None:
        return Outcome(None, False, "too few new examples to judge a new model on", {})
    trained = await asyncio.to_thread(model_training.build, found)
    async with transaction(db.writer) as session:
        return await store(session, trained, now=now)


async def retrain_due(session: AsyncSession, property_id: str, after: int) -> bool:
    """Whether `after` examples arrived since the property's last retraining (or ever)."""
    seen = await session.scalar(
        select(func.max(RoutingModel.examples_seen)).where(RoutingModel.property_id == property_id)
    )
    return await routing_examples.count(session, property_id) - (seen or 0) >= after


async def _record(
    session: AsyncSession,
    property_id: str,
    type: str,
    data: dict[str, Any],
    *,
    now: datetime,
    actor: tuple[ActorType, str | None, str | None] | None = None,
) -> None:
    actor_type, actor_id, role = actor or (ActorType.SYSTEM, None, None)
    await events.write(
        session,
        [
            events.property_row(
                property_id=property_id,
                type=type,
                actor_type=actor_type,
                actor_id=actor_id,
                at=now,
                data=data | {"actor_role": role},
            )
        ],
    )
