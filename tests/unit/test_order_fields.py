"""The read paths present a row of `work_orders` where the write paths present a `WorkOrder`: both
must answer every field of `OrderFields` under the same name, with the same column behind it."""

from __future__ import annotations

from sqlalchemy import inspect

from workorders.models import WorkOrder
from workorders.services.access import ORDER_ROWS, OrderFields, order_row


def _fields() -> list[str]:
    return sorted(
        name
        for name, value in vars(OrderFields).items()
        if isinstance(value, property) and not name.startswith("_")
    )


def test_every_field_an_order_is_read_by_is_a_mapped_column_of_the_same_key() -> None:
    mapper = inspect(WorkOrder)
    columns = {c.key for c in ORDER_ROWS.selected_columns}
    for name in _fields():
        attribute = mapper.column_attrs[name]
        assert [c.key for c in attribute.columns] == [name], name
        assert name in columns, name


def test_the_protocol_names_the_fields_the_presenters_read() -> None:
    # A guard against the Protocol drifting to nothing: the order's body reads these at least.
    assert {"id", "status", "queue", "routing", "version", "appointment", "dispatch"} <= set(
        _fields()
    )


def test_an_order_row_reads_each_column_by_its_key() -> None:
    values = [f"value of {c.key}" for c in ORDER_ROWS.selected_columns]
    row = order_row(values)
    for column in ORDER_ROWS.selected_columns:
        assert getattr(row, column.key) == f"value of {column.key}"
