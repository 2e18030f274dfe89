"""The two languages of the owners' app: every label in `zh-CN` and `en`, and which one a request wants.

The Chinese labels are the taxonomy's and the lifecycle's own (one source for each); the English ones
live here. `negotiate` leaves the matching of language tags to Babel.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from babel import negotiate_locale

from workorders.domain.lifecycle import STATUS_LABELS
from workorders.domain.taxonomy import CATEGORIES, KIND_LABELS, QUEUE_LABELS, Kind, Priority, Queue

ZH = "zh-CN"
EN = "en"
LANGUAGES = (ZH, EN)
DEFAULT = ZH
FIELDS = ("status", "queue", "priority", "kind", "category")

_PRIORITY_ZH = {
    Priority.URGENT: "紧急",
    Priority.HIGH: "高",
    Priority.NORMAL: "普通",
    Priority.LOW: "低",
}
_PRIORITY_EN = {
    Priority.URGENT: "Urgent",
    Priority.HIGH: "High",
    Priority.NORMAL: "Normal",
    Priority.LOW: "Low",
}
_QUEUE_EN = {
    Queue.ENGINEERING: "Engineering",
    Queue.SECURITY: "Security",
    Queue.CLEANING: "Cleaning and greening",
    Queue.CUSTOMER_SERVICE: "Customer service",
}
_KIND_EN = {
    Kind.REPAIR: "Repair",
    Kind.COMPLAINT: "Complaint",
    Kind.INQUIRY: "Inquiry",
    Kind.SUGGESTION: "Suggestion",
    Kind.INCIDENT: "Incident",
    Kind.TASK: "Internal task",
}
_CATEGORY_EN = {
    "plumbing": "Plumbing",
    "electrical": "Electrical and lighting",
    "elevator": "Elevator",
    "heating": "Heating",
    "air_conditioning": "Air conditioning",
    "doors_access": "Doors, windows and access",
    "gas": "Gas",
    "fire_equipment": "Fire equipment",
    "building": "Building structure",
    "public_facility": "Public facilities",
    "noise": "Noise",
    "parking": "Parking",
    "safety": "Safety and security",
    "fire_exit": "Blocked fire exit",
    "ebike": "E-bike charging",
    "falling_objects": "Falling objects",
    "dispute": "Neighbour dispute",
    "access_control": "Entry and exit",
    "garbage": "Garbage collection",
    "hygiene": "Public-area cleanliness",
    "greening": "Greening",
    "pests": "Pest control",
    "snow_water": "Snow and flooding",
    "inquiry": "Inquiry",
    "fees": "Property fees",
    "invoice": "Invoices",
    "suggestion": "Suggestion",
    "service_complaint": "Service complaint",
    "inspection": "Inspection",
    "patrol": "Patrol",
    "cleaning_round": "Cleaning round",
}

CATALOGUE: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    ZH: {
        "status": {str(s): label for s, label in STATUS_LABELS["zh"].items()},
        "queue": {str(q): label for q, label in QUEUE_LABELS.items()},
        "priority": {str(p): label for p, label in _PRIORITY_ZH.items()},
        "kind": {str(k): label for k, label in KIND_LABELS.items()},
        "category": {name: label for name, (_queue, label) in CATEGORIES.items()},
    },
    EN: {
        "status": {str(s): label for s, label in STATUS_LABELS["en"].items()},
        "queue": {str(q): label for q, label in _QUEUE_EN.items()},
        "priority": {str(p): label for p, label in _PRIORITY_EN.items()},
        "kind": {str(k): label for k, label in _KIND_EN.items()},
        "category": dict(_CATEGORY_EN),
    },
}

# Babel matches a preferred `zh-TW` or `zh-Hant-HK` to a bare `zh` (the first subtag), which stands
# for the only Chinese we have.
_AVAILABLE = {ZH.lower(): ZH, "zh": ZH, EN: EN}


def _preferences(accept_language: str) -> list[str]:
    """The header's language ranges, most wanted first (RFC 9110 weights; q=0 means "not this")."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, *params = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if tag and tag != "*" and weight > 0:
            ranked.append((-weight, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(accept_language: str | None) -> str:
    """`zh-CN` or `en`, as the `Accept-Language` header prefers; Chinese when it names neither."""
    if not accept_language:
        return DEFAULT
    chosen = negotiate_locale(_preferences(accept_language), list(_AVAILABLE), sep="-")
    return _AVAILABLE.get(chosen.lower(), DEFAULT) if chosen else DEFAULT


def _value(order_like: Any, field: str) -> str | None:
    value = order_like.get(field) if isinstance(order_like, Mapping) else getattr(order_like, field)
    return None if value is None else str(value)


def labels_for(order_like: Any, lang: str) -> dict[str, str | None]:
    """`{"status", "queue", "priority", "kind", "category"}` of an order (a row, a read model or a
    dict) in `lang`; a value without a label (a category a rule made up) is shown as it is."""
    catalogue = CATALOGUE.get(lang, CATALOGUE[DEFAULT])
    labels: dict[str, str | None] = {}
    for field in FIELDS:
        value = _value(order_like, field)
        labels[field] = None if value is None else catalogue[field].get(value, value)
    return labels


__all__ = ["CATALOGUE", "DEFAULT", "LANGUAGES", "labels_for", "negotiate"]
