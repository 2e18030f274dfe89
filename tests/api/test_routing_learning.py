"""Customer service teaches the router: examples, retrained property models, versions, rollback."""

from __future__ import annotations

import asyncio
import copy
from datetime import timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select

from tests.api.test_contract import assert_problem
from tests.lessons import BARRIER_CORRECTIONS, BARRIER_REQUESTS, NEW_BARRIER_REQUEST
from workorders import routing_model
from workorders.models import RoutingModel
from workorders.services import model_training, routing_models
from workorders.workers import routing_training

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, FileOrder, Person
    from workorders.clock import ManualClock
    from workorders.config import Settings

# The convention taught for real (a whole training): this property's front desk keeps letterboxes,
# their keys and their locks (the guide gives keys to customer service, a broken lock to
# engineering). Not the barriers: the shipped corpus now holds, as the guide says, that a broken
# barrier is equipment and engineering's so firmly that eight corrections no longer move a new
# barrier request (engineering at 0.80 with each correction counted ten times, 0.58 at sixty). A
# property that decides that otherwise writes a rule, which wins over any model.
MAILBOX_REQUESTS = (
    "My mailbox key is lost",
    "The lock on my letterbox is broken",
    "Mailbox door hanging off its hinge",
    "Can't open my postbox, key doesn't turn",
    "Letterbox for flat 1203 is damaged",
    "Someone broke my mailbox lock",
    "Mailbox lock jammed, can't get my letters out",
    "The little door of our postbox won't close",
)
NEW_MAILBOX_REQUEST = "The letterbox for my flat won't lock any more"


async def _act(
    client: httpx.AsyncClient, person: Person, order: dict[str, Any], action: str, body: dict
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/work-orders/{order['id']}/{action}", json=body, headers=person.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _teach(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    texts: tuple[str, ...],
    queue: str,
) -> int:
    """File each request as the owner; customer service routes it to `queue` where it is not."""
    taught = 0
    for text in texts:
        order = await file_order(community.owner, text)
        if order["queue"] != queue:
            await _act(client, community.cs, order, "route", {"queue": queue})
            taught += 1
    return taught


def _quick_train(
    examples: Any, *, seed: int = 0, calibration: Any = None, remember: Any = ()
) -> Any:
    """A stand-in for training where only what happens around it is under test: the package's
    model under another name (a copy, so that naming it leaves the package's alone)."""
    return copy.copy(routing_model.default_classifier())


async def _preview(client: httpx.AsyncClient, community: Community, text: str) -> dict[str, Any]:
    """The routing decision the property would take now (the same as filing's)."""
    response = await client.post(
        "/v1/routing/preview", json={"description": text}, headers=community.cs.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["routing"]


async def _models(client: httpx.AsyncClient, person: Person) -> list[dict[str, Any]]:
    response = await client.get("/v1/routing/models", headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_routing_an_order_records_a_labelled_example(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, clock: ManualClock
) -> None:
    leak = await file_order(community.owner, "厨房水龙头滴水", title="水龙头")
    moved = await _act(
        client, community.cs, leak, "route", {"queue": "cleaning", "priority": "low"}
    )
    assert moved["queue"] == "cleaning"
    # The last is long enough to be given a title cut from it ("The parking barrier at the…"):
    # the example is its words once, not the title and then the words again.
    long = "The parking barrier at the north gate will not open for my car"
    for text in ("楼道灯不亮", "单元门坏了", long):
        clock.advance(timedelta(minutes=1))
        order = await file_order(community.owner, text)
        target = "security" if order["queue"] != "security" else "cleaning"
        await _act(client, community.cs, order, "route", {"queue": target})

    response = await client.get("/v1/routing/examples?limit=2", headers=community.manager.headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert len(page["items"]) == 2 and page["next_cursor"] is not None
    assert page["items"][0]["description"] == long
    rest = await client.get(
        f"/v1/routing/examples?limit=2&cursor={page['next_cursor']}",
        headers=community.manager.headers,
    )
    last = rest.json()
    assert rest.status_code == 200 and last["next_cursor"] is None
    assert len(last["items"]) == 2
    oldest = last["items"][-1]
    assert oldest == {
        "work_order_id": leak["id"],
        "description": "水龙头\n厨房水龙头滴水",
        "queue": "cleaning",
        "priority": "low",
        "source": "route",
        "created_at": oldest["created_at"],
    }
    for person in (community.cs, community.cs_supervisor, community.owner, community.admin):
        assert_problem(await client.get("/v1/routing/examples", headers=person.headers), 403)


async def test_corrections_retrain_the_property_model_which_then_routes_new_requests(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    app: Any,
    clock: ManualClock,
    database_url: str,
) -> None:
    """Two lessons, one training (the whole corpus, twice over: the suite's slowest work, paid once):
    a convention the corpus does not know (letterboxes are the front desk's) and one it holds
    otherwise (barriers to security), both taught by customer service's corrections and remembered
    by the property's model; then the manager rolls back to the package's model and forward."""
    if database_url.startswith("postgresql"):
        pytest.skip(
            "a training on the whole corpus, the same work on either database: run on SQLite; "
            "storing, activating and rolling back run on both in the tests below"
        )
    package = routing_model.default_classifier().version
    before = await _preview(client, community, NEW_BARRIER_REQUEST)
    assert before["evidence"][:1] != ["customer service's corrections: 8 like it"]
    mailboxes = await _teach(client, community, file_order, MAILBOX_REQUESTS, "customer_service")
    assert mailboxes >= 2, (
        "the packaged model already keeps letterboxes at the desk: nothing to teach"
    )
    barriers = await _teach(client, community, file_order, BARRIER_CORRECTIONS, "security")
    assert barriers >= 8, "the packaged model already sends barriers to security: nothing to teach"

    outcome = await routing_models.retrain(app.state.db, "default", now=clock.now())

    assert (outcome.version, outcome.activated) == ("default-v1", True), outcome
    held_out = outcome.figures["held_out"]
    assert held_out["n"] >= 1 and held_out["accuracy"] >= outcome.figures["baseline"]["accuracy"]
    models = await _models(client, community.manager)
    assert [(m["version"], m["origin"], m["active"]) for m in models] == [
        (package, "package", False),
        ("default-v1", "property", True),
    ]
    assert models[1]["figures"]["activated"] is True
    assert models[1]["trained_on"]["examples"] == mailboxes + barriers

    # The convention the corpus did not know.
    new = await file_order(community.owner, NEW_MAILBOX_REQUEST)
    assert new["queue"] == "customer_service", new["routing"]
    decision = await _preview(client, community, NEW_MAILBOX_REQUEST)
    assert (decision["source"], decision["model_version"]) == ("model", "default-v1")

    # The convention the corpus holds otherwise: remembered, and said to be the corrections'.
    barrier = await file_order(community.owner, NEW_BARRIER_REQUEST)
    assert barrier["queue"] == "security", barrier["routing"]
    decision = await _preview(client, community, NEW_BARRIER_REQUEST)
    assert (decision["source"], decision["model_version"]) == ("model", "default-v1")
    assert decision["confidence"] >= 0.5
    assert "customer service's correction" in decision["reason"], decision
    # What nobody corrected routes as before, without a word about corrections.
    leak = await _preview(client, community, "The pipe under my kitchen sink is leaking")
    assert (leak["source"], leak["model_version"]) == ("model", "default-v1")
    assert leak["reason"].startswith("model: engineering"), leak
    assert "customer service" not in leak["reason"]
    assert (await file_order(community.owner, "厨房水管漏水了"))["queue"] == "engineering"

    # Roll back to the package's model, then forward again.
    back = await client.post(
        f"/v1/routing/models/{package}/activate", headers=community.manager.headers
    )
    assert back.status_code == 200, back.text
    assert (back.json()["version"], back.json()["active"]) == (package, True)
    assert (await _preview(client, community, NEW_MAILBOX_REQUEST))["model_version"] in (package, None)  # fmt: skip
    forward = await client.post(
        "/v1/routing/models/default-v1/activate", headers=community.manager.headers
    )
    assert forward.json()["active"] is True
    assert [m["active"] for m in await _models(client, community.admin)] == [False, True]
    assert (await file_order(community.owner, NEW_MAILBOX_REQUEST))["queue"] == "customer_service"


async def test_the_manager_rolls_a_property_model_back_and_forward(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    app: Any,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    package = routing_model.default_classifier().version
    assert await _teach(client, community, file_order, BARRIER_REQUESTS[:4], "security") >= 2
    monkeypatch.setattr(routing_model, "train", _quick_train)
    outcome = await routing_models.retrain(app.state.db, "default", now=clock.now())
    assert (outcome.version, outcome.activated) == ("default-v1", True), outcome
    assert (await _preview(client, community, NEW_BARRIER_REQUEST))["model_version"] == "default-v1"

    back = await client.post(
        f"/v1/routing/models/{package}/activate", headers=community.manager.headers
    )
    assert back.status_code == 200, back.text
    assert (back.json()["version"], back.json()["active"]) == (package, True)
    assert [m["active"] for m in await _models(client, community.manager)] == [True, False]
    assert (await _preview(client, community, NEW_BARRIER_REQUEST))["model_version"] == package

    forward = await client.post(
        "/v1/routing/models/default-v1/activate", headers=community.manager.headers
    )
    assert forward.status_code == 200, forward.text
    assert [m["active"] for m in await _models(client, community.admin)] == [False, True]
    assert (await _preview(client, community, NEW_BARRIER_REQUEST))["model_version"] == "default-v1"


async def test_the_not_worse_guard_refuses_a_model_that_evaluates_worse(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    app: Any,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    package = routing_model.default_classifier().version
    assert await _teach(client, community, file_order, BARRIER_REQUESTS[:4], "security") >= 2
    real = routing_model.evaluate

    def candidate_scores_worse(classifier: Any, examples: Any, **options: Any) -> Any:
        figures = real(classifier, examples, **options).as_dict()
        if classifier is not routing_model.default_classifier():  # the candidate
            figures["accuracy"] = -1.0
        return SimpleNamespace(as_dict=lambda: figures)

    monkeypatch.setattr(routing_model, "evaluate", candidate_scores_worse)
    monkeypatch.setattr(routing_model, "train", _quick_train)

    outcome = await routing_models.retrain(app.state.db, "default", now=clock.now())

    assert (outcome.version, outcome.activated) == ("default-v1", False)
    assert outcome.reason.startswith("worse")
    models = await _models(client, community.manager)
    assert [(m["version"], m["active"]) for m in models] == [(package, True), ("default-v1", False)]
    assert models[1]["figures"]["held_out"]["accuracy"] == -1.0
    assert (await _preview(client, community, NEW_BARRIER_REQUEST))["model_version"] in (package, None)  # fmt: skip


def test_not_worse_compares_accuracy_then_urgent_recall() -> None:
    base = {"accuracy": 0.8, "urgent_recall": 1.0}
    assert model_training.not_worse({"accuracy": 0.8, "urgent_recall": 1.0}, base)
    assert model_training.not_worse({"accuracy": 0.9, "urgent_recall": None}, base)
    assert not model_training.not_worse({"accuracy": 0.79, "urgent_recall": 1.0}, base)
    assert not model_training.not_worse({"accuracy": 0.95, "urgent_recall": 0.5}, base)


def test_the_held_out_split_is_stratified_fixed_and_keeps_an_order_on_one_side() -> None:
    def example(n: int, queue: str, order: str | None = None) -> Any:
        return SimpleNamespace(id=f"rex_{n:02d}", queue=queue, work_order_id=order or f"wo_{n}")

    examples = [example(n, "security") for n in range(8)]
    examples += [example(10 + n, "cleaning") for n in range(3)]
    examples += [example(20, "engineering")]
    kept, held = model_training.held_out_split(examples, seed=0)
    assert (kept, held) == model_training.held_out_split(examples, seed=0)
    assert sorted(e.queue for e in held) == ["cleaning", "security", "security"]
    assert {e.id for e in kept} | {e.id for e in held} == {e.id for e in examples}
    assert not {e.id for e in kept} & {e.id for e in held}

    # An order corrected twice teaches its last lesson only, once.
    twice = [example(1, "security", "wo_a"), example(2, "cleaning", "wo_b")]
    twice.append(example(3, "engineering", "wo_a"))
    latest = model_training.latest_per_order(twice)
    assert [(i, e.queue) for i, e in latest] == [(1, "cleaning"), (2, "engineering")]


async def test_the_worker_retrains_once_enough_new_examples_arrived(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    app: Any,
    clock: ManualClock,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(routing_model, "train", _quick_train)
    eager = settings.model_copy(update={"routing_retrain_after": 4})
    db = app.state.db
    taught = await _teach(client, community, file_order, BARRIER_REQUESTS[:3], "security")
    if taught < 3:
        pytest.skip("the packaged model already follows part of this convention")
    assert await routing_training.retrain_due(db, eager, clock) == 0
    taught += await _teach(client, community, file_order, BARRIER_REQUESTS[3:6], "security")
    if taught < 4:
        pytest.skip("the packaged model already follows most of this convention")

    assert await routing_training.retrain_due(db, eager, clock) == 1

    async with db.reader() as session:
        rows = (await session.execute(select(RoutingModel))).scalars().all()
        assert [(r.version, r.examples_seen) for r in rows] == [("default-v1", taught)]
    assert await routing_training.retrain_due(db, eager, clock) == 0


async def test_activating_is_the_managers_and_names_a_version(
    client: httpx.AsyncClient, community: Community, app: Any
) -> None:
    package = routing_model.default_classifier().version
    for person in (community.admin, community.cs, community.owner):
        response = await client.post(
            f"/v1/routing/models/{package}/activate", headers=person.headers
        )
        assert_problem(response, 403)
    missing = await client.post(
        "/v1/routing/models/nope-v9/activate", headers=community.manager.headers
    )
    assert_problem(missing, 404)
    for person in (community.cs, community.owner):
        assert_problem(await client.get("/v1/routing/models", headers=person.headers), 403)
    async with app.state.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(RoutingModel)) == 0


def _trained() -> model_training.Trained:
    """A retraining's result, ready to store (the package's model under a new name)."""
    package = routing_model.default_classifier()
    plan = model_training.Plan(
        property_id="default",
        seed=0,
        examples_seen=0,
        active_version=package.version,
        active=package,
        latest=[],
        held_out=[],
    )
    return model_training.Trained(plan, _quick_train([]), False, "under test", {}, {})


async def _store_alone(db: Any, clock: ManualClock) -> routing_models.Outcome:
    async with db.writer() as session, session.begin():
        return await routing_models.store(session, _trained(), now=clock.now())


async def test_two_retrainings_stored_at_once_take_two_versions(
    community: Community, app: Any, clock: ManualClock
) -> None:
    db = app.state.db
    async with db.writer() as first, first.begin():
        one = await routing_models.store(first, _trained(), now=clock.now())
        second = asyncio.create_task(_store_alone(db, clock))
        await asyncio.sleep(0.5)
        assert not second.done(), "the second waits for the first: its name is not yet free"
    two = await second

    assert sorted([one.version, two.version]) == ["default-v1", "default-v2"]


async def test_a_version_name_taken_meanwhile_moves_the_store_to_the_next(
    community: Community, app: Any, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = app.state.db
    await _store_alone(db, clock)
    real = routing_models._highest_number
    stale = [0]  # the first look misses default-v1, as a reader before its commit would

    def highest(property_id: str, versions: Any) -> int:
        return stale.pop() if stale else real(property_id, versions)

    monkeypatch.setattr(routing_models, "_highest_number", highest)

    outcome = await _store_alone(db, clock)

    assert outcome.version == "default-v2"
    async with db.reader() as session:
        versions = (await session.scalars(select(RoutingModel.version))).all()
    assert sorted(versions) == ["default-v1", "default-v2"]


async def test_the_default_model_is_ready_before_the_app_serves(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workorders.app import create_app

    monkeypatch.setattr(routing_model, "_DEFAULT", None)  # as in a process that just started
    application = create_app(settings)

    async with application.router.lifespan_context(application):
        assert routing_model.default_loaded(), "no request has to wait for the model"
