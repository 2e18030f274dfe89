"""Order numbers: the local day a filing is counted in."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from workorders.services.numbers import day_of

ZONES = ["Asia/Shanghai", "UTC", "America/Los_Angeles", "Pacific/Kiritimati", "Asia/Kolkata"]


@given(
    at=st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(ZONES),
)
def test_the_day_is_the_local_calendar_day_as_strftime_spells_it(at: datetime, zone: str) -> None:
    assert day_of(at, zone) == at.astimezone(ZoneInfo(zone)).strftime("%Y%m%d")


def test_a_filing_near_midnight_counts_in_the_propertys_day_not_utcs() -> None:
    late_utc = datetime(2026, 12, 3, 16, 30, tzinfo=UTC)  # 00:30 on the 4th in Shanghai
    assert day_of(late_utc, "Asia/Shanghai") == "20261204"
    assert day_of(late_utc, "UTC") == "20261203"
