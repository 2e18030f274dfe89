"""The routing preview: what the property's rules and model would do with a draft, stored nowhere."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from workorders.domain import routing
from workorders.domain.actors import Role
from workorders.domain.taxonomy import Channel
from workorders.errors import Forbidden, _
from workorders.schemas.routing import RoutingDecision, RoutingPreview, RuleRef
from workorders.services import configuration, dispatch, placement

if TYPE_CHECKING:
    from workorders.schemas.routing import RoutingPreviewBody
    from workorders.services.context import Context


async def preview(ctx: Context, body: RoutingPreviewBody) -> RoutingPreview:
    if ctx.principal.role is Role.OWNER:
        raise Forbidden(_("the routing preview is for staff, the manager and the admin"))
    try:
        prop = await configuration.snapshot(ctx.session, ctx.principal.property_id)
    except LookupError:
        raise Forbidden(
            _("property {property_id} does not exist", property_id=ctx.principal.property_id)
        ) from None
    at = body.at or ctx.now
    location = body.location
    draft = routing.Draft(
        description=body.description,
        title=body.title,
        category=body.category,
        kind=body.kind,
        channel=str(body.channel or Channel.APP),
        building=location.building if location else None,
        area=location.area if location else None,
        local_hour=at.astimezone(ZoneInfo(prop.timezone)).hour,
    )
    decision = await placement.route(ctx, draft, prop)
    strategy = None
    if not decision.triage:
        strategy = decision.dispatch or await dispatch.queue_strategy(ctx, decision.queue)
    rule = (
        RuleRef(id=decision.rule_id, name=decision.rule_name or "")
        if decision.rule_id is not None
        else None
    )
    return RoutingPreview(
        queue=decision.queue,
        priority=body.priority or decision.priority,
        category=decision.category,
        kind=decision.kind,
        status="triage" if decision.triage else "queued",
        rule=rule,
        reason=decision.reason,
        dispatch=strategy,
        skills=list(decision.skills),
        routing=RoutingDecision.model_validate(decision.routing_data()),
    )
