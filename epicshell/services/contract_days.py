"""Contracts per commercial, status and UTC day of creation, kept by triggers: what
`report pipeline` sums instead of every contract of the period.

`contract_day` holds, for each (commercial, status, UTC day of `created_at`), how many
contracts there are and the sums of their totals and amounts due. Triggers on contract
take a row's figures away from its old key and add them to its new one whenever one of
those columns changes (a payment lowers `due`, a signature changes the status, `client
assign` the commercial), in the writer's own transaction, so the table is always the GROUP
BY it replaces. A period is its whole UTC days from here, plus the contracts created in the
part days at either end (local midnight is not UTC midnight) read from the indexes.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from peewee import fn

from ..models import Contract, ContractDay, database, is_sqlite

KEY = ("commercial_id", "status")
WATCHED = "commercial_id, status, created_at, total_cents, due_cents"
SQLITE_DAY = "date({value})"
SQLITE_UPSERT = ("INSERT INTO contract_day (commercial_id, status, day, contracts, total_cents, "
                 "due_cents) VALUES ({row}.commercial_id, {row}.status, date({row}.created_at), "
                 "{sign}1, {sign}{row}.total_cents, {sign}{row}.due_cents) "
                 "ON CONFLICT (commercial_id, status, day) DO UPDATE SET "
                 "contracts = contracts + excluded.contracts, "
                 "total_cents = total_cents + excluded.total_cents, "
                 "due_cents = due_cents + excluded.due_cents")
POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION contract_day_add(c INTEGER, s TEXT, at TIMESTAMP, n INTEGER,
                                            total BIGINT, due BIGINT) RETURNS void AS $$
BEGIN
    INSERT INTO contract_day (commercial_id, status, day, contracts, total_cents, due_cents)
    VALUES (c, s, at::date, n, total, due)
    ON CONFLICT (commercial_id, status, day) DO UPDATE SET
        contracts = contract_day.contracts + EXCLUDED.contracts,
        total_cents = contract_day.total_cents + EXCLUDED.total_cents,
        due_cents = contract_day.due_cents + EXCLUDED.due_cents;
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION contract_days() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM contract_day_add(OLD.commercial_id, OLD.status, OLD.created_at, -1,
                                 -OLD.total_cents, -OLD.due_cents);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM contract_day_add(NEW.commercial_id, NEW.status, NEW.created_at, 1,
                                 NEW.total_cents, NEW.due_cents);
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql
"""


def install(db) -> None:
    """The table, its triggers, and its rows computed from the contracts."""
    day, text, big = ("TEXT", "TEXT", "INTEGER") if is_sqlite(db) else ("DATE", "VARCHAR(10)",
                                                                          "BIGINT")
    db.execute_sql(f"CREATE TABLE contract_day (commercial_id INTEGER NOT NULL, status {text} "
                   f"NOT NULL, day {day} NOT NULL, contracts INTEGER NOT NULL, total_cents {big} "
                   f"NOT NULL, due_cents {big} NOT NULL, PRIMARY KEY (commercial_id, status, day))"
                   + (" WITHOUT ROWID" if is_sqlite(db) else ""))
    if is_sqlite(db):
        add, remove = SQLITE_UPSERT.format(row="NEW", sign=""), SQLITE_UPSERT.format(row="OLD",
                                                                                     sign="-")
        db.execute_sql(f"CREATE TRIGGER contract_day_insert AFTER INSERT ON contract BEGIN {add}; END")
        db.execute_sql(f"CREATE TRIGGER contract_day_delete AFTER DELETE ON contract BEGIN {remove}; END")
        db.execute_sql(f"CREATE TRIGGER contract_day_update AFTER UPDATE OF {WATCHED} ON contract "
                       f"BEGIN {remove}; {add}; END")
    else:
        db.execute_sql(POSTGRES_FUNCTION)
        db.execute_sql(f"CREATE TRIGGER contract_days AFTER INSERT OR DELETE OR UPDATE OF {WATCHED} "
                       "ON contract FOR EACH ROW EXECUTE FUNCTION contract_days()")
    rebuild(db)


def rebuild(db=None) -> None:
    """Every day computed afresh (after a bulk load that ran with the triggers off)."""
    db = db or database.obj
    day = "date(created_at)" if is_sqlite(db) else "created_at::date"
    db.execute_sql("DELETE FROM contract_day")
    db.execute_sql("INSERT INTO contract_day (commercial_id, status, day, contracts, total_cents, "
                   f"due_cents) SELECT commercial_id, status, {day}, COUNT(*), SUM(total_cents), "
                   f"SUM(due_cents) FROM contract GROUP BY commercial_id, status, {day} "
                   "ORDER BY 1, 2, 3")
    if not is_sqlite(db):  # in key order, and the planner told how many rows there are
        db.execute_sql("ANALYZE contract_day")


# --- reading -----------------------------------------------------------------------------


def _day_after(moment: datetime) -> datetime:
    """MOMENT if it is a UTC midnight, else the next one."""
    floor = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(days=1)


def _add(found: dict, query) -> None:
    for commercial_id, status, count, total, due in query.tuples():
        before = found.get((commercial_id, status), (0, 0, 0))
        found[(commercial_id, status)] = tuple(
            int(a) + int(b or 0) for a, b in zip(before, (count, total, due), strict=True))


def _rows(begin, stop):
    """Contracts created in [BEGIN, STOP) (less than a day), from the indexes."""
    return (Contract.select(Contract.commercial, Contract.status, fn.COUNT(Contract.id),
                            fn.SUM(Contract.total_cents), fn.SUM(Contract.due_cents))
            .where((Contract.created_at >= begin) & (Contract.created_at < stop))
            .group_by(Contract.commercial, Contract.status))


def by_status(begin: datetime | None, stop: datetime | None) -> dict[tuple, tuple]:
    """{(commercial id, status): (contracts, total cents, due cents)} of the contracts created
    in [BEGIN, STOP) (None: unbounded): whole UTC days summed here, part days from the rows."""
    first = None if begin is None else _day_after(begin)
    last = None if stop is None else stop.replace(hour=0, minute=0, second=0, microsecond=0)
    found: dict[tuple, tuple] = {}
    if first is not None and last is not None and first >= last:  # within one or two days
        _add(found, _rows(begin, stop))
        return found
    days = ContractDay.select(ContractDay.commercial_id, ContractDay.status,
                              fn.SUM(ContractDay.contracts), fn.SUM(ContractDay.total_cents),
                              fn.SUM(ContractDay.due_cents))
    if first is not None:
        days = days.where(ContractDay.day >= first.date())
        if begin < first:
            _add(found, _rows(begin, first))
    if last is not None:
        days = days.where(ContractDay.day < last.date())
        if last < stop:
            _add(found, _rows(last, stop))
    _add(found, days.group_by(ContractDay.commercial_id, ContractDay.status))
    return {key: value for key, value in found.items() if value[0]}
