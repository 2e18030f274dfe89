"""JSON columns: written by orjson, read by orjson with the standard library behind it."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from workorders.db import json_text, json_value

# What the service stores in JSON columns: JSON's own values, text of any script included.
_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
VALUES = st.recursive(
    _LEAVES,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


@given(VALUES)
def test_what_is_written_reads_back_as_the_standard_library_would_read_its_own(value: Any) -> None:
    text = json_text(value)
    assert json.loads(text) == json.loads(json.dumps(value))
    assert json_value(text) == json.loads(text)


@given(VALUES)
def test_what_the_standard_library_wrote_reads_the_same(value: Any) -> None:
    """Rows written before orjson wrote them (ASCII escapes) read as they always did."""
    assert json_value(json.dumps(value)) == json.loads(json.dumps(value))


def test_text_is_stored_as_itself_and_keys_as_strings() -> None:
    assert json_text({"描述": "厨房水龙头漏水", 1: [True, None]}) == (
        '{"描述":"厨房水龙头漏水","1":[true,null]}'
    )


def test_a_value_only_json_dumps_could_write_still_reads() -> None:
    """`json.dumps` writes NaN and Infinity, which orjson refuses to read."""
    read = json_value(json.dumps({"confidence": math.nan, "limit": math.inf}))
    assert math.isnan(read["confidence"])
    assert read["limit"] == math.inf
