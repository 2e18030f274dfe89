"""A property's routing models: the package's default, and versions retrained with what customer
service taught the property, each kept with the figures it was judged by.

Retraining (`retrain`, run by `workorders routing train --property P` and by the worker) learns from the
shipped corpus plus the property's examples — each example counted `COPIES` times, so that a few dozen
corrections can outweigh thousands of corpus lines written to another convention — and judges the
result on a held-out share of the examples the active model has never seen (stratified by queue, fixed
seed, an order's examples and their copies on one side only), against the active model on the same
examples. It activates the new version only when it is not worse; a refused version is kept with its
figures so that the manager can read why (and still activate it by hand).

The active model is what routing uses, loaded once per configuration revision per process (the
configuration cache), and a stored version is unpickled once per process however often the revision
moves.
"""

from __future__ import annotations

import asyncio
import random
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from workorders import routing_model
from workorders.db import new_id
from workorders.domain.actors import ActorType, Role
from workorders.domain.taxonomy import Priority, Queue
from workorders.errors import Forbidden, NotFound
from workorders.models import Event, RoutingModel
from workorders.services import configuration, routing_examples
from workorders.services.pagination import Ordering, fetch_page

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.models import RoutingExample
    from workorders.routing_model import LabelledExample, TextClassifier
    from workorders.services.context import Context

MODEL_KEY = "routing.model"
# One correction of the property's weighs as much as this many corpus lines.
COPIES = 5
HELD_OUT_SHARE = 0.25
NEWEST_FIRST = Ordering(
    "models-newest", (RoutingModel.created_at, RoutingModel.id), descending=True
)

# Stored versions never change, so an unpickled one can be kept by its row id across revisions.
_LOADED: OrderedDict[str, TextClassifier] = OrderedDict()
_LOADED_MAX = 16


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
        return await asyncio.to_thread(routing_model.default_classifier)
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
    default = await asyncio.to_thread(routing_model.default_classifier)
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
        raise Forbidden("the routing models are the manager's and the admin's")
    property_id = ctx.principal.property_id
    query = select(RoutingModel).where(RoutingModel.property_id == property_id)
    rows, next_cursor = await fetch_page(
        ctx.session, query, NEWEST_FIRST, limit=limit, cursor=cursor
    )
    entries = [_entry(r) for r in rows]
    if cursor is None:
        default = await asyncio.to_thread(routing_model.default_classifier)
        active = not await _any_active(ctx.session, property_id)
        entries.insert(0, ModelEntry(default.version, "package", active, None, None, None))
    return entries, next_cursor


async def activate(ctx: Context, version: str) -> ModelEntry:
    """Make `version` the property's model (the package's default's version: back to the default)."""
    if ctx.principal.role is not Role.MANAGER:
        raise Forbidden("the manager chooses the routing model")
    property_id = ctx.principal.property_id
    await configuration.touch(ctx.session, property_id)
    default = await asyncio.to_thread(routing_model.default_classifier)
    row = (
        await ctx.session.execute(
            select(RoutingModel).where(
                RoutingModel.property_id == property_id, RoutingModel.version == version
            )
        )
    ).scalar_one_or_none()
    if row is None and version != default.version:
        raise NotFound(f"routing model {version} does not exist")
    previous = await _switch(ctx.session, property_id, row)
    _record(
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


def _language(text: str) -> str:
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"


def _labelled(example: RoutingExample) -> LabelledExample:
    return routing_model.LabelledExample(
        text=example.description,
        queue=Queue(example.queue),
        priority=Priority(example.priority),
        language=_language(example.description),
        source=f"work_order:{example.work_order_id}",
    )


def _latest_per_order(examples: Sequence[RoutingExample]) -> list[tuple[int, RoutingExample]]:
    """Each order's last lesson (a later correction of the same order supersedes an earlier one),
    with its index in the property's examples, oldest first."""
    latest: dict[str, tuple[int, RoutingExample]] = {}
    for index, example in enumerate(examples):
        latest[example.work_order_id] = (index, example)
    return sorted(latest.values(), key=lambda pair: pair[0])


def held_out_split(
    candidates: Sequence[RoutingExample], seed: int
) -> tuple[list[RoutingExample], list[RoutingExample]]:
    """(kept for training, held out) — per queue a `HELD_OUT_SHARE` (at least one when the queue has
    two or more), chosen with a fixed seed. One example per order, so an order is on one side only."""
    by_queue: dict[str, list[RoutingExample]] = {}
    for example in candidates:
        by_queue.setdefault(example.queue, []).append(example)
    held: set[str] = set()
    chooser = random.Random(seed)
    for queue in sorted(by_queue):
        group = sorted(by_queue[queue], key=lambda e: e.id)
        chooser.shuffle(group)
        take = max(1, round(len(group) * HELD_OUT_SHARE)) if len(group) >= 2 else 0
        held.update(e.id for e in group[:take])
    return [e for e in candidates if e.id not in held], [e for e in candidates if e.id in held]


def not_worse(candidate: dict[str, Any], baseline: dict[str, Any]) -> bool:
    """No lower queue accuracy, and no lower urgent recall where both could be measured."""
    if candidate["accuracy"] < baseline["accuracy"]:
        return False
    ours, theirs = candidate.get("urgent_recall"), baseline.get("urgent_recall")
    return ours is None or theirs is None or ours >= theirs


def _training_set(
    corpus: Sequence[LabelledExample], examples: Sequence[RoutingExample]
) -> list[LabelledExample]:
    return [*corpus, *(_labelled(e) for e in examples for _ in range(COPIES))]


async def retrain(
    session: AsyncSession, property_id: str, *, now: datetime, seed: int = 0
) -> Outcome:
    """Train a new version of the property's model, judge it, store it, activate it if not worse.

    Training runs in a thread; the caller's transaction stays open meanwhile (the CLI's and the
    worker's own, never a request's).
    """
    examples = await routing_examples.all_of(session, property_id)
    active_row = (
        await session.execute(
            select(RoutingModel).where(RoutingModel.property_id == property_id, RoutingModel.active)
        )
    ).scalar_one_or_none()
    active = await load_active(session, property_id)
    seen_by_active = active_row.examples_seen if active_row is not None else 0
    latest = _latest_per_order(examples)
    unseen = [e for index, e in latest if index >= seen_by_active]
    _, held_out = held_out_split(unseen, seed)
    if not held_out:
        return Outcome(None, False, "too few new examples to judge a new model on", {})
    kept = [e for _, e in latest if e not in held_out]

    corpus = await asyncio.to_thread(routing_model.load_corpus)
    candidate = await asyncio.to_thread(routing_model.train, _training_set(corpus, kept), seed=seed)
    judged_on = [_labelled(e) for e in held_out]
    ours = routing_model.evaluate(candidate, judged_on).as_dict()
    theirs = routing_model.evaluate(active, judged_on).as_dict()
    activated = not_worse(ours, theirs)
    if activated:
        reason = "not worse than the active model on the held-out examples"
        final = await asyncio.to_thread(
            routing_model.train, _training_set(corpus, [e for _, e in latest]), seed=seed
        )
        trained_on = {"corpus": len(corpus), "examples": len(latest), "copies": COPIES}
    else:
        reason = "worse than the active model on the held-out examples"
        final = candidate
        trained_on = {"corpus": len(corpus), "examples": len(kept), "copies": COPIES}

    versions = await session.scalar(
        select(func.count()).where(RoutingModel.property_id == property_id)
    )
    final.version = f"{property_id}-v{(versions or 0) + 1}"
    figures = {
        "held_out": ours,
        "baseline": {"version": active.version, **theirs},
        "activated": activated,
        "reason": reason,
        "seed": seed,
    }
    row = RoutingModel(
        id=new_id("rmod"),
        property_id=property_id,
        version=final.version,
        active=False,
        figures=figures,
        trained_on=trained_on,
        examples_seen=len(examples),
        blob=final.dumps(),
        created_at=now,
    )
    session.add(row)
    await session.flush()
    if activated:
        await configuration.touch(session, property_id)
        await _switch(session, property_id, row)
    _record(
        session,
        property_id,
        "routing_model.trained",
        {"version": final.version, "activated": activated, "reason": reason},
        now=now,
    )
    await session.flush()
    return Outcome(final.version, activated, reason, figures)


async def retrain_due(session: AsyncSession, property_id: str, after: int) -> bool:
    """Whether `after` examples arrived since the property's last retraining (or ever)."""
    seen = await session.scalar(
        select(func.max(RoutingModel.examples_seen)).where(RoutingModel.property_id == property_id)
    )
    return await routing_examples.count(session, property_id) - (seen or 0) >= after


def _record(
    session: AsyncSession,
    property_id: str,
    type: str,
    data: dict[str, Any],
    *,
    now: datetime,
    actor: tuple[ActorType, str | None, str | None] | None = None,
) -> None:
    actor_type, actor_id, role = actor or (ActorType.SYSTEM, None, None)
    session.add(
        Event(
            id=new_id("evt"),
            property_id=property_id,
            work_order_id=None,
            type=type,
            actor_type=actor_type,
            actor_id=actor_id,
            data=data | {"actor_role": role},
            occurred_at=now,
        )
    )
