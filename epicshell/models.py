"""Peewee models: the tables, their indexes and constraints.

Money is stored as integer cents (peewee's DecimalField is REAL on SQLite) and
exposed as Decimal through properties. Times are naive UTC. Rows that people edit
carry a `version` that every update checks and bumps, so two shells cannot silently
overwrite each other. Emails are stored lower-case, which makes the unique index
case-insensitive on every database.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone

from peewee import (
    AutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    CompositeKey,
    DatabaseProxy,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    SmallIntegerField,
    SqliteDatabase,
    TextField,
)

from .validation import cents_to_decimal

database = DatabaseProxy()


def is_sqlite(db=None) -> bool:
    """Whether DB (by default the database the models are bound to) is SQLite: the few
    statements that differ between the two engines ask this one question."""
    return isinstance(db if db is not None else database.obj, SqliteDatabase)


class _Clock:
    """Where `utcnow` reads the time: the system clock, unless a loader has pinned it."""

    pinned: datetime | None = None


_clock = _Clock()


def utcnow() -> datetime:
    """Now, as naive UTC: the only form times are stored in."""
    if _clock.pinned is not None:
        return _clock.pinned
    return datetime.now(timezone.utc).replace(tzinfo=None)


@contextmanager
def clock_pinned_at(instant: datetime):
    """Make every `utcnow()` inside the block return INSTANT (naive UTC, in the past).

    Only the demo loader uses it, to enter months of history through the services as if
    each action had been typed on its day, so its audit trail, payments, signatures and
    the report sums kept by triggers all agree. One thread, before any shell starts: the
    clock is the process's, and a live shell must never see a pinned one.
    """
    if instant > datetime.now(timezone.utc).replace(tzinfo=None):
        raise ValueError("the clock can only be pinned in the past")
    previous, _clock.pinned = _clock.pinned, instant
    try:
        yield
    finally:
        _clock.pinned = previous


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class User(BaseModel):
    id = AutoField()
    email = CharField(max_length=254, unique=True)
    full_name = CharField(max_length=100)
    name_key = CharField(max_length=100, index=True)  # lower(full_name), for prefix lookups
    employee_number = CharField(max_length=20, unique=True)
    department = CharField(max_length=20, index=True)
    password_hash = CharField(max_length=100)
    active = BooleanField(default=True, index=True)
    failed_logins = IntegerField(default=0)
    first_failure_at = DateTimeField(null=True)
    locked_until = DateTimeField(null=True)
    session_version = IntegerField(default=1)
    version = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    search_text = TextField(default="")  # services.search.user_text: name, email

    @property
    def short_name(self) -> str:
        return self.email.split("@", 1)[0]


class Client(BaseModel):
    id = AutoField()
    full_name = CharField(max_length=100)
    name_key = CharField(max_length=100, index=True)
    email = CharField(max_length=254, unique=True, null=True)  # NULL once forgotten (§10)
    phone = CharField(max_length=30, null=True)
    company = CharField(max_length=100, null=True, index=True)
    commercial = ForeignKeyField(User, backref="clients", index=True, on_delete="RESTRICT")
    version = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)  # date of first contact
    updated_at = DateTimeField(default=utcnow, index=True)
    search_text = TextField(default="")  # services.search.client_text: name, email, company


class Contract(BaseModel):
    id = AutoField()
    client = ForeignKeyField(Client, backref="contracts", index=True, on_delete="RESTRICT")
    commercial = ForeignKeyField(User, backref="contracts", index=True, on_delete="RESTRICT")
    total_cents = BigIntegerField()
    due_cents = BigIntegerField(index=True)
    status = CharField(max_length=10, default="draft")
    signed_at = DateTimeField(null=True)
    version = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("status", "due_cents"), False), (("commercial", "status", "due_cents"), False))

    @property
    def total(self):
        return cents_to_decimal(self.total_cents)

    @property
    def due(self):
        return cents_to_decimal(self.due_cents)


class Event(BaseModel):
    id = AutoField()
    contract = ForeignKeyField(Contract, backref="events", index=True, on_delete="RESTRICT")
    name = CharField(max_length=100)
    name_key = CharField(max_length=100, index=True)
    support = ForeignKeyField(User, backref="events", null=True, index=True, on_delete="RESTRICT")
    # A copy of the contract's commercial, kept in step by the services (client assign,
    # user delete with reassignment), so a commercial's events are one index range.
    commercial = ForeignKeyField(User, backref="sold_events", on_delete="RESTRICT", index=False)
    start = DateTimeField()
    end = DateTimeField()
    location = CharField(max_length=200, null=True)
    attendees = IntegerField(default=0)
    notes = TextField(null=True)
    version = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    search_text = TextField(default="")  # services.search.event_text: name, location, client

    class Meta:
        # `id` ends each key: on PostgreSQL equal start times are otherwise in heap order,
        # and "soonest first, then id" would sort every event of the first instant.
        indexes = ((("start", "id"), False), (("support", "start", "id"), False),
                   (("commercial", "start", "id"), False))


class SearchWord(BaseModel):
    """A word of a record's search text (services.search_words), written by triggers."""

    kind = SmallIntegerField()  # search_words.KINDS: 1 user, 2 client, 3 event
    word = TextField()
    first = BooleanField()  # the word starts a field of the record
    name_key = CharField(max_length=100)
    record_id = IntegerField()

    class Meta:
        primary_key = CompositeKey("kind", "first", "word", "name_key", "record_id")
        table_name = "search_word"


class RevenueHour(BaseModel):
    """Per UTC hour, the totals signed (kind 1) and collected (kind 2) in it, written by
    triggers (services.revenue_hours): `report revenue` sums hours, not rows."""

    kind = SmallIntegerField()
    hour = DateTimeField()
    cents = BigIntegerField()

    class Meta:
        primary_key = CompositeKey("kind", "hour")
        table_name = "revenue_hour"


class ContractDay(BaseModel):
    """Per commercial, status and UTC day of creation: how many contracts, their totals and
    amounts due, written by triggers (services.contract_days): `report pipeline` sums days."""

    commercial_id = IntegerField()
    status = CharField(max_length=10)
    day = DateField()
    contracts = IntegerField()
    total_cents = BigIntegerField()
    due_cents = BigIntegerField()

    class Meta:
        primary_key = CompositeKey("commercial_id", "status", "day")
        table_name = "contract_day"


class Payment(BaseModel):
    id = AutoField()
    contract = ForeignKeyField(Contract, backref="payments", index=True, on_delete="CASCADE")
    amount_cents = BigIntegerField()
    paid_at = DateTimeField(default=utcnow)
    recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    # True for the payment that explains a `due` set below the total without one
    # (contract create/update --due, an import); negative when due went back up.
    adjustment = BooleanField(default=False)
    # A copy of the contract's commercial, kept in step by the services (payments, imports,
    # client assign, user delete with reassignment), so `report revenue --by commercial`
    # sums one index range per commercial instead of looking up every payment's contract.
    commercial = ForeignKeyField(User, backref="sold_payments", on_delete="RESTRICT", index=False)


class AuditEntry(BaseModel):
    """One row per changed field (or one row with no field for a bare action).

    The actor's name is copied so the trail survives the actor's deletion.
    """

    id = AutoField()
    at = DateTimeField(default=utcnow, index=True)
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL", index=True)
    actor_name = CharField(max_length=100, null=True)
    action = CharField(max_length=40)
    entity = CharField(max_length=20)
    entity_id = IntegerField()
    field = CharField(max_length=40, null=True)
    old = TextField(null=True)
    new = TextField(null=True)

    class Meta:
        indexes = ((("entity", "entity_id"), False),)


class Setting(BaseModel):
    """Facts about the database itself, written once (e.g. its identity for calendar UIDs)."""

    key = CharField(max_length=40, primary_key=True)
    value = TextField()


MODELS = (User, Client, Contract, Event, Payment, AuditEntry)
