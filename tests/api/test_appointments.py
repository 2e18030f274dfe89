"""Who is coming and when: the assignee card, labels in two languages, and visit appointments through
the API — proposals, answers, refusals that say who can act, and the deadlines an accepted visit
moves (issue 12)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tests.api.test_contract import assert_problem
from tests.api.test_notifications import inbox, notify
from tests.api.test_sla import next_look, of_type, run, timeline
from workorders.workers import clock as clock_jobs

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, FileOrder, Person
    from workorders.clock import ManualClock


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def window(clock: ManualClock, days: float, hours: float = 2) -> dict[str, str]:
    start = clock.now() + timedelta(days=days)
    return {"start": start.isoformat(), "end": (start + timedelta(hours=hours)).isoformat()}


async def claimed(
    client: httpx.AsyncClient, c: Community, file_order: FileOrder, **fields: Any
) -> dict[str, Any]:
    """A normal-priority plumbing order of the owner, filed by customer service, claimed by the
    engineer (respond 2 h, start 24 h, resolve 3 days)."""
    order = await file_order(
        c.cs, "厨房水龙头漏水", owner_id=c.owner.id, category="plumbing", priority="normal",
        **fields,
    )  # fmt: skip
    response = await client.post(
        f"/v1/work-orders/{order['id']}/claim", json={}, headers=c.engineer.headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def propose(
    client: httpx.AsyncClient, order_id: str, person: Person, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        f"/v1/work-orders/{order_id}/appointments", json=body, headers=person.headers
    )


async def step(
    client: httpx.AsyncClient,
    order_id: str,
    appointment_id: str,
    action: str,
    person: Person,
    body: dict[str, Any] | None = None,
    **headers: str,
) -> httpx.Response:
    return await client.post(
        f"/v1/work-orders/{order_id}/appointments/{appointment_id}/{action}",
        json=body or {},
        headers=person.headers | headers,
    )


async def read(client: httpx.AsyncClient, order_id: str, person: Person, **headers: str) -> dict:
    response = await client.get(f"/v1/work-orders/{order_id}", headers=person.headers | headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


# --- who is coming, in which words -------------------------------------------------------------------


async def test_the_owner_sees_who_is_coming_with_a_masked_phone(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    c = community
    patched = await client.patch(
        f"/v1/staff/{c.engineer.id}", json={"phone": "13911112222"}, headers=c.admin.headers
    )
    assert patched.status_code == 200, patched.text
    filed = await file_order(c.owner, "厨房水龙头漏水")
    assert filed["assignee"] is None
    order = await claimed(client, c, file_order)
    expected = {"id": c.engineer.id, "name": "刘师傅", "department": "engineering",
                "phone": "139****2222"}  # fmt: skip
    assert order["assignee"] == expected
    for person in (c.owner, c.cs, c.manager, c.engineer):
        assert (await read(client, order["id"], person))["assignee"] == expected
    listed = await client.get("/v1/work-orders", headers=c.owner.headers)
    [row] = [o for o in listed.json()["items"] if o["id"] == order["id"]]
    assert row["assignee"] == expected
    # The directory changed: the card follows at once.
    renamed = await client.patch(
        f"/v1/staff/{c.engineer.id}", json={"name": "刘建国"}, headers=c.admin.headers
    )
    assert renamed.status_code == 200
    assert (await read(client, order["id"], c.owner))["assignee"]["name"] == "刘建国"


async def test_labels_follow_accept_language(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    order = await claimed(client, community, file_order)
    zh = await read(client, order["id"], community.owner)
    assert zh["labels"] == {"status": "已派单", "queue": "工程维修", "priority": "普通",
                            "kind": "报修", "category": zh["labels"]["category"]}  # fmt: skip
    assert zh["labels"]["category"] and zh["labels"]["category"] != "plumbing"
    assert zh["status_label"] == zh["labels"]["status"]
    en = await read(client, order["id"], community.owner, **{"Accept-Language": "en-US,en;q=0.9"})
    assert en["labels"] == {"status": "Assigned", "queue": "Engineering", "priority": "Normal",
                            "kind": "Repair", "category": "Plumbing"}  # fmt: skip
    assert en["status_label"] == "Assigned"
    listed = await client.get(
        "/v1/work-orders", headers=community.owner.headers | {"Accept-Language": "en"}
    )
    assert {o["labels"]["queue"] for o in listed.json()["items"]} == {"Engineering"}


async def test_a_preferred_time_that_is_over_is_refused_naming_the_field(
    client: httpx.AsyncClient, community: Community, clock: ManualClock
) -> None:
    past = window(clock, -1)
    response = await client.post(
        "/v1/work-orders",
        json={"description": "厨房水龙头漏水", "preferred_time": past},
        headers=community.owner.headers,
    )
    problem = assert_problem(response, 422, "validation-error")
    assert [e["field"] for e in problem["errors"]] == ["preferred_time.end"]
    # A window under way ("today, before six") is fine, and so is one ahead.
    for days in (-1 / 48, 1):
        ok = await client.post(
            "/v1/work-orders",
            json={"description": "厨房水龙头漏水", "preferred_time": window(clock, days)},
            headers=community.owner.headers,
        )
        assert ok.status_code == 201, ok.text


# --- appointments -------------------------------------------------------------------------------------


async def test_the_engineer_proposes_and_the_owner_accepts(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, clock: ManualClock
) -> None:
    c = community
    order = await claimed(client, c, file_order)
    oid = order["id"]
    thursday = window(clock, 3)
    proposed = await propose(client, oid, c.engineer, thursday | {"message": "带上新龙头"})
    assert proposed.status_code == 201, proposed.text
    visit = proposed.json()
    assert proposed.headers["Location"] == f"/v1/work-orders/{oid}/appointments/{visit['id']}"
    assert visit["status"] == "proposed"
    assert at(visit["start"]) == at(thursday["start"])
    assert visit["proposed_by"] == {"type": "staff", "id": c.engineer.id}
    assert visit["allowed_actions"] == ["withdraw"]

    seen = await read(client, oid, c.owner)
    assert seen["version"] == order["version"] + 1
    assert seen["appointment"]["id"] == visit["id"]
    assert seen["appointment"]["message"] == "带上新龙头"
    assert seen["appointment"]["allowed_actions"] == ["accept", "decline"]
    start_by = at(seen["sla"]["start_by"])

    stale = await step(client, oid, visit["id"], "accept", c.owner, **{"If-Match": '"1"'})
    assert_problem(stale, 412)
    accepted = await step(
        client, oid, visit["id"], "accept", c.owner, **{"If-Match": f'"{seen["version"]}"'}
    )
    assert accepted.status_code == 200, accepted.text
    after = accepted.json()
    assert accepted.headers["ETag"] == f'"{after["version"]}"'
    assert after["appointment"]["status"] == "accepted"
    assert after["appointment"]["answered_by"] == {"type": "owner", "id": c.owner.id}
    assert after["appointment"]["allowed_actions"] == []
    assert at(after["sla"]["visit"]["end"]) == at(thursday["end"])
    # The start deadline waits for the window; the resolve deadline keeps its two days after it.
    assert at(after["sla"]["start_by"]) == at(thursday["end"])
    moved = at(thursday["end"]) - start_by
    assert at(after["sla"]["resolve_by"]) == at(seen["sla"]["resolve_by"]) + moved

    again = await step(client, oid, visit["id"], "accept", c.owner)
    assert_problem(again, 409, "invalid-transition")

    listed = await client.get(f"/v1/work-orders/{oid}/appointments", headers=c.owner.headers)
    assert [a["status"] for a in listed.json()["items"]] == ["accepted"]
    one = await client.get(
        f"/v1/work-orders/{oid}/appointments/{visit['id']}", headers=c.cs.headers
    )
    assert one.json()["status"] == "accepted"

    events = await timeline(client, oid, c.owner)
    [proposed_event] = of_type(events, "work_order.appointment_proposed")
    assert proposed_event["data"]["appointment_id"] == visit["id"]
    assert proposed_event["data"]["message"] == "带上新龙头"
    assert of_type(events, "work_order.appointment_accepted")[0]["actor"]["type"] == "owner"


async def test_one_pending_proposal_at_a_time_and_withdrawing_frees_the_way(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, clock: ManualClock
) -> None:
    c = community
    oid = (await claimed(client, c, file_order))["id"]
    first = (await propose(client, oid, c.engineer, window(clock, 1))).json()
    second = await propose(client, oid, c.engineer, window(clock, 2))
    problem = assert_problem(second, 409, "invalid-transition")
    assert "请先撤回" in problem["detail"]  # zh-CN, the default language: "withdraw it first"
    withdrawn = await step(client, oid, first["id"], "withdraw", c.engineer, {"message": "改天"})
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["appointment"]["status"] == "withdrawn"
    # The supervisor may propose for the assignee.
    third = await propose(client, oid, c.eng_supervisor, window(clock, 2))
    assert third.status_code == 201, third.text


async def test_the_owner_asks_for_another_time_and_the_engineer_hears_of_it(
    app: Any,
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    clock: ManualClock,
) -> None:
    c = community
    oid = (await claimed(client, c, file_order))["id"]
    visit = (await propose(client, oid, c.engineer, window(clock, 1))).json()
    past = await step(
        client, oid, visit["id"], "decline", c.owner, {"preferred_time": window(clock, -2)}
    )
    problem = assert_problem(past, 422, "validation-error")
    assert [e["field"] for e in problem["errors"]] == ["preferred_time.end"]
    saturday = window(clock, 5, hours=4)
    declined = await step(
        client, oid, visit["id"], "decline", c.owner,
        {"message": "周末在家", "preferred_time": saturday},
    )  # fmt: skip
    assert declined.status_code == 200, declined.text
    card = declined.json()["appointment"]
    assert card["status"] == "declined"
    assert card["reply"] == "周末在家"
    assert at(card["preferred_time"]["start"]) == at(saturday["start"])
    assert declined.json()["sla"]["visit"] is None

    await notify(app, clock)
    engineer_heard = {n["event_type"] for n in await inbox(client, c.engineer)}
    assert "work_order.appointment_declined" in engineer_heard
    owner_heard = {n["event_type"] for n in await inbox(client, c.owner)}
    assert "work_order.appointment_proposed" in owner_heard
    assert "work_order.appointment_declined" not in owner_heard  # the owner did it themself


async def test_refusals_say_who_can_act(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, clock: ManualClock
) -> None:
    c = community
    oid = (await claimed(client, c, file_order))["id"]
    by_owner = await propose(client, oid, c.owner, window(clock, 1))
    # In the default language (zh-CN): "only the assigned staff member or the supervisor may…"
    assert "负责此单的工作人员" in assert_problem(by_owner, 403, "forbidden")["detail"]
    by_colleague = await propose(client, oid, c.engineer2, window(clock, 1))
    assert_problem(by_colleague, 403, "forbidden")
    visit = (await propose(client, oid, c.engineer, window(clock, 1))).json()
    by_engineer = await step(client, oid, visit["id"], "accept", c.engineer)
    assert "业主本人" in assert_problem(by_engineer, 403, "forbidden")["detail"]
    by_owner_withdraw = await step(client, oid, visit["id"], "withdraw", c.owner)
    assert_problem(by_owner_withdraw, 403, "forbidden")
    assert_problem(await step(client, oid, visit["id"], "accept", c.neighbour), 404, "not-found")
    assert_problem(await step(client, oid, "apt_nope", "accept", c.owner), 404, "not-found")
    unknown = await step(client, oid, visit["id"], "accept", c.owner, {"rating": 5})
    assert_problem(unknown, 422, "validation-error")

    # Customer service may answer for the owner (a phone call).
    by_phone = await step(client, oid, visit["id"], "accept", c.cs)
    assert by_phone.status_code == 200, by_phone.text

    # An order handed back to its queue takes no visits.
    declined = await client.post(
        f"/v1/work-orders/{oid}/decline", json={"reason": "缺配件"}, headers=c.engineer.headers
    )
    assert declined.status_code == 200, declined.text
    refused = await propose(client, oid, c.eng_supervisor, window(clock, 2))
    assert_problem(refused, 409, "invalid-transition")


async def test_windows_are_checked_field_by_field(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, clock: ManualClock
) -> None:
    c = community
    oid = (await claimed(client, c, file_order))["id"]
    cases = [
        (window(clock, -1), ["start"]),
        (window(clock, 1, hours=12), ["end"]),
        (window(clock, 90), ["start"]),
        ({"start": window(clock, 1)["end"], "end": window(clock, 1)["start"]}, ["end"]),
    ]
    for body, fields in cases:
        problem = assert_problem(await propose(client, oid, c.engineer, body), 422)
        assert [e["field"] for e in problem["errors"]] == fields, problem
    missing = await propose(client, oid, c.engineer, {"start": window(clock, 1)["start"]})
    assert "end" in [e["field"] for e in assert_problem(missing, 422)["errors"]]
    unix = await propose(client, oid, c.engineer, {"start": 1900000000, "end": 1900003600})
    assert_problem(unix, 422)


async def test_an_accepted_visit_keeps_the_start_clock_from_breaching_before_it(
    app: Any,
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    clock: ManualClock,
) -> None:
    """Filed on Monday, visit accepted for Thursday: the start clock (24 h) does not breach on
    Tuesday, warns within Thursday's window, and breaches when it closes with no start."""
    c = community
    oid = (await claimed(client, c, file_order))["id"]
    thursday = window(clock, 3)
    visit = (await propose(client, oid, c.engineer, thursday)).json()
    assert (await step(client, oid, visit["id"], "accept", c.owner)).status_code == 200
    # The sweep's next look moved with the deadlines: not at once, not after the window.
    look = await next_look(app, oid)
    assert look is not None and clock.now() < look <= at(thursday["end"])

    clock.advance(timedelta(days=1, hours=2))  # Tuesday: the policy's 24 h are long gone
    await run(app, clock_jobs.sweep_deadlines)
    starts = [e for e in await timeline(client, oid, c.cs) if e["data"].get("deadline") == "start"]
    assert starts == []

    clock.advance(at(thursday["end"]) - clock.now() - timedelta(minutes=10))
    await run(app, clock_jobs.sweep_deadlines)
    events = await timeline(client, oid, c.cs)
    assert [e["data"]["deadline"] for e in of_type(events, "work_order.sla_warning")] == ["start"]
    assert of_type(events, "work_order.sla_breached") == []

    clock.advance(timedelta(minutes=11))
    await run(app, clock_jobs.sweep_deadlines)
    breached = of_type(await timeline(client, oid, c.cs), "work_order.sla_breached")
    assert [e["data"]["deadline"] for e in breached] == ["start"]


async def test_withdrawing_an_accepted_visit_gives_the_deadlines_back(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, clock: ManualClock
) -> None:
    c = community
    order = await claimed(client, c, file_order)
    oid = order["id"]
    visit = (await propose(client, oid, c.engineer, window(clock, 3))).json()
    accepted = (await step(client, oid, visit["id"], "accept", c.owner)).json()
    assert accepted["sla"]["start_by"] != order["sla"]["start_by"]
    withdrawn = await step(client, oid, visit["id"], "withdraw", c.engineer)
    assert withdrawn.status_code == 200, withdrawn.text
    sla = withdrawn.json()["sla"]
    assert at(sla["start_by"]) == at(order["sla"]["start_by"])
    assert at(sla["resolve_by"]) == at(order["sla"]["resolve_by"])
    assert sla["visit"] is None


async def test_a_reschedule_replaces_the_accepted_visit_only_once_accepted(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, clock: ManualClock
) -> None:
    c = community
    order = await claimed(client, c, file_order)
    oid = order["id"]
    thursday, friday = window(clock, 3), window(clock, 4)
    first = (await propose(client, oid, c.engineer, thursday)).json()
    await step(client, oid, first["id"], "accept", c.owner)
    clock.advance(timedelta(minutes=1))  # the list is oldest first; the test clock stands still
    second = (await propose(client, oid, c.engineer, friday)).json()
    pending = await read(client, oid, c.owner)
    assert pending["appointment"]["id"] == second["id"]  # the question the owner must answer
    assert at(pending["sla"]["visit"]["end"]) == at(thursday["end"])  # Thursday still stands
    # Asking for another time leaves Thursday standing, and the card shows it again.
    declined = (await step(client, oid, second["id"], "decline", c.owner)).json()
    assert declined["appointment"]["id"] == first["id"]
    clock.advance(timedelta(minutes=1))
    third = (await propose(client, oid, c.engineer, friday)).json()
    accepted = (await step(client, oid, third["id"], "accept", c.owner)).json()
    assert accepted["appointment"]["id"] == third["id"]
    assert at(accepted["sla"]["start_by"]) == at(friday["end"])
    listed = await client.get(f"/v1/work-orders/{oid}/appointments", headers=c.owner.headers)
    assert [a["status"] for a in listed.json()["items"]] == ["superseded", "declined", "accepted"]


async def test_a_visit_still_standing_ends_with_the_order_leaving_the_visit_statuses(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, clock: ManualClock
) -> None:
    c = community
    # Accepted, then the work is done and resolved: the visit ends with it.
    oid = (await claimed(client, c, file_order))["id"]
    visit = (await propose(client, oid, c.engineer, window(clock, 1))).json()
    assert (await step(client, oid, visit["id"], "accept", c.owner)).status_code == 200
    for action, body in (("start", {}), ("resolve", {"resolution": "换了阀芯"})):
        done = await client.post(
            f"/v1/work-orders/{oid}/{action}", json=body, headers=c.engineer.headers
        )
        assert done.status_code == 200, done.text
    order = await read(client, oid, c.owner)
    assert order["status"] == "resolved"
    assert order["appointment"]["status"] == "withdrawn"
    shown = await client.get(
        f"/v1/work-orders/{oid}/appointments/{visit['id']}", headers=c.engineer.headers
    )
    assert shown.json()["status"] == "withdrawn"
    resolved = of_type(await timeline(client, oid, c.cs), "work_order.resolved")
    assert resolved[0]["data"]["appointment_withdrawn"] == visit["id"]

    # Proposed, then the engineer hands the order back to the queue: nobody is coming any more.
    other = (await claimed(client, c, file_order))["id"]
    pending = (await propose(client, other, c.engineer, window(clock, 2))).json()
    before = await read(client, other, c.engineer)
    back = await client.post(
        f"/v1/work-orders/{other}/decline", json={"reason": "缺配件"}, headers=c.engineer.headers
    )
    assert back.status_code == 200, back.text
    assert back.json()["appointment"]["status"] == "withdrawn"
    assert back.json()["version"] == before["version"] + 1  # one action, one version
    assert_problem(await step(client, other, pending["id"], "accept", c.owner), 409)
