"""The pages of the work itself: label (keyboard-first), review, and the dashboard.

Every form carries the session's CSRF token. A label, skip or undo that fails goes back to
the label page with the reason as its message.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from ...errors import ActiveLabError
from ..agreement import agreement, disagreement_rows
from ..deps import REVIEWERS, get_store, go, labels_changed, page, signed_in, training_status
from ..task_models import votes_agreement

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

ItemIdField = Annotated[int, Form(ge=1, le=2**31 - 1)]
CsrfField = Annotated[str, Form(max_length=100)]


@router.get("/projects/{project}/label", response_class=HTMLResponse)
def label_page(request: Request, project: str, message: str | None = None) -> Response:
    found = signed_in(request, project=project)
    if isinstance(found, Response):
        return found
    user, csrf = found
    store = get_store(request)
    leased = store.next_item(project, user)
    info = store.project_info(project)
    stats = store.stats(project)
    return page(request, "label.html", user=user, csrf=csrf, project=project, info=info,
                item=leased, stats=stats, message=message,
                training=training_status(request, project),
                mine=stats["labels_per_annotator"].get(user.name, 0))


@router.post("/projects/{project}/label")
def label_submit(request: Request, project: str, item_id: ItemIdField,
                 label: Annotated[str, Form(max_length=100_000)], csrf_token: CsrfField,
                 lease_id: Annotated[str, Form(max_length=36)] = "",
                 rationale: Annotated[str, Form(max_length=2000)] = "") -> Response:
    found = signed_in(request, csrf_token)
    if isinstance(found, Response):
        return found
    try:
        get_store(request).annotate(project, found[0], item_id, label, lease_id or None,
                                    rationale or None)
    except ActiveLabError as err:
        return go(f"/projects/{project}/label", str(err))
    labels_changed(request, project)
    return go(f"/projects/{project}/label")


@router.post("/projects/{project}/skip")
def skip_submit(request: Request, project: str, item_id: ItemIdField, csrf_token: CsrfField,
                lease_id: Annotated[str, Form(max_length=36)] = "") -> Response:
    found = signed_in(request, csrf_token)
    if isinstance(found, Response):
        return found
    try:
        get_store(request).skip(project, found[0], item_id, lease_id or None)
    except ActiveLabError as err:
        return go(f"/projects/{project}/label", str(err))
    return go(f"/projects/{project}/label")


@router.post("/projects/{project}/undo")
def undo_submit(request: Request, project: str, csrf_token: CsrfField) -> Response:
    found = signed_in(request, csrf_token)
    if isinstance(found, Response):
        return found
    try:
        done = get_store(request).undo(project, found[0])
    except ActiveLabError as err:
        return go(f"/projects/{project}/label", str(err))
    return go(f"/projects/{project}/label", None if done else "Nothing to undo.")


@router.get("/projects/{project}/review", response_class=HTMLResponse)
def review_page(request: Request, project: str) -> Response:
    found = signed_in(request, roles=REVIEWERS, project=project)
    if isinstance(found, Response):
        return found
    user, csrf = found
    store = get_store(request)
    return page(request, "review.html", user=user, csrf=csrf, project=project,
                info=store.project_info(project), rows=disagreement_rows(store, project))


@router.post("/projects/{project}/review")
def review_submit(request: Request, project: str, item_id: ItemIdField,
                  label: Annotated[str, Form(max_length=100_000)],
                  csrf_token: CsrfField) -> Response:
    found = signed_in(request, csrf_token, roles=REVIEWERS)
    if isinstance(found, Response):
        return found
    get_store(request).resolve(project, found[0], item_id, label)
    return go(f"/projects/{project}/review")


@router.get("/projects/{project}/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, project: str) -> Response:
    found = signed_in(request, roles=REVIEWERS, project=project)
    if isinstance(found, Response):
        return found
    user, csrf = found
    store = get_store(request)
    info = store.project_info(project)
    stats = store.stats(project)
    votes = [(item, who, label) for item, who, kind, label in store.answers(project)
             if kind == "label"]
    models = [v for v in stats["versions"] if v["kind"] == "model"]
    task_agreement = votes_agreement(info, votes)  # multi, rating, spans: the type's measure
    return page(request, "dashboard.html", user=user, csrf=csrf, project=project, info=info,
                stats=stats, models=models, agreement=agreement(votes, info["labels"])
                if task_agreement is None else {"pairs": [], "task": task_agreement},
                curve=_curve_points(models), rounds=store.query_rounds(project),
                training=training_status(request, project))


def _curve_points(models: list[dict[str, Any]], width: int = 420,
                  height: int = 160) -> dict[str, Any] | None:
    """SVG polyline points of cross-validated accuracy against labels, one per version."""
    points = [(v["n_labels"], min(1.0, max(0.0, v["metrics"].get(
        "cv_accuracy", v["metrics"].get("cv_score"))))) for v in models  # task types: cv_score
              if v["metrics"].get("cv_accuracy", v["metrics"].get("cv_score")) is not None]
    if len(points) < 1:
        return None
    max_x = max(x for x, _ in points) or 1
    coords = [(round(20 + (width - 40) * x / max_x, 1), round(height - 20 - (height - 40) * y, 1))
              for x, y in points]
    return {"points": " ".join(f"{x},{y}" for x, y in coords), "dots": coords,
            "width": width, "height": height, "max_x": max_x}
