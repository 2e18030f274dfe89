"""A demo community: staff in every department, owners with units, and orders in several statuses.

Everything goes through the same use cases as the API, so the demo data has real numbers, routing,
deadlines and timelines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from workorders.auth import DEFAULT_PROPERTY
from workorders.domain.actors import Principal, Role
from workorders.domain.lifecycle import Action
from workorders.domain.taxonomy import Department, Queue
from workorders.models import Owner, Staff, WorkOrder
from workorders.schemas import Location, OwnerCreate, StaffCreate, Unit, WorkOrderCreate
from workorders.schemas.routing import RoutingPreviewBody
from workorders.schemas.schedules import ScheduleCreate
from workorders.services import directory, routing_preview, schedules, transitions, work_orders
from workorders.services.context import Context

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.config import Settings

ADMIN = Principal(Role.ADMIN, DEFAULT_PROPERTY)
# Messages that leave a reader torn between departments (a smell: gas, rubbish or smoke? a rattling
# frame: a repair, or a hazard to cordon off?). The router places most vague messages with customer
# service itself, so the demo asks it and files the first it is unsure of: the desk opens with an
# order in triage (customer service places it) as long as the model is unsure of one of them.
TORN = (
    "楼道里那个味儿熏得头疼",
    "院子里那个铁架子晃得厉害",
    "楼下花园那边有个东西一直在响",
    "电梯门口那块又湿又滑",
)

STAFF: tuple[tuple[str, Department | None, str, list[str]], ...] = (
    ("王经理", None, "manager", []),
    ("李客服主管", Department.CUSTOMER_SERVICE, "supervisor", []),
    ("赵客服", Department.CUSTOMER_SERVICE, "staff", []),
    ("张工程主管", Department.ENGINEERING, "supervisor", ["plumbing", "electrical"]),
    ("刘师傅", Department.ENGINEERING, "staff", ["plumbing"]),
    ("陈师傅", Department.ENGINEERING, "staff", ["electrical", "elevator"]),
    ("孙秩序主管", Department.SECURITY, "supervisor", []),
    ("周保安", Department.SECURITY, "staff", ["patrol"]),
    ("吴保洁主管", Department.CLEANING, "supervisor", []),
    ("郑保洁", Department.CLEANING, "staff", ["greening"]),
)

OWNERS: tuple[tuple[str, str, tuple[str, str, str]], ...] = (
    ("林晓", "13812345678", ("3", "2", "1502")),
    ("黄海", "13987654321", ("5", "1", "0801")),
    ("何静", "13700001111", ("1", "1", "0302")),
)


@dataclass(frozen=True)
class DemoPeople:
    staff: dict[str, Staff]
    owners: list[Owner]


async def is_seeded(session: AsyncSession) -> bool:
    count = await session.scalar(
        select(func.count()).select_from(Staff).where(Staff.property_id == DEFAULT_PROPERTY)
    )
    return bool(count)


async def load_people(session: AsyncSession) -> DemoPeople:
    staff = (
        await session.execute(select(Staff).where(Staff.property_id == DEFAULT_PROPERTY))
    ).scalars()
    owners = (await session.execute(select(Owner).order_by(Owner.created_at, Owner.id))).scalars()
    return DemoPeople(staff={s.name: s for s in staff}, owners=list(owners))


async def seed(session: AsyncSession, settings: Settings, now: datetime) -> DemoPeople:
    admin = Context(session, ADMIN, now, settings)
    staff = {}
    for name, department, role, skills in STAFF:
        member = StaffCreate(name=name, department=department, role=role, skills=skills)
        staff[name] = await directory.create_staff(admin, member)
    manager = Context(session, Principal(Role.MANAGER, DEFAULT_PROPERTY), now, settings)
    owners = []
    for name, phone, (building, unit, room) in OWNERS:
        owner = OwnerCreate(
            name=name, phone=phone, units=[Unit(building=building, unit=unit, room=room)]
        )
        owners.append(await directory.create_owner(manager, owner))

    def as_staff(name: str) -> Context:
        member = staff[name]
        role = Role.SUPERVISOR if member.role == "supervisor" else Role.STAFF
        dept = Department(member.department) if member.department else None
        return Context(session, Principal(role, DEFAULT_PROPERTY, member.id, dept), now, settings)

    def as_owner(owner: Owner) -> Context:
        return Context(session, Principal(Role.OWNER, DEFAULT_PROPERTY, owner.id), now, settings)

    def home(owner: Owner) -> Location:
        unit = owner.units[0]
        return Location(building=unit["building"], unit=unit["unit"], room=unit["room"])

    async def held(filed: WorkOrder) -> WorkOrder:
        """A filed order read into the session, to act on (filing hands back what it wrote)."""
        order = await session.get(WorkOrder, filed.id)
        assert order is not None  # filed in this transaction
        return order

    lin, huang, he = owners
    leak = await held(
        await work_orders.create(
            as_owner(lin),
            WorkOrderCreate(description="厨房水管漏水，地上都是水", location=home(lin)),
        )
    )
    for actor, action, params in (
        ("刘师傅", Action.CLAIM, {}),
        ("刘师傅", Action.START, {}),
        ("刘师傅", Action.RESOLVE, {"resolution": "更换了厨房角阀和软管"}),
    ):
        leak = await transitions.act(as_staff(actor), leak, action, params)
    await transitions.act(as_owner(lin), leak, Action.CONFIRM, {"rating": 5, "comment": "很及时"})

    light = await held(
        await work_orders.create(
            as_owner(huang),
            WorkOrderCreate(description="楼道的声控灯坏了，晚上很黑", location=home(huang)),
        )
    )
    await transitions.act(
        as_staff("张工程主管"), light, Action.ASSIGN, {"assignee_id": staff["陈师傅"].id}
    )
    await work_orders.create(
        as_owner(he), WorkOrderCreate(description="楼下装修噪音太大，中午也不停", location=home(he))
    )
    await work_orders.create(
        as_owner(huang),
        WorkOrderCreate(description="垃圾桶满了好几天没人清理", location=home(huang)),
    )
    await work_orders.create(as_owner(lin), WorkOrderCreate(description="请问物业费可以开发票吗？"))
    for text in TORN:
        if (
            await routing_preview.preview(manager, RoutingPreviewBody(description=text))
        ).status == "triage":
            await work_orders.create(as_owner(he), WorkOrderCreate(description=text))
            break
    await _seed_schedules(manager, staff)
    return DemoPeople(staff=staff, owners=owners)


# title, queue, category, rule (Asia/Shanghai), checklist, assignee (by name) or None for claiming.
DEMO_SCHEDULES: tuple[tuple[str, Queue, str, str, list[str], str | None], ...] = (
    ("电梯维保", Queue.ENGINEERING, "elevator", "FREQ=DAILY;INTERVAL=15;BYHOUR=9;BYMINUTE=0",
     ["曳引机", "门机与门锁", "轿厢照明与对讲", "困人救援演练记录"], "陈师傅"),
    ("消防设施月检", Queue.ENGINEERING, "fire_equipment",
     "FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;BYMINUTE=30",
     ["灭火器压力", "消防栓水压", "应急照明", "疏散指示"], None),
    ("夜间安全巡逻", Queue.SECURITY, "patrol", "FREQ=DAILY;BYHOUR=20,22,0,2,4;BYMINUTE=0",
     ["消防通道畅通", "单元门禁关闭", "地下车库"], None),
    ("大堂日常保洁", Queue.CLEANING, "hygiene", "FREQ=DAILY;BYHOUR=7;BYMINUTE=0",
     ["地面", "玻璃门", "信报箱"], None),
)  # fmt: skip


async def _seed_schedules(manager: Context, staff: dict[str, Staff]) -> None:
    today = manager.now.astimezone(ZoneInfo("Asia/Shanghai")).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    for title, queue, category, rule, checklist, assignee in DEMO_SCHEDULES:
        body = ScheduleCreate(
            title=title,
            queue=queue,
            category=category,
            rrule=rule,
            dtstart=today,
            checklist=checklist,
            assignee_id=staff[assignee].id if assignee else None,
        )
        await schedules.create_schedule(manager, body)
