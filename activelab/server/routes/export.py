"""The JSON API's export: resolved labels or the whole event log, as CSV or JSON Lines."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from ..deps import Reviewer, StoreDep
from ..formats import to_csv, to_jsonl

__all__ = ["router"]

router = APIRouter(tags=["api"])


@router.get("/api/projects/{project}/export",
            responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}})
def export(project: str, user: Reviewer, store: StoreDep,
           format: Annotated[str, Query(pattern="^(csv|jsonl)$")] = "csv",
           kind: Annotated[str, Query(pattern="^(labels|events)$")] = "labels") -> Response:
    """Resolved labels (``kind=labels``) or every event of the log (``kind=events``)."""
    rows = store.export_rows(project, kind)
    body = to_jsonl(rows) if format == "jsonl" else to_csv(rows, kind)
    media = "application/x-ndjson" if format == "jsonl" else "text/csv"
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{kind}.{format}"'})
