"""The JSON API of review: the items whose votes tie, and a reviewer's final label."""

from typing import Any

from fastapi import APIRouter

from ..agreement import disagreement_rows
from ..deps import Reviewer, StoreDep
from ..schemas import AnswerOut, ResolveIn

__all__ = ["router"]

router = APIRouter(tags=["api"])


@router.get("/api/projects/{project}/disagreements")
def disagreements(project: str, user: Reviewer, store: StoreDep) -> list[dict[str, Any]]:
    """Items whose votes tie, with the votes, for review."""
    return disagreement_rows(store, project)


@router.post("/api/projects/{project}/resolve", response_model=AnswerOut)
def resolve(project: str, body: ResolveIn, user: Reviewer, store: StoreDep) -> AnswerOut:
    """A reviewer's final label for an item."""
    return AnswerOut(**store.resolve(project, user, body.item_id, body.label))
