"""Two weeks of back-dated work for the demo community, so that the figures have something to show.

It goes through the same use cases as the API, each step at its own (past) time: owners file, customer
service routes what no rule placed, the department claims, starts and resolves, the owner rates. Claim
times vary so that some deadlines are met and some missed. Best effort: a step the rules refuse is
skipped, as a person would.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from workorders.auth import DEFAULT_PROPERTY
from workorders.db import Database
from workorders.domain.actors import Principal, Role
from workorders.domain.lifecycle import Action
from workorders.domain.taxonomy import Department
from workorders.errors import ServiceError
from workorders.models import WorkOrder
from workorders.schemas import Location, WorkOrderCreate
from workorders.services import demo, transitions, work_orders
from workorders.services.context import Context

if TYPE_CHECKING:
    from workorders.config import Settings
    from workorders.models import Owner, Staff

# description, who does the work, minutes to claim, hours to resolve, rating
SAMPLES: tuple[tuple[str, str, int, int, int | None], ...] = (
    ("卫生间水管漏水", "刘师傅", 12, 3, 5),
    ("客厅插座没电了", "陈师傅", 45, 6, 4),
    ("楼道垃圾没人清理", "郑保洁", 20, 2, 3),
    ("地下车库有车占了我的车位", "周保安", 8, 1, 2),
    ("电梯按钮失灵", "陈师傅", 150, 30, 1),
    ("草坪好久没修剪了", "郑保洁", 300, 50, 4),
)


async def add_history(settings: Settings, days: int = 14) -> None:
    database = Database(settings)
    try:
        async with database.writer() as session, session.begin():
            people = await demo.load_people(session)
            now = datetime.now(UTC)

            def staff_ctx(member: Staff, at: datetime) -> Context:
                role = Role.SUPERVISOR if member.role == "supervisor" else Role.STAFF
                dept = Department(member.department) if member.department else None
                principal = Principal(role, DEFAULT_PROPERTY, member.id, dept)
                return Context(session, principal, at, settings)

            def owner_ctx(owner: Owner, at: datetime) -> Context:
                principal = Principal(Role.OWNER, DEFAULT_PROPERTY, owner.id)
                return Context(session, principal, at, settings)

            async def step(
                ctx: Context, order: WorkOrder, action: Action, **params: object
            ) -> WorkOrder:
                try:
                    return await transitions.act(ctx, order, action, dict(params))
                except ServiceError:
                    return order

            for day in range(days, 0, -1):
                for n, (description, worker, claim_after, resolve_after, rating) in enumerate(
                    SAMPLES
                ):
                    if (day + n) % 4 == 0:
                        continue  # not every kind of trouble every day
                    at = now - timedelta(days=day, hours=2 * n)
                    owner = people.owners[(day + n) % len(people.owners)]
                    unit = owner.units[0]
                    filed = await work_orders.create(
                        owner_ctx(owner, at),
                        WorkOrderCreate(
                            description=description,
                            location=Location(
                                building=unit["building"], unit=unit["unit"], room=unit["room"]
                            ),
                        ),
                    )
                    # Filing hands back what it wrote; acted on, the order is the session's.
                    held = await session.get(WorkOrder, filed.id)
                    assert held is not None
                    order = held
                    member = people.staff[worker]
                    if order.status == "triage":
                        cs = staff_ctx(people.staff["赵客服"], at + timedelta(minutes=5))
                        queue = str(member.department)
                        order = await step(cs, order, Action.ROUTE, queue=queue)
                    claimed = at + timedelta(minutes=claim_after + day)
                    order = await step(staff_ctx(member, claimed), order, Action.CLAIM)
                    order = await step(staff_ctx(member, claimed), order, Action.START)
                    if day == 1 and n % 2:
                        continue  # still being worked on
                    resolved = at + timedelta(hours=resolve_after + day % 3)
                    order = await step(
                        staff_ctx(member, resolved), order, Action.RESOLVE, resolution="已处理"
                    )
                    if rating is not None:
                        rated = resolved + timedelta(hours=2)
                        score = max(1, min(5, rating + (day % 3) - 1))
                        await step(owner_ctx(owner, rated), order, Action.CONFIRM, rating=score)
    finally:
        await database.dispose()
