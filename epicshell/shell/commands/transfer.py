"""`… import FILE`, `… export FILE` and `data export|import DIR` (commands.md §8).

The shell's part: open and split the files, show progress on a terminal, write files
through the one file helper, print the report. Checking and writing records is the
services' (`services.transfer`, `services.transfer_export`).
"""
from __future__ import annotations

from pathlib import Path

from ...errors import EpicError
from ...services import transfer, transfer_export
from ...services.transfer_rows import ImportRefused
from .. import lookups
from ..datafiles import read_data_file, write_csv, write_json
from ..files import may_write, private_folder, write_file
from ..progress import progress_bar
from ..registry import REGISTRY, Arg, Flag, Opt, command
from ..render import Result
from . import clients, contracts, events  # noqa: F401  (the list commands, whose filters export takes)

FILE = Arg("file", "the file (CSV; .json for JSON on export)", metavar="FILE")
DRY_RUN = Flag("--dry-run", "check every row and report, write nothing")
SKIP = Flag("--skip-existing", "skip clients whose email exists (counted) instead of refusing")
FORCE = Flag("--force", "overwrite FILE if it exists")
DATA_FILES = {"client": "clients.csv", "contract": "contracts.csv", "event": "events.csv"}
PLURAL = {"client": "clients", "contract": "contracts", "event": "events"}
NOT_FILTERS = {"--format", "--limit", "--page", "--sort", "--columns", "--count"}  # display, not selection


def _counts(what: dict) -> str:
    parts = []
    for entity, count in what.items():
        parts.append(f"{count:,} {entity if count == 1 else PLURAL[entity]}")
    return ", ".join(parts)


def _report_line(report, source: str) -> str:
    created = _counts(report.created)
    skipped = {k: v for k, v in report.skipped.items() if v}
    tail = f" ({_counts(skipped)} skipped)" if skipped else ""
    if report.dry_run:
        return f"Dry run: {created} would be imported from {source}{tail}; nothing was written."
    return f"Imported {created} from {source}{tail}."


def _run_import(ctx, read, run, source: str):
    """READ() the files, RUN(files, progress) the import service; bad rows (or a bad header)
    are listed on stderr, then one error line."""
    try:
        files = read()
        total = sum(f.total or 0 for f in files)
        with progress_bar(ctx, total, f"Importing {source}") as progress:
            report = run(files, progress)
    except ImportRefused as refused:
        for line in refused.lines():
            print(line, file=ctx.app.env.stderr, flush=True)
        raise EpicError(str(refused)) from None
    return Result(message=_report_line(report, source))


@command("client import", summary="Create clients from a CSV file: all rows or none.",
         operation="client.import",
         params=(FILE, Opt("--commercial", "the commercial of rows without commercial_email "
                           "(management)", metavar="ID", complete=lookups.commercial_ids),
                 DRY_RUN, SKIP),
         examples=("client import clients.csv --dry-run",
                   "client import clients.csv --commercial 7 --skip-existing"))
def client_import(ctx, args):
    return _run_import(ctx, lambda: [read_data_file(args.file, "client")],
                       lambda files, progress: transfer.import_clients(
                           ctx.actor, *files, commercial=args.commercial, dry_run=args.dry_run,
                           skip_existing=args.skip_existing, progress=progress), args.file)


def _import_command(entity: str, service) -> None:
    """Register `ENTITY import FILE [--dry-run]` (management: the rows name their links)."""

    @command(f"{entity} import", summary=f"Create {PLURAL[entity]} from a CSV file: all rows "
             "or none.", operation=f"{entity}.import", params=(FILE, DRY_RUN),
             examples=(f"{entity} import {PLURAL[entity]}.csv --dry-run",))
    def run_import(ctx, args):
        return _run_import(ctx, lambda: [read_data_file(args.file, entity)],
                           lambda files, progress: service(
                               ctx.actor, *files, dry_run=args.dry_run, progress=progress),
                           args.file)


_import_command("contract", transfer.import_contracts)
_import_command("event", transfer.import_events)


# --- export -------------------------------------------------------------------------------

def _filters(list_command: str) -> tuple:
    """The filter options of LIST_COMMAND: export selects exactly what the list would."""
    return tuple(p for p in REGISTRY[list_command].options if p.flag not in NOT_FILTERS)


def write_export(ctx, path, entity: str, export, *, force: bool, checked: bool = False) -> int:
    """Write EXPORT's records to PATH (JSON if it ends in .json, else CSV); return the count."""
    writer = write_json if str(path).lower().endswith(".json") else write_csv
    total = export.count() if ctx.interactive else None
    with progress_bar(ctx, total, f"Exporting {PLURAL[entity]}") as progress:
        return write_file(ctx, path, lambda file: writer(file, entity, export.records(), progress),
                          force=force, checked=checked)


def _export_command(entity: str, service) -> None:
    filters = _filters(f"{entity} list")

    @command(f"{entity} export", summary=f"Write every {entity} the filters select to FILE "
             "(CSV, or JSON for a .json name).", operation=f"{entity}.read",
             params=(FILE, *filters, FORCE),
             examples=(f"{entity} export {PLURAL[entity]}.csv",
                       f"{entity} export {PLURAL[entity]}.json --mine"))
    def export(ctx, args):
        values = {p.dest: getattr(args, p.dest) for p in filters}
        count = write_export(ctx, args.file, entity, service(ctx.actor, **values), force=args.force)
        return Result(message=f"Exported {count:,} {entity if count == 1 else PLURAL[entity]} "
                      f"to {args.file}.")


_export_command("client", transfer_export.export_clients)
_export_command("contract", transfer_export.export_contracts)
_export_command("event", transfer_export.export_events)


# --- the whole database -------------------------------------------------------------------

DIR = Arg("dir", "the folder of clients.csv, contracts.csv and events.csv", metavar="DIR")
EXPORTS = {"client": transfer_export.export_clients, "contract": transfer_export.export_contracts,
           "event": transfer_export.export_events}


@command("data export", summary="Write every client, contract and event, with their ids, "
         "to DIR.", operation="data.export", params=(DIR, FORCE),
         examples=("data export backup-2026-12-01",))
def data_export(ctx, args):
    folder = private_folder(args.dir)
    paths = {entity: folder / name for entity, name in DATA_FILES.items()}
    force = may_write(ctx, list(paths.values()), args.force)
    counts = {entity: write_export(ctx, paths[entity], entity, EXPORTS[entity](ctx.actor),
                                   force=force, checked=True)
              for entity in DATA_FILES}
    return Result(message=f"Exported {_counts(counts)} to {args.dir}.")


@command("data import", summary="Load a `data export` folder in one transaction, linked "
         "through its ids (new ids are given).", operation="data.import",
         params=(DIR, DRY_RUN, SKIP),
         examples=("data import backup-2026-12-01 --dry-run",))
def data_import(ctx, args):
    folder = Path(args.dir).expanduser()
    if not folder.is_dir():
        raise EpicError(f"{args.dir} is not a folder")
    return _run_import(ctx, lambda: [read_data_file(folder / name, entity, linked=True,
                                                    name=str(Path(args.dir) / name))
                                     for entity, name in DATA_FILES.items()],
                       lambda files, progress: transfer.import_data(
                           ctx.actor, *files, dry_run=args.dry_run,
                           skip_existing=args.skip_existing, progress=progress), args.dir)

