"""The pages of the work itself: label (keyboard-first), review, and the dashboard.

Every form carries the session's CSRF token. A label, skip, "unsure" or undo that fails
goes back to the label page with the reason as its message. The label page shows the
model's guess pre-selected (``serve --guesses/--no-guesses``, the project's ``show_guess``).
"""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from ...errors import ActiveLabError
from ..agreement import agreement, disagreement_rows
from ..chart import learning_curve
from ..deps import (
    REVIEWERS,
    get_store,
    go,
    labels_changed,
    page,
    show_guess,
    signed_in,
    training_status,
)
from ..label_keys import MAX_SINGLE_KEY, key_hint, label_keys
from ..task_models import votes_agreement

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

ItemIdField = Annotated[int, Form(ge=1, le=2**31 - 1)]
CsrfField = Annotated[str, Form(max_length=100)]


@router.get("/projects/{project}/label", response_class=HTMLResponse)
def label_page(request: Request, project: str) -> Response:
    found = signed_in(request, project=project)
    if isinstance(found, Response):
        return found
    user, csrf = found
    store = get_store(request)
    leased = store.next_item(project, user, show_guess(request))
    info = store.project_info(project)
    stats = store.stats(project)
    keys = label_keys(info["labels"], info["settings"])
    guess = leased is not None and leased.guess is not None
    return page(request, "label.html", user=user, csrf=csrf, project=project, info=info,
                item=leased, stats=stats,
                training=training_status(request, project),
                mine=stats["labels_per_annotator"].get(user.name, 0), keys=keys,
                typed_numbers=len(keys) > MAX_SINGLE_KEY, hint=key_hint(keys, guess))


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
    return _pass_on(request, project, item_id, csrf_token, lease_id, "skip")


@router.post("/projects/{project}/unsure")
def unsure_submit(request: Request, project: str, item_id: ItemIdField, csrf_token: CsrfField,
                  lease_id: Annotated[str, Form(max_length=36)] = "") -> Response:
    return _pass_on(request, project, item_id, csrf_token, lease_id, "unsure")


def _pass_on(request: Request, project: str, item_id: int, csrf_token: str, lease_id: str,
             kind: str) -> Response:
    """Record a skip or an "unsure" answer (``kind``), then back to the label page."""
    found = signed_in(request, csrf_token)
    if isinstance(found, Response):
        return found
    store = get_store(request)
    answer = store.skip if kind == "skip" else store.unsure
    try:
        answer(project, found[0], item_id, lease_id or None)
    except ActiveLabError as err:
        return go(f"/projects/{project}/label", str(err))
    return go(f"/projects/{project}/label")


@router.post("/projects/{project}/undo")
def undo_submit(request: Request, project: str, csrf_token: CsrfField) -> Response:
    found = signed_in(request, csrf_token)
    if isinstance(found, Response):
        return found
    try:
        done = get_store(request).undo(project, found[0], show_guess(request))
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
                curve=learning_curve(models), rounds=store.query_rounds(project),
                changes=store.setting_changes(project, 10),
                training=training_status(request, project))
