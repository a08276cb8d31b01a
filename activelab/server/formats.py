"""The export formats: CSV (safe to open in a spreadsheet) and JSON Lines."""

import csv
import io
import json
from typing import Any

__all__ = ["to_csv", "to_jsonl"]

_COLUMNS = {
    "events": ["event_id", "kind", "item_id", "external_id", "label", "annotator", "rationale",
               "model_version", "retracts_event_id", "time"],
    "labels": ["external_id", "content", "label", "status", "n_votes", "agreement",
               "reviewed"],
}


def to_csv(rows: list[dict[str, Any]], kind: str) -> str:
    """``rows`` as CSV; without rows, the header of ``kind`` (``events`` or ``labels``)."""
    columns = list(rows[0]) if rows else _COLUMNS["events" if kind == "events" else "labels"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: _spreadsheet_safe(value) for key, value in row.items()} for row in rows)
    return out.getvalue()


def _spreadsheet_safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading ``'`` (numbers stay as they are)."""
    if not isinstance(value, str) or value[:1] not in ("=", "+", "-", "@", "\t", "\r"):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def to_jsonl(rows: list[dict[str, Any]]) -> str:
    """``rows`` as JSON Lines, one object a line."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
