"""The reference service: the least a FastAPI + async SQLAlchemy service can do per request.

The project's benchmark runs this beside the real service, with the same load generator and the same
database, and reports the service's throughput as a ratio to it. It validates a small body, routes by a
dict lookup, inserts the order and one event row in one transaction, and reads an order by primary key.

    REFERENCE_DB_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test \
        uvicorn reference_app:app --port 8900 --no-access-log

GET /ping, POST /orders (201), GET /orders/{id}. Default database: a SQLite file (WAL) in the temp dir.
"""

import os
import tempfile
from datetime import UTC, datetime

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import JSON, DateTime, Integer, String, event
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

URL = os.environ.get(
    "REFERENCE_DB_URL",
    "sqlite+aiosqlite:///" + os.path.join(tempfile.gettempdir(), "reference-app.db"),
)
if URL.startswith("postgresql"):
    engine = create_async_engine(URL, pool_size=20, max_overflow=0)
else:
    engine = create_async_engine(URL)

    @event.listens_for(engine.sync_engine, "connect")
    def _wal(dbapi_conn, _):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.close()


Session = async_sessionmaker(engine, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "reference_orders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(2000))
    unit: Mapped[str] = mapped_column(String(40))
    queue: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Event(Base):
    __tablename__ = "reference_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(Integer, index=True)
    payload: Mapped[dict] = mapped_column(JSON)


ROUTES = {
    "repair": "engineering",
    "noise": "security",
    "parking": "security",
    "cleaning": "cleaning",
}


class OrderIn(BaseModel):
    category: str = Field(max_length=40)
    description: str = Field(max_length=2000)
    unit: str = Field(max_length=40)


class OrderOut(OrderIn):
    id: int
    queue: str
    status: str
    created_at: datetime


app = FastAPI()


@app.on_event("startup")
async def _create_tables() -> None:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)


@app.get("/ping")
async def ping() -> dict:
    return {"ok": True}


@app.post("/orders", status_code=201, response_model=OrderOut)
async def create(body: OrderIn) -> Order:
    async with Session() as s, s.begin():
        order = Order(
            **body.model_dump(),
            queue=ROUTES.get(body.category, "customer_service"),
            status="queued",
            created_at=datetime.now(UTC),
        )
        s.add(order)
        await s.flush()
        s.add(Event(order_id=order.id, payload={"type": "order.created", "queue": order.queue}))
    return order


@app.get("/orders/{order_id}", response_model=OrderOut)
async def read(order_id: int) -> Order:
    async with Session() as s:
        order = await s.get(Order, order_id)
        if order is None:
            raise HTTPException(404)
        return order
