"""Adding items to a project from an uploaded CSV or JSONL file (the API and the page)."""

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from ..store import Store
from ..store.importer import parse_items

__all__ = ["ItemColumns", "import_upload"]

#: Per project: the column of the item's content and of its id (None: ``id`` or
#: ``external_id``), as the project was imported with.
ItemColumns = dict[str, tuple[str, str | None]]


def import_upload(app: FastAPI, project: str, raw: bytes, filename: str | None,
                  column: str | None = None, id_column: str | None = None) -> dict[str, Any]:
    """Check an uploaded file and add its items to ``project`` in one transaction, then
    ask the project's trainer to featurize and rank them. Raises ActiveLabError."""
    store: Store = app.state.store
    info = store.project_info(project)  # 404 first
    kind = info["item_kind"]
    default_column, default_id = app.state.item_columns.get(project, (kind, None))
    column = column or default_column
    name = Path(filename or "upload").name or "upload"
    items = parse_items(
        raw, name, text_column=column if kind == "text" else None,
        image_column=column if kind == "image" else None, id_column=id_column or default_id,
        image_folder=app.state.data_folders.get(project), require_id_column=True)
    n_items = store.add_items(project, items)
    trainer = app.state.trainers.get(project)
    retrain = trainer.items_added() if trainer is not None else None
    return {"project": project, "imported": len(items), "n_items": n_items, "retrain": retrain}
