"""Who may call each operation: one declaration per route, checked by tests/trust/test_access_matrix.py.

A route missing here fails that test, so a new endpoint cannot ship without someone deciding who may
call it. The rule names the gate the endpoint's service applies; visibility (404 for what a caller may
not see) comes first, as API.md orders it.
"""

from __future__ import annotations

from enum import StrEnum


class Rule(StrEnum):
    PUBLIC = "no token: health, readiness and metrics"
    ANYONE = "any authenticated caller; the answer is limited to what the caller may see"
    ORDER = "whoever may see the order (404 otherwise); the lifecycle table decides the action"
    STAFF_SIDE = "everyone but owners"
    OWNER_RECORDS = "customer service, the manager and the admin; an owner their own record"
    REVEAL = "customer service and the manager, audited"
    DIRECTORY = "the admin, the manager, a department's supervisor for its staff; one's own duty"
    MANAGER = "the manager and the admin"
    ADMIN = "the admin"
    QUEUE_SUPERVISOR = "the manager, the admin and the queue's supervisor"
    RETURN_VISITS = "customer service and the manager"
    ORDER_WORKERS = "staff of the order's queue, its supervisor, customer service, the manager"
    OWN_DEVICES = "owners and staff, for their own devices only (404 for anyone else's)"
    REPORTS = "the manager and the admin; a department's supervisor for its own queue"


ACCESS: dict[str, Rule] = {
    "getHealth": Rule.PUBLIC,
    "getMetrics": Rule.PUBLIC,
    "getReadiness": Rule.PUBLIC,
    "listEvents": Rule.ANYONE,
    "streamEvents": Rule.ANYONE,
    "listNotifications": Rule.ANYONE,
    "markNotificationsRead": Rule.ANYONE,
    "listOwners": Rule.OWNER_RECORDS,
    "createOwner": Rule.OWNER_RECORDS,
    "getOwner": Rule.OWNER_RECORDS,
    "updateOwner": Rule.OWNER_RECORDS,
    "revealOwner": Rule.REVEAL,
    "listQueues": Rule.ANYONE,
    "listQueueDispatch": Rule.STAFF_SIDE,
    "setQueueDispatch": Rule.QUEUE_SUPERVISOR,
    "listQueueWorkOrders": Rule.ANYONE,
    "listReturnVisits": Rule.RETURN_VISITS,
    "getReturnVisit": Rule.RETURN_VISITS,
    "completeReturnVisit": Rule.RETURN_VISITS,
    "listRoutingRules": Rule.MANAGER,
    "createRoutingRule": Rule.MANAGER,
    "getRoutingRule": Rule.MANAGER,
    "updateRoutingRule": Rule.MANAGER,
    "deleteRoutingRule": Rule.MANAGER,
    "previewRouting": Rule.STAFF_SIDE,
    "listSchedules": Rule.STAFF_SIDE,
    "createSchedule": Rule.QUEUE_SUPERVISOR,
    "getSchedule": Rule.STAFF_SIDE,
    "updateSchedule": Rule.QUEUE_SUPERVISOR,
    "deleteSchedule": Rule.QUEUE_SUPERVISOR,
    "listSlaPolicies": Rule.STAFF_SIDE,
    "createSlaPolicy": Rule.MANAGER,
    "getSlaPolicy": Rule.STAFF_SIDE,
    "updateSlaPolicy": Rule.MANAGER,
    "deleteSlaPolicy": Rule.MANAGER,
    "getSlaSettings": Rule.STAFF_SIDE,
    "updateSlaSettings": Rule.MANAGER,
    "listStaff": Rule.STAFF_SIDE,
    "createStaff": Rule.DIRECTORY,
    "getStaff": Rule.STAFF_SIDE,
    "updateStaff": Rule.DIRECTORY,
    "createWebhookEndpoint": Rule.ADMIN,
    "listWebhookEndpoints": Rule.ADMIN,
    "getWebhookEndpoint": Rule.ADMIN,
    "updateWebhookEndpoint": Rule.ADMIN,
    "deleteWebhookEndpoint": Rule.ADMIN,
    "listWebhookDeliveries": Rule.ADMIN,
    "retryWebhookDelivery": Rule.ADMIN,
    "recoverWebhookEndpoint": Rule.ADMIN,
    "rotateWebhookEndpointSecret": Rule.ADMIN,
    "createWorkOrder": Rule.ANYONE,
    "listWorkOrders": Rule.ANYONE,
    "getWorkOrder": Rule.ORDER,
    "assignWorkOrder": Rule.ORDER,
    "cancelWorkOrder": Rule.ORDER,
    "checkWorkOrderChecklistItem": Rule.ORDER_WORKERS,
    "claimWorkOrder": Rule.ORDER,
    "createWorkOrderComment": Rule.ORDER,
    "listWorkOrderComments": Rule.ORDER,
    "getWorkOrderComment": Rule.ORDER,
    "confirmWorkOrder": Rule.ORDER,
    "declineWorkOrder": Rule.ORDER,
    "escalateWorkOrder": Rule.ORDER,
    "listWorkOrderEvents": Rule.ORDER,
    "createWorkOrderFollowUp": Rule.ORDER_WORKERS,
    "listWorkOrderFollowUps": Rule.ORDER,
    "holdWorkOrder": Rule.ORDER,
    "reopenWorkOrder": Rule.ORDER,
    "resolveWorkOrder": Rule.ORDER,
    "resumeWorkOrder": Rule.ORDER,
    "routeWorkOrder": Rule.ORDER,
    "startWorkOrder": Rule.ORDER,
    "createWorkOrderAttachment": Rule.ORDER,
    "listWorkOrderAttachments": Rule.ORDER,
    "getAttachment": Rule.ORDER,
    "getAttachmentThumbnail": Rule.ORDER,
    # The appointment table (domain/appointments.py) decides each step, like the lifecycle's.
    "createWorkOrderAppointment": Rule.ORDER,
    "listWorkOrderAppointments": Rule.ORDER,
    "getWorkOrderAppointment": Rule.ORDER,
    "acceptWorkOrderAppointment": Rule.ORDER,
    "declineWorkOrderAppointment": Rule.ORDER,
    "withdrawWorkOrderAppointment": Rule.ORDER,
    "getMe": Rule.ANYONE,
    "listLabels": Rule.ANYONE,
    "createStreamTicket": Rule.ANYONE,
    "listProperties": Rule.ADMIN,
    "createProperty": Rule.ADMIN,
    "getProperty": Rule.ADMIN,
    "updateProperty": Rule.ADMIN,
    "registerDevice": Rule.OWN_DEVICES,
    "listDevices": Rule.OWN_DEVICES,
    "deleteDevice": Rule.OWN_DEVICES,
    "getReportSummary": Rule.REPORTS,
    "listRoutingExamples": Rule.MANAGER,
    "listRoutingModels": Rule.MANAGER,
    "activateRoutingModel": Rule.MANAGER,
    "backtestRouting": Rule.MANAGER,
}
