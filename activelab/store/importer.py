"""Reading the items to label from a CSV or JSONL file, all-or-nothing.

Every problem is reported with the line it is on; a file with any problem imports nothing.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "items.csv"
>>> _ = path.write_text("id,text\\na1,first item\\na2,second item\\n")
>>> [(row.external_id, row.content) for row in read_items(path, text_column="text")]
[('a1', 'first item'), ('a2', 'second item')]
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ActiveLabError

__all__ = ["MAX_FIELD_CHARS", "MAX_FILE_BYTES", "ImportedItem", "LabeledItems", "parse_items",
           "read_items", "read_labeled_items"]

#: The largest text (or image path) one item may have.
MAX_FIELD_CHARS = 100_000
#: The largest file ``read_items`` accepts.
MAX_FILE_BYTES = 500 * 1024 * 1024
ID_COLUMNS = ("id", "external_id")


@dataclass(frozen=True)
class ImportedItem:
    external_id: str
    content: str
    line: int


@dataclass
class LabeledItems:
    """The items of a ``--data`` file or folder, with the answers it already holds (those
    of a Label Studio export, or the labels of a saved Hugging Face dataset), the labels
    they use, the item kind and the column (or data key) of the content."""

    items: list[ImportedItem]
    answers: list[Any] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    kind: str = "text"
    content_column: str = "text"


def read_labeled_items(path: str | Path, text_column: str | None = None,
                       image_column: str | None = None,
                       id_column: str | None = None) -> LabeledItems:
    """What ``activelab serve --data`` reads: a ``.csv`` or ``.jsonl`` file of items, Label
    Studio's exported ``.json`` (text or image tasks; annotations become answers with their
    annotator and time), or a folder saved by Hugging Face ``datasets`` (its ``label``
    column, with ``annotator`` and ``labeled_at``, becomes answers).
    """
    path = Path(path)
    if path.is_dir():
        return _saved_dataset_items(path, text_column, image_column, id_column)
    if path.suffix.lower() != ".json":
        items = read_items(path, text_column=text_column, image_column=image_column,
                           id_column=id_column)
        return LabeledItems(items, kind="image" if image_column else "text",
                            content_column=text_column or image_column or "text")
    from ..data.label_studio import parse_tasks

    parsed = parse_tasks(_json_file(path), str(path), text_column, image_column, id_column)
    items = _checked_items(str(path), [(e, c, n) for e, c, n in parsed.items], parsed.kind,
                           path.resolve().parent, "task")
    return LabeledItems(items, parsed.annotations, parsed.labels, parsed.kind,
                        parsed.names.data_key)


def _json_file(path: Path) -> Any:
    if not path.is_file():
        raise ActiveLabError(f"no file {path}; give the path of Label Studio's JSON export")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ActiveLabError(f"{path} is larger than {MAX_FILE_BYTES // 2**20} MiB; split it")
    try:
        return json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ActiveLabError(f"{path}: not valid UTF-8; save the file as UTF-8") from None
    except (json.JSONDecodeError, RecursionError, ValueError) as err:
        reason = getattr(err, "msg", None) or str(err) or type(err).__name__
        line = getattr(err, "lineno", None)
        where = f" (line {line})" if line else ""
        raise ActiveLabError(f"{path} is not valid JSON{where}: {reason}") from None


def _saved_dataset_items(path: Path, text_column: str | None, image_column: str | None,
                         id_column: str | None) -> LabeledItems:
    from ..data.hf import ID_COLUMN, LABEL_COLUMN, labeled_rows, require_datasets
    from ..data.label_studio import Annotation

    try:
        dataset = require_datasets().load_from_disk(str(path))
    except (FileNotFoundError, ValueError, OSError) as err:
        raise ActiveLabError(f"{path} is not a folder saved by datasets' save_to_disk: "
                             f"{err}") from None
    columns = list(dataset.column_names)
    column = text_column or image_column or next(
        (c for c in ("text", "image") if c in columns), None)
    if column is None or column not in columns:
        raise ActiveLabError(f"{path.name}: name the content column with --text-column or "
                             f"--image-column; its columns are: {', '.join(columns)}")
    id_name = id_column or (ID_COLUMN if ID_COLUMN in columns else None)
    if id_name is not None and id_name not in columns:
        raise ActiveLabError(f"{path.name} has no id column {id_name!r}")
    kind = "image" if image_column or (column == "image" and not text_column) else "text"
    ids = [str(v) for v in dataset[id_name]] if id_name else \
        [str(n) for n in range(1, len(dataset) + 1)]
    rows = [(i, str(c), n) for n, (i, c) in enumerate(zip(ids, dataset[column]), start=1)]
    items = _checked_items(path.name, rows, kind, path.resolve().parent, "row")
    if LABEL_COLUMN not in columns or LABEL_COLUMN in (column, id_name):
        return LabeledItems(items, kind=kind, content_column=column)
    answers = [Annotation(ids[row], str(label), annotator or "hf-dataset", time)
               for row, label, annotator, time in labeled_rows(dataset)]
    feature = dataset.features[LABEL_COLUMN]
    names = list(feature.names) if hasattr(feature, "names") else \
        list(dict.fromkeys(a.label for a in answers))
    return LabeledItems(items, answers, names, kind, column)


def _checked_items(name: str, rows: list[tuple[str, str, int]], kind: str, folder: Path,
                   unit: str) -> list[ImportedItem]:
    """Items of a JSON export or a dataset, with the checks of :func:`parse_items`
    (``unit`` names what a row number counts: ``task`` or ``row``)."""
    items: list[ImportedItem] = []
    seen: dict[str, int] = {}
    for external, content, number in rows:
        if not content.strip() or "\x00" in content or "\x00" in external:
            raise ActiveLabError(f"{name}: {unit} {number} has an empty content or a NUL "
                                 "character")
        if len(content) > MAX_FIELD_CHARS or len(external) > 255:
            raise ActiveLabError(f"{name}: {unit} {number} has a content over "
                                 f"{MAX_FIELD_CHARS} characters or an id over 255")
        if external in seen:
            raise ActiveLabError(f"{name}: {unit}s {seen[external]} and {number} have the same "
                                 f"id {external!r}; ids must be unique")
        seen[external] = number
        if kind == "image":
            if "://" in content or content.startswith("/data/"):
                raise ActiveLabError(
                    f"{name}: {unit} {number}: image {content!r} is a URL; activelab reads "
                    f"image files: save them next to {name} and give their relative paths")
            _check_image(name, folder, number, content)
        items.append(ImportedItem(external, content, number))
    return items


def read_items(
    path: str | Path,
    text_column: str | None = None,
    image_column: str | None = None,
    id_column: str | None = None,
) -> list[ImportedItem]:
    """The items of a ``.csv`` or ``.jsonl`` file, checked; raises ActiveLabError on any problem.

    Exactly one of ``text_column`` / ``image_column`` names the content. The external id
    comes from ``id_column``, else a column named ``id`` or ``external_id``, else the
    line number. Image paths are relative to the file's folder and must exist.
    """
    path = Path(path)
    _check_columns(text_column, image_column)
    if not path.is_file():
        raise ActiveLabError(f"no file {path}; give the path of a .csv or .jsonl file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ActiveLabError(f"{path} is larger than {MAX_FILE_BYTES // 2**20} MiB; split it")
    return parse_items(path.read_bytes(), str(path), text_column=text_column,
                       image_column=image_column, id_column=id_column,
                       image_folder=path.resolve().parent)


def parse_items(
    raw: bytes,
    name: str,
    text_column: str | None = None,
    image_column: str | None = None,
    id_column: str | None = None,
    image_folder: Path | None = None,
    require_id_column: bool = False,
) -> list[ImportedItem]:
    """The items of the bytes of a ``.csv`` or ``.jsonl`` file called ``name`` (its suffix
    says the format; messages start with it), with the checks of :func:`read_items`.

    Image paths are checked relative to ``image_folder``. With ``require_id_column`` a file
    without an id column is refused instead of numbering its items by line (items added
    to an existing project need ids of their own).

    >>> [item.external_id for item in parse_items(b'{"id": "q", "text": "hi"}', "up.jsonl",
    ...                                           text_column="text")]
    ['q']
    """
    _check_columns(text_column, image_column)
    column = text_column if text_column is not None else image_column
    assert column is not None
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise ActiveLabError(f"{name}: the labeling server reads .csv or .jsonl files")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ActiveLabError(
            f"{name}: line {line} is not valid UTF-8 (byte 0x{raw[err.start]:02x}); "
            "save the file as UTF-8"
        ) from None
    if suffix == ".csv":
        columns, rows = _csv_records(name, text)
    else:
        columns, rows = _jsonl_records(name, text)
    if not rows:
        raise ActiveLabError(f"{name} has no items (the file is empty); add one row per item")
    if column not in columns:
        raise ActiveLabError(
            f"{name} has no column {column!r}; its columns are: {', '.join(columns) or 'none'}"
        )
    id_col = _id_column(name, columns, id_column)
    if id_col is None and require_id_column:
        raise ActiveLabError(
            f"{name} has no id column ({' or '.join(ID_COLUMNS)}); added items need ids of "
            "their own, unique in the project"
        )
    items: list[ImportedItem] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        content = row.get(column)
        if content is None or (isinstance(content, str) and not content.strip()):
            raise ActiveLabError(f"{name}: line {line} has an empty {column!r}")
        content = str(content)
        external = str(row.get(id_col, "")).strip() if id_col else str(line)
        if "\x00" in content or "\x00" in external:
            # PostgreSQL cannot store NUL in text; no real text holds one either.
            raise ActiveLabError(f"{name}: line {line} holds a NUL character; is it text?")
        if len(content) > MAX_FIELD_CHARS:
            raise ActiveLabError(
                f"{name}: line {line}: {column!r} has {len(content)} characters, more than "
                f"the limit of {MAX_FIELD_CHARS}"
            )
        if not external:
            raise ActiveLabError(f"{name}: line {line} has an empty id in column {id_col!r}")
        if len(external) > 255:
            raise ActiveLabError(f"{name}: line {line}: the id is longer than 255 characters")
        if external in seen:
            raise ActiveLabError(
                f"{name}: lines {seen[external]} and {line} have the same id {external!r}; "
                "ids must be unique"
            )
        seen[external] = line
        if image_column is not None:
            _check_image(name, image_folder, line, content)
        items.append(ImportedItem(external, content, line))
    return items


def _check_columns(text_column: str | None, image_column: str | None) -> None:
    if (text_column is None) == (image_column is None):
        raise ActiveLabError("give exactly one of --text-column or --image-column")


def _csv_records(path: str, text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return [], []
        header = [name.strip() for name in header]
        rows: list[tuple[int, dict[str, str]]] = []
        for record in reader:
            if not record:
                continue
            if len(record) != len(header):
                raise ActiveLabError(
                    f"{path}: line {reader.line_num} has {len(record)} fields but the header "
                    f"has {len(header)}; quote fields that contain commas"
                )
            rows.append((reader.line_num, dict(zip(header, record))))
    except csv.Error as err:
        raise ActiveLabError(f"{path}: line {reader.line_num} is malformed CSV: {err}") from None
    return header, rows


def _jsonl_records(path: str, text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    rows: list[tuple[int, dict[str, str]]] = []
    columns: dict[str, None] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise ActiveLabError(f"{path}: line {number} is not valid JSON: {err.msg}") from None
        except RecursionError:
            raise ActiveLabError(f"{path}: line {number} is nested too deeply") from None
        except ValueError as err:  # e.g. an integer of more than 4300 digits
            raise ActiveLabError(f"{path}: line {number} is not valid JSON: {err}") from None
        if not isinstance(record, dict):
            raise ActiveLabError(f"{path}: line {number} is not a JSON object ({{...}})")
        for key in record:
            columns.setdefault(str(key))
        rows.append((number, {str(k): v for k, v in record.items()}))
    return list(columns), rows


def _id_column(path: str, columns: list[str], id_column: str | None) -> str | None:
    if id_column is not None:
        if id_column not in columns:
            raise ActiveLabError(f"{path} has no id column {id_column!r}; its columns are: "
                                 f"{', '.join(columns)}")
        return id_column
    return next((name for name in ID_COLUMNS if name in columns), None)


def _check_image(name: str, folder: Path | None, line: int, content: str) -> None:
    if folder is None:
        raise ActiveLabError(f"{name}: image items need the folder their paths are relative to")
    folder = folder.resolve()
    image = (folder / content).resolve()
    if not image.is_relative_to(folder):
        raise ActiveLabError(f"{name}: line {line}: image {content!r} is outside {folder}")
    if not image.is_file():
        raise ActiveLabError(f"{name}: line {line}: image file {content!r} not found")
