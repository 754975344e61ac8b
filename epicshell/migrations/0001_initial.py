"""The first schema: users, clients, contracts, events, payments and the audit trail.

A frozen copy of the models as they were at this migration, independent of
epicshell.models so that later model changes never rewrite history.
"""
from datetime import datetime, timezone

from peewee import (
    AutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


def _now():
    return datetime.now(timezone.utc).replace(tzinfo=None)


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):
        id = AutoField()
        email = CharField(max_length=254, unique=True)
        full_name = CharField(max_length=100)
        name_key = CharField(max_length=100, index=True)
        employee_number = CharField(max_length=20, unique=True)
        department = CharField(max_length=20, index=True)
        password_hash = CharField(max_length=100)
        active = BooleanField(default=True, index=True)
        failed_logins = IntegerField(default=0)
        first_failure_at = DateTimeField(null=True)
        locked_until = DateTimeField(null=True)
        session_version = IntegerField(default=1)
        version = IntegerField(default=1)
        created_at = DateTimeField(default=_now)
        updated_at = DateTimeField(default=_now)

    class Client(Base):
        id = AutoField()
        full_name = CharField(max_length=100)
        name_key = CharField(max_length=100, index=True)
        email = CharField(max_length=254, unique=True)
        phone = CharField(max_length=30, null=True)
        company = CharField(max_length=100, null=True)
        commercial = ForeignKeyField(User, index=True, on_delete="RESTRICT")
        version = IntegerField(default=1)
        created_at = DateTimeField(default=_now)
        updated_at = DateTimeField(default=_now)

    class Contract(Base):
        id = AutoField()
        client = ForeignKeyField(Client, index=True, on_delete="RESTRICT")
        commercial = ForeignKeyField(User, index=True, on_delete="RESTRICT")
        total_cents = BigIntegerField()
        due_cents = BigIntegerField()
        status = CharField(max_length=10, default="draft", index=True)
        signed_at = DateTimeField(null=True)
        version = IntegerField(default=1)
        created_at = DateTimeField(default=_now)
        updated_at = DateTimeField(default=_now)

    class Event(Base):
        id = AutoField()
        contract = ForeignKeyField(Contract, index=True, on_delete="RESTRICT")
        name = CharField(max_length=100)
        name_key = CharField(max_length=100, index=True)
        support = ForeignKeyField(User, null=True, index=True, on_delete="RESTRICT")
        start = DateTimeField()
        end = DateTimeField()
        location = CharField(max_length=200, null=True)
        attendees = IntegerField(default=0)
        notes = TextField(null=True)
        version = IntegerField(default=1)
        created_at = DateTimeField(default=_now)
        updated_at = DateTimeField(default=_now)

    class Payment(Base):
        id = AutoField()
        contract = ForeignKeyField(Contract, index=True, on_delete="CASCADE")
        amount_cents = BigIntegerField()
        paid_at = DateTimeField(default=_now)
        recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

    class AuditEntry(Base):
        id = AutoField()
        at = DateTimeField(default=_now)
        actor = ForeignKeyField(User, null=True, on_delete="SET NULL", index=True)
        actor_name = CharField(max_length=100, null=True)
        action = CharField(max_length=40)
        entity = CharField(max_length=20)
        entity_id = IntegerField()
        field = CharField(max_length=40, null=True)
        old = TextField(null=True)
        new = TextField(null=True)

    db.create_tables([User, Client, Contract, Event, Payment, AuditEntry])
