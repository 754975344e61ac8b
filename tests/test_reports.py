"""`report pipeline|revenue|unpaid|workload` on a seeded world, both databases.

Every expected figure is computed here, independently of the reports: from the pages of
`contract list --format json` and `client list --format json`, or from the payment rows
themselves, summed in Python with Decimal. The reports must agree to the cent, and each
total row must be the sum of its rows.
"""
from __future__ import annotations

import io
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from report_world import build, local_text
from shell_helpers import EMAILS, open_shell

from epicshell.config import Settings
from epicshell.models import Contract, ContractDay, Payment, RevenueHour, utcnow
from epicshell.services import reports
from epicshell.shell.app import App, Environment
from epicshell.shell.commands.reports import BAR_WIDTH, bar
from epicshell.validation import utc_to_local

ZERO = Decimal("0.00")
AMOUNT_KEYS = ("amount_signed", "amount_paid", "amount_due", "amount_collected", "days_0_30",
               "days_31_60", "days_61_90", "days_over_90", "total_due")


@pytest.fixture
def world(make, staff):
    return build(make, staff)


def all_pages(shell, command: str) -> list[dict]:
    """Every record of a list command, read page by page (small pages, several of them)."""
    records, page = [], 1
    while True:
        rows = shell.ok(f"{command} --format json --limit 3 --page {page}").json()
        if not rows:
            return records
        records.extend(rows)
        page += 1


def money(text: str) -> Decimal:
    assert isinstance(text, str) and text.count(".") == 1 and len(text.split(".")[1]) == 2, text
    return Decimal(text)


def check_total_row(rows: list[dict], label_key: str, count_keys=()) -> dict:
    """The last row is the total: each of its numbers is the sum of the rows above."""
    *body, total = rows
    assert total[label_key] == "total"
    for key in count_keys:
        assert isinstance(total[key], int)
        assert total[key] == sum(row[key] for row in body), key
    for key in AMOUNT_KEYS:
        if key in total:
            assert money(total[key]) == sum((money(row[key]) for row in body), ZERO), key
    return total


def local(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


# --- report pipeline ----------------------------------------------------------------------


def test_pipeline_totals_equal_the_sums_over_contract_list(shell, world, staff):
    rows = shell.ok("report pipeline --format json").json()
    contracts = all_pages(shell, "contract list")
    clients = all_pages(shell, "client list")
    assert len(contracts) == 10 and len(clients) == 3
    total = check_total_row(rows, "commercial",
                            ("clients", "drafts", "signed", "cancelled"))
    body = rows[:-1]
    assert [r["commercial"] for r in body] == ["Bill Boquet", "Cara Dune"]  # active commercials
    for row in [*body, total]:
        mine = [c for c in contracts if row["commercial_id"] in (None, c["commercial_id"])]
        signed = [c for c in mine if c["status"] == "signed"]
        assert row["clients"] == len([c for c in clients
                                      if row["commercial_id"] in (None, c["commercial_id"])])
        assert row["drafts"] == len([c for c in mine if c["status"] == "draft"])
        assert row["signed"] == len(signed)
        assert row["cancelled"] == len([c for c in mine if c["status"] == "cancelled"])
        signed_total = sum((money(c["total"]) for c in signed), ZERO)
        due = sum((money(c["due"]) for c in signed), ZERO)
        assert money(row["amount_signed"]) == signed_total
        assert money(row["amount_due"]) == due
        assert money(row["amount_paid"]) == signed_total - due
    assert total["amount_signed"] == "16200.09" and total["amount_due"] == "14107.85"


def test_pipeline_over_a_period_counts_the_contracts_created_in_it(shell, world):
    since = (datetime.now() - timedelta(days=30)).date()  # local, as the user types it
    rows = shell.ok(f"report pipeline --from {since} --to {datetime.now().date()} "
                    "--format json").json()
    contracts = [c for c in all_pages(shell, "contract list")
                 if local(c["created_at"]).date() >= since]
    total = check_total_row(rows, "commercial", ("drafts", "signed", "cancelled"))
    expected = Counter(c["status"] for c in contracts)
    assert (total["drafts"], total["signed"], total["cancelled"]) == (
        expected["draft"], expected["signed"], expected["cancelled"])
    assert total["clients"] == 3  # clients are all counted, whatever the period
    older = {c["id"] for c in all_pages(shell, "contract list")} - {c["id"] for c in contracts}
    assert older == {world.contracts[n].id for n in
                     ("bill_older_draft", "bill_due", "cara_over_90", "cara_old_draft")}


def test_pipeline_csv_has_integers_and_two_decimal_amounts(shell, world):
    rows = shell.ok("report pipeline --format csv").csv()
    assert list(rows[0]) == ["commercial_id", "commercial", "clients", "drafts", "signed",
                             "cancelled", "amount_signed", "amount_paid", "amount_due"]
    assert rows[-1]["commercial"] == "total" and rows[-1]["commercial_id"] == ""
    for row in rows:
        assert row["drafts"].isdigit() and row["clients"].isdigit()
        money(row["amount_paid"])


# --- report revenue -----------------------------------------------------------------------


def _month(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


def _expected_months(now_local: datetime) -> list[str]:
    months, month = [], now_local.replace(day=1)
    for _ in range(12):
        months.insert(0, _month(month))
        month = (month - timedelta(days=1)).replace(day=1)
    return months


def _payments(real_only=False) -> list[tuple[int, Decimal, datetime]]:
    """(contract id, amount, local time) of every payment (or every real one: no
    adjustment), read from the table itself."""
    return [(p.contract_id, Decimal(p.amount_cents) / 100, utc_to_local(p.paid_at))
            for p in Payment.select() if not (real_only and p.adjustment)]


def test_revenue_by_month_sums_signatures_and_payments_per_local_month(shell, world):
    rows = shell.ok("report revenue --format json").json()
    total = check_total_row(rows, "month")
    months = [r["month"] for r in rows[:-1]]
    assert months == _expected_months(utc_to_local(utcnow()))
    signed = defaultdict(Decimal)
    for c in all_pages(shell, "contract list"):
        if c["status"] == "signed":
            signed[_month(local(c["signed_at"]))] += money(c["total"])
    collected = defaultdict(Decimal)
    for _contract, amount, at in _payments():
        collected[_month(at)] += amount
    for row in rows[:-1]:
        assert money(row["amount_signed"]) == signed.get(row["month"], ZERO), row
        assert money(row["amount_collected"]) == collected.get(row["month"], ZERO), row
    assert money(total["amount_signed"]) == sum(signed.values()) == Decimal("16200.09")
    assert money(total["amount_collected"]) == Decimal("2092.24")


def test_revenue_by_commercial_and_over_a_period(shell, world, staff):
    rows = shell.ok("report revenue --by commercial --format json").json()
    check_total_row(rows, "commercial")
    by_name = {r["commercial"]: r for r in rows}
    assert by_name["Bill Boquet"]["amount_signed"] == "5800.00"
    assert by_name["Bill Boquet"]["amount_collected"] == "2034.56"
    assert by_name["Cara Dune"]["amount_signed"] == "10400.09"
    assert by_name["Cara Dune"]["amount_collected"] == "57.68"
    # The last 8 days only: cara_0_30's signature (5 days ago) and two payments.
    since = (utc_to_local(utcnow()) - timedelta(days=8)).strftime("%Y-%m-%d %H:%M")
    rows = shell.ok(f"report revenue --by commercial --from '{since}' --format json").json()
    total = check_total_row(rows, "commercial")
    assert total["amount_signed"] == "100.00"
    assert total["amount_collected"] == str(Decimal("57.58"))  # bill_paid was paid 9 days ago


def _collected_per_commercial() -> dict[int, Decimal]:
    """Money collected per commercial, computed here: each real payment counted for the
    commercial its contract has now, read from the contracts (not the payments' copy)."""
    owner = dict(Contract.select(Contract.id, Contract.commercial).tuples())
    collected: dict[int, Decimal] = defaultdict(Decimal)
    for contract_id, cents in Payment.select(Payment.contract, Payment.amount_cents).where(
            Payment.adjustment == False).tuples():
        collected[owner[contract_id]] += Decimal(cents) / 100
    return collected


def _check_collected_by_commercial(boss) -> dict[str, str]:
    rows = reports.revenue(boss, by="commercial", start="2000-01-01").all_rows
    check_total_row(rows, "commercial")
    expected = _collected_per_commercial()
    for row in rows[:-1]:
        assert money(row["amount_collected"]) == expected.get(row["commercial_id"], ZERO), row
    assert money(rows[-1]["amount_collected"]) == sum(expected.values(), ZERO)
    assert not Payment.select().join(Contract).where(
        Payment.commercial != Contract.commercial).count()  # the copy never drifts
    return {row["commercial"]: row["amount_collected"] for row in rows}


def test_revenue_by_commercial_follows_reassignments_imports_and_erasure(shell, world, staff,
                                                                         tmp_path):
    """Payments carry their contract's commercial: a client given to another commercial, an
    import, an erasure and a commercial deleted with an heir keep the report exact."""
    from epicshell.services import clients, contracts, gdpr, users

    boss, bill, cara = staff["management"], staff["commercial"], staff["commercial2"]
    assert _check_collected_by_commercial(boss) == {
        "Bill Boquet": "2034.56", "Cara Dune": "57.68", "total": "2092.24"}
    clients.assign_client(boss, world.contracts["bill_due"].client_id, cara.id)
    assert _check_collected_by_commercial(boss)["Cara Dune"] == "1292.24"  # + 1234.56
    _check_pipeline(boss)
    path = tmp_path / "contracts.csv"
    path.write_text("client_email,total,due,status,signed_at\n"
                    f"{world.contracts['bill_paid'].client.email},900,600,signed,2026-01-02 10:00\n")
    shell.ok(f"contract import {path}")
    imported = Contract.select().order_by(Contract.id.desc()).get()
    contracts.pay_contract(boss, imported.id, "25.00")
    assert _check_collected_by_commercial(boss)["Bill Boquet"] == "825.00"  # 800 + 25
    gdpr.forget_client(boss, world.contracts["cara_0_30"].client_id)
    clients.assign_client(boss, imported.client_id, cara.id)
    assert _check_collected_by_commercial(boss)["Cara Dune"] == "2117.24"
    _check_pipeline(boss)
    users.delete_user(boss, cara.id, reassign_to=bill.id)
    assert _check_collected_by_commercial(boss)["Bill Boquet"] == "2117.24"
    _check_pipeline(boss)


def _check_revenue_by_month(boss) -> None:
    """`report revenue` over all the data equals the sums computed here from the rows, and
    the hours the triggers keep equal a GROUP BY of the rows made now."""
    from epicshell.services import revenue_hours

    rows = reports.revenue(boss, start="2000-01-01").all_rows
    check_total_row(rows, "month")
    signed, collected = defaultdict(Decimal), defaultdict(Decimal)
    for status, signed_at, cents in Contract.select(
            Contract.status, Contract.signed_at, Contract.total_cents).tuples():
        if status == "signed" and signed_at is not None:
            signed[_month(utc_to_local(signed_at))] += Decimal(cents) / 100
    for _contract, amount, at in _payments(real_only=True):
        collected[_month(at)] += amount
    for row in rows[:-1]:
        assert money(row["amount_signed"]) == signed.get(row["month"], ZERO), row
        assert money(row["amount_collected"]) == collected.get(row["month"], ZERO), row
    assert money(rows[-1]["amount_signed"]) == sum(signed.values(), ZERO)
    assert money(rows[-1]["amount_collected"]) == sum(collected.values(), ZERO)
    kept = {(k, h): c for k, h, c in RevenueHour.select(
        RevenueHour.kind, RevenueHour.hour, RevenueHour.cents).tuples() if c}
    revenue_hours.rebuild()
    assert kept == {(k, h): c for k, h, c in RevenueHour.select(
        RevenueHour.kind, RevenueHour.hour, RevenueHour.cents).tuples() if c}


def _check_pipeline(boss) -> None:
    """`report pipeline` (all time, and the last 40 days from a local time with minutes)
    equals the figures computed here from the contract rows, and the days the triggers keep
    equal a GROUP BY of the rows made now."""
    from epicshell.services import contract_days

    since = utcnow() - timedelta(days=40, minutes=17)
    for start, created_after in ((None, None), (local_text(since), since)):
        rows = reports.pipeline(boss, start=start).all_rows
        check_total_row(rows, "commercial", ("clients", "drafts", "signed", "cancelled"))
        expected: dict = defaultdict(lambda: [0, 0, 0, ZERO, ZERO])
        for owner, status, created, total, due in Contract.select(
                Contract.commercial, Contract.status, Contract.created_at, Contract.total_cents,
                Contract.due_cents).tuples():
            if created_after is None or created >= created_after.replace(second=0,
                                                                        microsecond=0):
                figures = expected[owner]
                figures[("draft", "signed", "cancelled").index(status)] += 1
                if status == "signed":
                    figures[3] += Decimal(total) / 100
                    figures[4] += Decimal(due) / 100
        for row in rows[:-1]:
            drafts, signed, cancelled, total, due = expected.get(row["commercial_id"],
                                                                 [0, 0, 0, ZERO, ZERO])
            assert (row["drafts"], row["signed"], row["cancelled"]) == (drafts, signed,
                                                                        cancelled), row
            assert (money(row["amount_signed"]), money(row["amount_due"])) == (total, due), row
    kept = set(ContractDay.select().where(ContractDay.contracts != 0).tuples())
    contract_days.rebuild()
    assert kept == set(ContractDay.select().tuples())


def test_revenue_by_month_follows_every_change_of_contracts_and_payments(shell, world, staff,
                                                                         tmp_path):
    """Signing, paying, adjusting, cancelling, moving dates by hand and importing keep the
    hours that `report revenue` sums equal to the rows."""
    from epicshell.services import contracts

    boss = staff["management"]
    _check_revenue_by_month(boss)
    _check_pipeline(boss)
    fresh = contracts.create_contract(boss, world.contracts["bill_paid"].client_id,
                                      total="321.09", due="300.00")
    contracts.update_contract(boss, fresh.id, total="400.00")
    contracts.sign_contract(boss, fresh.id)
    contracts.pay_contract(boss, fresh.id, "0.99")
    contracts.cancel_contract(boss, world.contracts["cara_over_90"].id)
    Contract.update(signed_at=utcnow() - timedelta(days=200, minutes=7)).where(
        Contract.id == world.contracts["bill_due"].id).execute()
    Payment.update(paid_at=utcnow() - timedelta(days=65)).where(
        Payment.contract == world.contracts["cara_0_30"].id).execute()
    path = tmp_path / "contracts.csv"
    path.write_text("client_email,total,due,status,signed_at\n"
                    f"{world.contracts['bill_paid'].client.email},900,600,signed,2025-03-02 10:30\n")
    shell.ok(f"contract import {path}")
    _check_revenue_by_month(boss)
    _check_pipeline(boss)
    Payment.delete().where(Payment.contract == fresh.id).execute()
    _check_revenue_by_month(boss)
    _check_pipeline(boss)


def test_revenue_months_follow_from_and_to(shell, world):
    rows = shell.ok("report revenue --from 2025-11-15 --to 2026-02-10 --format csv").csv()
    assert [r["month"] for r in rows] == ["2025-11", "2025-12", "2026-01", "2026-02", "total"]


def test_revenue_bars_on_a_terminal_only(db_url, world, monkeypatch):
    monkeypatch.setenv("EPICSHELL_PASSWORD", "correct horse battery")
    monkeypatch.setenv("COLUMNS", "120")  # wide enough for a row per commercial, not expanded
    env = Environment(stdin=io.StringIO(), stdout=io.StringIO(), stderr=io.StringIO(),
                      interactive=True)
    app = App(Settings(database_url=db_url), env)
    app.session.login(EMAILS["management"], "correct horse battery")
    assert app.execute("report revenue --by commercial")
    table = env.stdout.getvalue()
    assert "signed_bar" in table and "collected_bar" in table
    cara = next(line for line in table.splitlines() if "Cara Dune" in line)
    assert "█" * BAR_WIDTH in cara  # the largest amount fills the bar
    for fmt in ("csv", "json"):
        env.stdout.seek(0)
        env.stdout.truncate()
        assert app.execute(f"report revenue --format {fmt}")
        assert "bar" not in env.stdout.getvalue() and "█" not in env.stdout.getvalue()


def test_no_bars_in_scripts(shell, world):
    out = shell.ok("report revenue").out
    assert "bar" not in out and "█" not in out


def test_bar_is_scaled_in_eighths():
    largest = Decimal("160")
    assert bar(largest, largest) == "█" * BAR_WIDTH
    assert bar(Decimal("5"), largest) == "▌"  # 5/160 of 16 cells = half a cell
    assert bar(Decimal("15"), largest) == "█▌"
    assert bar(Decimal("0.001"), largest) == "▏"  # something is never drawn as nothing
    assert bar(ZERO, largest) == "" and bar(ZERO, ZERO) == ""


# --- report unpaid ------------------------------------------------------------------------


def test_unpaid_buckets_add_up_to_the_total_due_of_signed_contracts(shell, world):
    rows = shell.ok("report unpaid --format json").json()
    total = check_total_row(rows, "commercial")
    for row in rows:
        buckets = sum((money(row[k]) for k in ("days_0_30", "days_31_60", "days_61_90",
                                              "days_over_90")), ZERO)
        assert buckets == money(row["total_due"]), row
    signed = [c for c in all_pages(shell, "contract list") if c["status"] == "signed"]
    assert money(total["total_due"]) == sum((money(c["due"]) for c in signed), ZERO)
    expected = defaultdict(Decimal)
    now = utc_to_local(utcnow())
    for c in signed:
        age = (now - local(c["signed_at"])).days
        key = ("days_0_30" if age <= 30 else "days_31_60" if age <= 60 else
               "days_61_90" if age <= 90 else "days_over_90")
        expected[(c["commercial"], key)] += money(c["due"])
    for row in rows[:-1]:
        for key in ("days_0_30", "days_31_60", "days_61_90", "days_over_90"):
            assert money(row[key]) == expected.get((row["commercial"], key), ZERO), (row, key)
    assert total["days_0_30"] == "42.42" and total["days_31_60"] == "3765.44"
    assert total["days_61_90"] == "300.00" and total["days_over_90"] == "9999.99"


# --- report workload ----------------------------------------------------------------------


def test_workload_per_support_user_then_events_without_support(shell, world):
    rows = shell.ok("report workload --format json").json()
    assert rows == [
        {"support_id": world.staff["support2"].id, "support": "Sam Help", "events": 1,
         "attendees": 25},
        {"support_id": world.staff["support"].id, "support": "Sue Port", "events": 2,
         "attendees": 17},
        {"support_id": None, "support": "(no support)", "events": 2, "attendees": 140},
    ]
    week = shell.ok("report workload --days 7 --format csv").csv()
    assert [(r["support"], r["events"], r["attendees"]) for r in week] == [
        ("Sam Help", "0", "0"), ("Sue Port", "2", "17"), ("(no support)", "1", "40")]


# --- every department, every format, bad input --------------------------------------------


@pytest.mark.parametrize("who", ["management", "commercial", "support"])
def test_every_department_reads_every_report(db_url, world, monkeypatch, who):
    shell = open_shell(db_url, monkeypatch, who)
    for line in ("report pipeline", "report revenue", "report revenue --by commercial",
                 "report unpaid", "report workload", "agenda"):
        for fmt in ("table", "csv", "json"):
            assert shell.ok(f"{line} --format {fmt}").out
    listed = shell.ok("help").out
    for name in ("agenda", "report pipeline", "report revenue", "report unpaid",
                 "report workload"):
        assert f"  {name} " in listed, name


def test_tables_show_the_total_row_and_the_period(shell, world):
    out = shell.ok("report pipeline --from 2026-01-01").out
    assert out.splitlines()[-2].split()[0] == "total"
    assert "contracts created: from 2026-01-01 00:00" in out


@pytest.mark.parametrize("line, says", [
    ("report revenue --by year", "invalid choice"),
    ("report pipeline --from yesterday", "from: 'yesterday' is not"),
    ("report pipeline --from 2026-03-01 --to 2026-02-01", "to: must be after --from"),
    ("report revenue --from 2026-03-01 --to '2026-03-01 00:00'", "to: must be after --from"),
    ("report workload --days 99999", "days: must be at most 36,500"),
    ("report workload --days many", "days: 'many' is not"),
    ("agenda --days -3", "days:"),
])
def test_bad_input_is_one_line_and_changes_nothing(shell, world, db_snapshot, line, says):
    before = db_snapshot()
    assert says in shell.fails(line)
    assert db_snapshot() == before


def test_nobody_logged_in_gets_no_report(db_url, world, monkeypatch):
    shell = open_shell(db_url, monkeypatch)
    assert "not logged in" in shell.fails("report unpaid")


# --- local months -------------------------------------------------------------------------


def test_months_are_local_calendar_months_cut_to_the_period(paris):
    from epicshell.services.periods import month_boundaries

    assert month_boundaries(datetime(2026, 2, 10), datetime(2026, 4, 5)) == [
        ("2026-02", datetime(2026, 2, 10), datetime(2026, 2, 28, 23)),
        ("2026-03", datetime(2026, 2, 28, 23), datetime(2026, 3, 31, 22)),
        ("2026-04", datetime(2026, 3, 31, 22), datetime(2026, 4, 5)),
    ]


def test_both_databases_put_a_signature_in_its_local_month(paris, shell, make):
    from epicshell.models import Contract

    late = make.contract(make.client(), total="10.00", signed=True)
    early = make.contract(make.client(), total="1.00", signed=True)
    # 23:30 UTC on 28 February is 00:30 on 1 March in Paris; 22:59 is still February.
    Contract.update(signed_at=datetime(2026, 2, 28, 23, 30)).where(
        Contract.id == late.id).execute()
    Contract.update(signed_at=datetime(2026, 2, 28, 22, 59)).where(
        Contract.id == early.id).execute()
    rows = shell.ok("report revenue --from 2026-02-01 --to 2026-03-31 --format json").json()
    assert [(r["month"], r["amount_signed"]) for r in rows] == [
        ("2026-02", "1.00"), ("2026-03", "10.00"), ("total", "11.00")]


def test_adjustments_are_not_money_collected(db_url, make, staff, monkeypatch):
    """A due typed below the total records an adjustment payment: it explains total − due
    but is no money received, so `report revenue` counts only the real payment."""
    from epicshell.services import contracts

    contract = make.contract(total="1000.00", due="400.00", signed=True)
    contracts.pay_contract(staff["management"], contract.id, "150.00")
    assert sorted(Payment.select(Payment.amount_cents, Payment.adjustment)
                  .where(Payment.contract == contract.id).tuples()) == [(15000, False), (60000, True)]
    shell = open_shell(db_url, monkeypatch, "management")
    rows = shell.ok("report revenue --by commercial --format json").json()
    assert rows[-1]["amount_collected"] == "150.00"
    assert rows[-1]["amount_signed"] == "1000.00"
