"""CSV files in and out (commands.md §8): the reader of imports, the writers of exports.

Reading: UTF-8 with or without a BOM, comma or semicolon (whichever the header uses: a
French spreadsheet writes semicolons), a header naming known columns, each cell with
the spreadsheet's protective `'` removed (`unprotect`). Writing: the same columns, each
cell protected (`protect`), times in ISO 8601 with their offset, as `--format csv` does.
"""
from __future__ import annotations

import csv
from pathlib import Path

from ..errors import EpicError
from ..services.records import CLIENT_KEYS, CONTRACT_KEYS, EVENT_KEYS
from ..services.transfer_rows import COLUMNS, IMPORTED, LINKED, REQUIRED, DataFile, ImportRefused, RowError
from ..spreadsheet import protect, unprotect
from .render import data_value, json_text

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
    end = 1  # the last line read so far: a record starts on the line after it
    with file:
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                data.errors.append(RowError(data.source, end + 1, "row", "not UTF-8 text"))
                return
            except csv.Error as exc:  # e.g. a cell over 131,072 characters: this record only
                reason = str(exc)
                if "field limit" in reason:
                    reason = f"a cell is longer than {csv.field_size_limit():,} characters"
                data.errors.append(RowError(data.source, end + 1, "row", reason))
                end = reader.line_num + 1
                continue
            line, end = end + 1, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(header):
                data.errors.append(RowError(data.source, line, "row",
                                            f"{len(cells)} cells for {len(header)} columns"))
                continue
            yield line, {column: unprotect(cells[i]) if i < len(cells) else ""
                         for i, column in keep}


TIME_KEYS = {"created_at", "updated_at", "signed_at", "start", "end"}


def _cells(entity: str):
    """A function turning one row of ENTITY into CSV cells: text protected for spreadsheets,
    times in ISO 8601 with their offset (the CSV writer itself writes None as empty)."""
    times = [i for i, key in enumerate(COLUMNS[entity]) if key in TIME_KEYS]

    def cells(row) -> list:
        values = [protect(v) if type(v) is str else v for v in row]
        for i in times:
            if values[i] is not None:
                values[i] = data_value(values[i])
        return values

    return cells


def _counting(rows, progress):
    """ROWS, telling PROGRESS every thousand; the count is in the list it yields last."""
    count = 0
    for row in rows:
        yield row
        count += 1
        if progress is not None and count % 1000 == 0:
            progress("writing", 1000)
    if progress is not None and count % 1000:
        progress("writing", count % 1000)


def write_csv(file, entity: str, rows, progress=None) -> int:
    """Write ROWS (tuples in COLUMNS[entity] order) as spreadsheet-safe CSV; return the count."""
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(COLUMNS[entity])
    cells = _cells(entity)
    count = 0
    for row in _counting(rows, progress):
        writer.writerow(cells(row))
        count += 1
    return count


def write_json(file, entity: str, rows, progress=None) -> int:
    """Write ROWS as a JSON array of §2 records (the email columns left out), one at a time."""
    keys = RECORD_KEYS[entity]
    count = 0
    file.write("[")
    for row in _counting(rows, progress):
        record = dict(zip(COLUMNS[entity], row, strict=True))
        file.write(",\n  " if count else "\n  ")
        file.write(json_text({k: data_value(record[k]) for k in keys}))
        count += 1
    file.write("\n]\n" if count else "]\n")
    return count
