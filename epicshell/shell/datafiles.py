"""CSV files in and out (commands.md §8): the reader of imports, the writers of exports.

Reading: UTF-8 with or without a BOM, comma or semicolon (whichever the header uses: a
French spreadsheet writes semicolons), a header naming known columns, each cell with
the spreadsheet's protective `'` removed (`unprotect`). Writing: the same columns, each
cell protected (`protect`), times in ISO 8601 with their offset, as `--format csv` does.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

from ..errors import EpicError
from ..services.records import CLIENT_KEYS, CONTRACT_KEYS, EVENT_KEYS
from ..services.transfer_rows import COLUMNS, IMPORTED, LINKED, REQUIRED, DataFile, ImportRefused, RowError
from ..spreadsheet import unprotect
from .render import csv_cell, data_value

RECORD_KEYS = {"client": CLIENT_KEYS, "contract": CONTRACT_KEYS, "event": EVENT_KEYS}


def count_lines(path: Path) -> int:
    """About how many rows PATH holds (its line count less the header): for progress bars."""
    lines = 0
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            lines += block.count(b"\n")
    return max(lines - 1, 0)


def read_data_file(path, entity: str, *, linked: bool = False, name: str | None = None) -> DataFile:
    """Open PATH as ENTITY rows; a header error is refused now, bad rows later by the import.

    LINKED: a `data export` file, whose ids link the three files.
    """
    path = Path(path).expanduser()
    source = name or str(path)
    try:
        file = open(path, encoding="utf-8-sig", newline="")
        header_line = file.readline()
    except UnicodeDecodeError:
        raise EpicError(f"{source}: not UTF-8 text") from None
    except OSError as exc:
        raise EpicError(f"cannot read {source}: {exc.strerror}") from None
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    header = [h.strip().lower() for h in next(csv.reader([header_line], delimiter=delimiter), [])]
    _check_header(source, entity, header, linked)
    data = DataFile(source=source, rows=[], total=count_lines(path))
    data.rows = _rows(file, header, delimiter, data, entity, linked)
    return data


def _check_header(source: str, entity: str, header: list[str], linked: bool) -> None:
    required, _ = LINKED[entity] if linked else (REQUIRED[entity], ())
    errors = [RowError(source, 1, column, "unknown column") for column in header
              if column not in COLUMNS[entity]]
    errors += [RowError(source, 1, column, "appears twice in the header")
               for i, column in enumerate(header) if column in header[:i]]
    errors += [RowError(source, 1, column, "missing column") for column in required
               if column not in header]
    if not header or header == [""]:
        errors = [RowError(source, 1, "header", "the file is empty: a header row is needed")]
    if errors:
        raise ImportRefused(errors)


def _rows(file, header, delimiter, data: DataFile, entity: str, linked: bool):
    """(line, {column: value}) of every non-blank record, with the line it starts on."""
    wanted = set(IMPORTED[entity]) | (set(LINKED[entity][0]) if linked else set())
    keep = [(i, column) for i, column in enumerate(header) if column in wanted]
    reader = csv.reader(file, delimiter=delimiter)
    end = 1
    with file:
        try:
            for cells in reader:
                line, end = end + 1, reader.line_num + 1
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) > len(header):
                    data.errors.append(RowError(data.source, line, "row",
                                                f"{len(cells)} cells for {len(header)} columns"))
                    continue
                yield line, {column: unprotect(cells[i]) if i < len(cells) else ""
                             for i, column in keep}
        except UnicodeDecodeError:
            data.errors.append(RowError(data.source, end, "row", "not UTF-8 text"))
        except csv.Error as exc:
            data.errors.append(RowError(data.source, end, "row", str(exc)))


def write_csv(file, entity: str, records, progress=None) -> int:
    """Write RECORDS (dicts with COLUMNS[entity]) as spreadsheet-safe CSV; return the count."""
    columns = COLUMNS[entity]
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for record in records:
        writer.writerow([csv_cell(record.get(column)) for column in columns])
        count += 1
        if progress is not None and count % 1000 == 0:
            progress("writing", 1000)
    if progress is not None and count % 1000:
        progress("writing", count % 1000)
    return count


def write_json(file, entity: str, records, progress=None) -> int:
    """Write RECORDS as a JSON array of §2 records, one record at a time."""
    keys = RECORD_KEYS[entity]
    count = 0
    file.write("[")
    for record in records:
        file.write(",\n  " if count else "\n  ")
        file.write(json.dumps({k: data_value(record.get(k)) for k in keys}, ensure_ascii=False))
        count += 1
        if progress is not None and count % 1000 == 0:
            progress("writing", 1000)
    file.write("\n]\n" if count else "]\n")
    if progress is not None and count % 1000:
        progress("writing", count % 1000)
    return count
