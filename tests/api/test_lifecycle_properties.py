"""Random action sequences through the API: what `allowed_actions` promises is what the API does, and
every refused action changes nothing (status, version, assignee, timeline)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workorders.domain.lifecycle import TRANSITIONS, Action

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, FileOrder, Person

ACTORS = (
    "owner",
    "neighbour",
    "cs",
    "cs_supervisor",
    "engineer",
    "engineer2",
    "eng_supervisor",
    "guard",
    "sec_supervisor",
    "manager",
)


def _body(action: Action, order: dict[str, Any], community: Community) -> dict[str, Any]:
    match action:
        case Action.ROUTE:
            return {"queue": "security" if order["queue"] != "security" else "engineering"}
        case Action.ASSIGN:
            return {"assignee_id": community.engineer2.id}
        case Action.RESOLVE:
            return {"resolution": "处理完毕"}
        case Action.CONFIRM:
            return {"rating": 4}
        case Action.DECLINE | Action.HOLD | Action.REOPEN | Action.CANCEL | Action.ESCALATE:
            return {"reason": "测试"}
        case _:
            return {}


def _params_valid(action: Action, order: dict[str, Any], community: Community) -> bool:
    # The one body above that can be invalid: engineer2 can only be assigned engineering orders
    # they do not already hold.
    return action is not Action.ASSIGN or (
        order["queue"] == "engineering" and order["assignee_id"] != community.engineer2.id
    )


async def _snapshot(client: httpx.AsyncClient, oid: str, cs: Person) -> tuple[dict, int]:
    order = (await client.get(f"/v1/work-orders/{oid}", headers=cs.headers)).json()
    events = (await client.get(f"/v1/work-orders/{oid}/events", headers=cs.headers)).json()
    order.pop("allowed_actions")
    return order, len(events["items"])


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(ACTORS), st.sampled_from(list(Action))), min_size=1, max_size=14
    )
)
async def test_random_action_sequences_follow_the_table(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    steps: list[tuple[str, Action]],
) -> None:
    # Orders pile up across examples; a claim past a person's capacity (max_open) is dispatch's
    # refusal, not the lifecycle table's, so give the engineers room for every example's orders.
    for engineer in (community.engineer, community.engineer2):
        raised = await client.patch(
            f"/v1/staff/{engineer.id}", json={"max_open": 100}, headers=community.admin.headers
        )
        assert raised.status_code == 200, raised.text
    order = await file_order(community.owner, "卫生间下水道堵了")
    oid = order["id"]
    for actor_name, action in steps:
        actor: Person = getattr(community, actor_name)
        seen = await client.get(f"/v1/work-orders/{oid}", headers=actor.headers)
        before, events_before = await _snapshot(client, oid, community.cs)
        response = await client.post(
            f"/v1/work-orders/{oid}/{action}",
            json=_body(action, before, community),
            headers=actor.headers,
        )
        if seen.status_code == 404:
            assert response.status_code == 404
            allowed = []
        else:
            allowed = seen.json()["allowed_actions"]
        after, events_after = await _snapshot(client, oid, community.cs)
        if response.status_code == 200:
            assert action in allowed, (actor_name, action, before["status"])
            assert after["version"] == before["version"] + 1
            assert events_after == events_before + 1
            targets = {
                t.target
                for t in TRANSITIONS
                if t.action is action and before["status"] in t.sources
            }
            assert after["status"] in {str(t) for t in targets if t} | {before["status"]}
        else:
            assert response.status_code in (403, 404, 409, 422), response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            assert after == before, (actor_name, action)
            assert events_after == events_before
            if action in allowed:
                assert not _params_valid(action, before, community), (
                    actor_name,
                    action,
                    response.text,
                )
