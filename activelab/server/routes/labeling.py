"""The JSON API of labeling: lease the next item, label, skip or answer "unsure", undo,
progress, images."""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from ..deps import (
    Anyone,
    IdempotencyKey,
    StoreDep,
    labels_changed,
    show_guess,
    training_status,
)
from ..schemas import AnnotationIn, AnswerOut, ItemOut, SkipIn, UndoOut, item_out

__all__ = ["router"]

router = APIRouter(tags=["api"])


@router.post("/api/projects/{project}/next", response_model=ItemOut,
             responses={204: {"description": "Nothing is left for you to label"}})
def next_item(project: str, user: Anyone, request: Request, store: StoreDep) -> Any:
    """Lease the next item the strategy asks for (the same one while your lease lasts),
    with the current model's guess for it (``guess``, ``guess_confidence``) once a model
    is trained."""
    leased = store.next_item(project, user, show_guess(request))
    if leased is None:
        return Response(status_code=204)
    return item_out(leased)


@router.post("/api/projects/{project}/annotations", response_model=AnswerOut)
def annotate(project: str, body: AnnotationIn, user: Anyone, request: Request,
             store: StoreDep, idempotency_key: IdempotencyKey = None) -> AnswerOut:
    """Record a label. A retry with the same ``Idempotency-Key`` records nothing new."""
    reply = store.annotate(project, user, body.item_id, body.label, body.lease_id,
                           body.rationale, idempotency_key)
    if not reply["replayed"]:
        labels_changed(request, project)
    return AnswerOut(**reply)


@router.post("/api/projects/{project}/skip", response_model=AnswerOut)
def skip(project: str, body: SkipIn, user: Anyone, store: StoreDep,
         idempotency_key: IdempotencyKey = None) -> AnswerOut:
    """Skip an item (the project's skip policy says who sees it again)."""
    return AnswerOut(**store.skip(project, user, body.item_id, body.lease_id, idempotency_key))


@router.post("/api/projects/{project}/unsure", response_model=AnswerOut)
def unsure(project: str, body: SkipIn, user: Anyone, store: StoreDep,
           idempotency_key: IdempotencyKey = None) -> AnswerOut:
    """Answer "unsure": you looked and cannot tell. The item goes to others as after a
    skip, and the model's pool counts it (``Pool.add_unsure``)."""
    return AnswerOut(**store.unsure(project, user, body.item_id, body.lease_id,
                                    idempotency_key))


@router.post("/api/projects/{project}/undo", response_model=UndoOut,
             responses={204: {"description": "Nothing to undo"}})
def undo(project: str, user: Anyone, request: Request, store: StoreDep) -> Any:
    """Retract your latest label, skip or "unsure"; the item is leased back to you."""
    reply = store.undo(project, user, show_guess(request))
    if reply is None:
        return Response(status_code=204)
    return UndoOut(**{**reply, "item": ItemOut(**reply["item"])})


@router.get("/api/projects/{project}/stats")
def stats(project: str, user: Anyone, request: Request, store: StoreDep) -> dict[str, Any]:
    """Progress, labels per class and per annotator, model versions and their metrics."""
    result = store.stats(project)
    result["training"] = training_status(request, project)
    return result


@router.get("/api/projects/{project}/items/{item_id}/image", response_class=FileResponse)
def image(project: str, item_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)], user: Anyone,
          request: Request, store: StoreDep) -> FileResponse:
    """The image of an item of an image project."""
    info = store.project_info(project)
    data_folders = request.app.state.data_folders
    if info["item_kind"] != "image" or project not in data_folders:
        raise HTTPException(404, f"project {project!r} has no images")
    folder = data_folders[project].resolve()
    path = (folder / store.item(project, item_id)["content"]).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        raise HTTPException(404, "image not found")
    return FileResponse(path)
