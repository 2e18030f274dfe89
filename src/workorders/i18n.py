"""The two languages of the owners' app: every label in `zh-CN` and `en`, which one a request wants,
and the sentences of problems said in it.

The Chinese labels are the taxonomy's and the lifecycle's own (one source for each); the English ones
live here. Sentences (problem titles, details, field messages) are written in English in the code,
marked with `_`/`N_` (errors.py), and translated by the gettext catalog `locale/zh_CN/LC_MESSAGES/
messages.po`, read with Babel (`pybabel extract -F babel.cfg -o src/workorders/locale/messages.pot src`
then `pybabel update` refreshes it). `negotiate` leaves the matching of language tags to Babel.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.lists import format_list
from babel.messages.pofile import read_po
from python_multipart.multipart import parse_options_header

from workorders.domain.lifecycle import STATUS_LABELS
from workorders.domain.taxonomy import CATEGORIES, KIND_LABELS, QUEUE_LABELS, Kind, Priority, Queue
from workorders.errors import Label, OneOf, Text

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
_BABEL_LOCALES = {ZH: Locale.parse("zh_CN"), EN: Locale.parse("en")}


def _preferences(accept_language: str) -> list[str]:
    """The header's language tags, most wanted first (RFC 9110 weights; q=0 means "not this"); the
    parameters are read by python-multipart's header parser, the tags checked by Babel."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, params = parse_options_header(part)
        try:
            weight = float(params.get(b"q", b"1"))
        except ValueError:
            weight = 0.0
        name = tag.decode("latin-1")
        if not name or name == "*" or weight <= 0:
            continue
        try:
            Locale.parse(name, sep="-")
        except (ValueError, UnknownLocaleError):
            continue
        ranked.append((-weight, position, name))
    return [name for _, _, name in sorted(ranked)]


def negotiate(accept_language: str | None) -> str:
    """`zh-CN` or `en`, as the `Accept-Language` header prefers; Chinese when it names neither."""
    if not accept_language:
        return DEFAULT
    chosen = negotiate_locale(_preferences(accept_language), list(_AVAILABLE), sep="-")
    return _AVAILABLE.get(chosen.lower(), DEFAULT) if chosen else DEFAULT


# --- sentences ---------------------------------------------------------------------------------------

LOCALE_DIR = Path(__file__).parent / "locale"
_CATALOG_LOCALES = {ZH: "zh_CN"}
_ACTION_ZH = {
    "route": "转派",
    "assign": "指派",
    "claim": "接单",
    "decline": "退回",
    "start": "开始处理",
    "hold": "暂停",
    "resume": "恢复处理",
    "resolve": "完成处理",
    "confirm": "确认",
    "reopen": "重新打开",
    "cancel": "取消",
    "escalate": "升级",
}


@cache
def _translations(lang: str) -> Mapping[str, str]:
    """msgid -> translation of the language's catalog (English is the msgids themselves)."""
    name = _CATALOG_LOCALES.get(lang)
    if name is None:
        return {}
    with (LOCALE_DIR / name / "LC_MESSAGES" / "messages.po").open("rb") as file:
        catalog = read_po(file, locale=name)
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and isinstance(message.string, str) and message.string and not message.fuzzy
    }


def gettext(msgid: str, lang: str) -> str:
    return _translations(lang).get(msgid, msgid)


def label(field: str, value: str, lang: str) -> str:
    if field == "action":
        return _ACTION_ZH.get(value, value) if lang == ZH else value
    return CATALOGUE.get(lang, CATALOGUE[DEFAULT]).get(field, {}).get(value, value)


def say(value: Any, lang: str) -> str:
    """`value` in `lang`: a `Text` translated and filled in, a `Label` by its label, alternatives as
    the language lists them, a tuple as sentences one after the other; anything else as it is."""
    if isinstance(value, Text):
        template = gettext(value.msgid, lang)
        if not value.values:
            return template
        return template.format(**{name: say(v, lang) for name, v in value.values.items()})
    if isinstance(value, Label):
        return label(value.field, str(value.value), lang)
    if isinstance(value, OneOf):
        words = [say(item, lang) for item in value.items]
        return format_list(words, style="or", locale=_BABEL_LOCALES.get(lang, _BABEL_LOCALES[ZH]))
    if isinstance(value, tuple):
        return ("；" if lang == ZH else "; ").join(say(item, lang) for item in value)
    return str(value)


def labels_for(order_like: Any, lang: str) -> dict[str, str | None]:
    """`{"status", "queue", "priority", "kind", "category"}` of an order (a row, a read model or a
    dict) in `lang`; a value without a label (a category a rule made up) is shown as it is."""
    # Whether it is a dict is asked once per order, not once per field (~3% of a list page).
    values = (
        tuple([order_like.get(field) for field in FIELDS])
        if isinstance(order_like, Mapping)
        else tuple([getattr(order_like, field) for field in FIELDS])
    )
    return dict(_labels(lang, values))


@lru_cache(maxsize=4096)
def _labels(lang: str, values: tuple[Any, ...]) -> Mapping[str, str | None]:
    """`labels_for` on the order's values: looked up once per combination (most orders of a page
    share their status, queue, priority, kind and category), copied for each order."""
    catalogue = CATALOGUE.get(lang, CATALOGUE[DEFAULT])
    labels: dict[str, str | None] = {}
    for field, value in zip(FIELDS, values, strict=True):
        text = None if value is None else str(value)
        labels[field] = None if text is None else catalogue[field].get(text, text)
    return labels


__all__ = [
    "CATALOGUE",
    "DEFAULT",
    "LANGUAGES",
    "gettext",
    "label",
    "labels_for",
    "negotiate",
    "say",
]
