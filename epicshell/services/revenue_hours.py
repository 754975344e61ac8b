"""Revenue per UTC hour, kept by triggers: what `report revenue` sums over long periods.

`revenue_hour` holds, for each UTC hour, the totals of the contracts signed in it (kind 1,
status signed) and the money collected in it (kind 2, payments that are not adjustments).
Triggers on contract and payment add each row's amount to its hour and take it away from
its old hour when the row changes or goes, in the writer's own transaction, so the table
is always the GROUP BY it replaces, whichever service, import or hand-made UPDATE wrote.
A local month (or any period) is a sum of its whole hours plus, at a boundary that is not
on the hour (a --from with minutes, a half-hour time zone), the few rows of the part hour
read from the covering indexes: five years are 44,000 hour rows instead of 1.7 million.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from peewee import SQL, fn

from ..models import Contract, Payment, RevenueHour, database, is_sqlite

SIGNED, COLLECTED = 1, 2
# kind: (table, time column, amount column, SQL condition of the rows that count)
SOURCES = {
    SIGNED: ("contract", "signed_at", "total_cents", "{row}.status = 'signed'"),
    COLLECTED: ("payment", "paid_at", "amount_cents", "NOT {row}.adjustment"),
}
# The columns whose change moves an amount between hours (or in and out of the sums).
WATCHED = {"contract": "status, signed_at, total_cents", "payment": "adjustment, paid_at, amount_cents"}
SQLITE_HOUR = "strftime('%Y-%m-%d %H:00:00', {value})"
SQLITE_UPSERT = ("INSERT INTO revenue_hour (kind, hour, cents) SELECT {kind}, {hour}, {cents} "
                 "WHERE {condition} AND {time} IS NOT NULL "
                 "ON CONFLICT (kind, hour) DO UPDATE SET cents = cents + excluded.cents")
POSTGRES_ADD = """
CREATE OR REPLACE FUNCTION revenue_hour_add(k SMALLINT, at TIMESTAMP, amount BIGINT)
RETURNS void AS $$
BEGIN
    IF at IS NOT NULL THEN
        INSERT INTO revenue_hour (kind, hour, cents) VALUES (k, date_trunc('hour', at), amount)
        ON CONFLICT (kind, hour) DO UPDATE SET cents = revenue_hour.cents + EXCLUDED.cents;
    END IF;
END $$ LANGUAGE plpgsql
"""
POSTGRES_TRIGGER = """
CREATE OR REPLACE FUNCTION {table}_revenue_hour() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF {old_counts} THEN
            PERFORM revenue_hour_add({kind}::SMALLINT, OLD.{time}, -OLD.{amount});
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF {new_counts} THEN
            PERFORM revenue_hour_add({kind}::SMALLINT, NEW.{time}, NEW.{amount});
        END IF;
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql
"""


def install(db) -> None:
    """The table, its triggers, and its rows computed from the contracts and payments."""
    if is_sqlite(db):
        db.execute_sql("CREATE TABLE revenue_hour (kind INTEGER NOT NULL, hour DATETIME NOT NULL, "
                       "cents INTEGER NOT NULL, PRIMARY KEY (kind, hour)) WITHOUT ROWID")
        for kind in SOURCES:
            _sqlite_triggers(db, kind)
    else:
        db.execute_sql("CREATE TABLE revenue_hour (kind SMALLINT NOT NULL, hour TIMESTAMP NOT NULL, "
                       "cents BIGINT NOT NULL, PRIMARY KEY (kind, hour))")
        db.execute_sql(POSTGRES_ADD)
        for kind in SOURCES:
            _postgres_trigger(db, kind)
    rebuild(db)


def rebuild(db=None) -> None:
    """Every hour computed afresh (after a bulk load that ran with the triggers off), in
    (kind, hour) order."""
    db = db or database.obj
    db.execute_sql("DELETE FROM revenue_hour")
    for kind, (table, time, amount, condition) in SOURCES.items():
        hour = SQLITE_HOUR.format(value=f"t.{time}") if is_sqlite(db) else \
            f"date_trunc('hour', t.{time})"
        db.execute_sql(f"INSERT INTO revenue_hour (kind, hour, cents) SELECT {kind}, {hour}, "
                       f"SUM(t.{amount}) FROM {table} t WHERE {condition.format(row='t')} "
                       f"AND t.{time} IS NOT NULL GROUP BY {hour} ORDER BY 2")
    if not is_sqlite(db):
        # Written in (kind, hour) order, a month's hours share a few pages (later hours are
        # appended in time order by the triggers); ANALYZE tells the planner how many there are.
        db.execute_sql("ANALYZE revenue_hour")


def _sqlite_triggers(db, kind: int) -> None:
    table, time, amount, condition = SOURCES[kind]

    def upsert(row: str, sign: str) -> str:
        return SQLITE_UPSERT.format(kind=kind, hour=SQLITE_HOUR.format(value=f"{row}.{time}"),
                                    cents=f"{sign}{row}.{amount}", time=f"{row}.{time}",
                                    condition=condition.format(row=row))

    add, remove = upsert("NEW", ""), upsert("OLD", "-")
    columns = WATCHED[table]
    db.execute_sql(f'CREATE TRIGGER "{table}_revenue_insert" AFTER INSERT ON "{table}" '
                   f"BEGIN {add}; END")
    db.execute_sql(f'CREATE TRIGGER "{table}_revenue_delete" AFTER DELETE ON "{table}" '
                   f"BEGIN {remove}; END")
    db.execute_sql(f'CREATE TRIGGER "{table}_revenue_update" AFTER UPDATE OF {columns} '
                   f'ON "{table}" BEGIN {remove}; {add}; END')


def _postgres_trigger(db, kind: int) -> None:
    table, time, amount, condition = SOURCES[kind]
    columns = WATCHED[table]
    db.execute_sql(POSTGRES_TRIGGER.format(
        table=table, kind=kind, time=time, amount=amount,
        old_counts=condition.format(row="OLD"), new_counts=condition.format(row="NEW")))
    db.execute_sql(f'CREATE TRIGGER "{table}_revenue_hour" AFTER INSERT OR DELETE OR UPDATE OF '
                   f'{columns} ON "{table}" FOR EACH ROW EXECUTE FUNCTION {table}_revenue_hour()')


# --- reading -----------------------------------------------------------------------------


def _hour_after(moment: datetime) -> datetime:
    """MOMENT if it is on the hour, else the next hour."""
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(hours=1)


def _raw_part(kind: int, label: int, start: datetime, end: datetime):
    """The sum of the rows of KIND in [START, END), less than an hour, from the index."""
    if kind == SIGNED:
        column, amount, condition = Contract.signed_at, Contract.total_cents, \
            Contract.status == "signed"
        model = Contract
    else:
        column, amount, condition = Payment.paid_at, Payment.amount_cents, \
            Payment.adjustment == False
        model = Payment
    return model.select(SQL(str(label)), fn.SUM(amount)).where(
        (column >= start) & (column < end) & condition)


def parts(kind: int, months) -> list:
    """Queries (label = index of the month in MONTHS) whose sums add up to each month's."""
    found = []
    for index, (_label, start, end) in enumerate(months):
        first, last = _hour_after(start), end.replace(minute=0, second=0, microsecond=0)
        if first >= last:  # less than a whole hour: the rows themselves
            found.append(_raw_part(kind, index, start, end))
            continue
        found.append(RevenueHour.select(SQL(str(index)), fn.SUM(RevenueHour.cents)).where(
            (RevenueHour.kind == kind) & (RevenueHour.hour >= first) & (RevenueHour.hour < last)))
        if start < first:
            found.append(_raw_part(kind, index, start, first))
        if last < end:
            found.append(_raw_part(kind, index, last, end))
    return found
