"""Browse and fix, for reviewers and admins: the data page (search, filters, pages), one
item's page (its content, every event of its history, and a relabel), and the same as JSON:
``GET /api/projects/{p}/items`` and ``GET /api/projects/{p}/items/{id}``.

A relabel is a reviewer's ``resolve`` event: it becomes the item's label, and the votes
and every earlier event stay in the log.
"""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response

from ...errors import ActiveLabError
from ...store.browse import MAX_PER_PAGE, STATUSES, ItemFilter
from ..deps import (
    REVIEWERS,
    Reviewer,
    StoreDep,
    error_page,
    get_store,
    go,
    labels_changed,
    page,
    signed_in,
)

__all__ = ["router"]

router = APIRouter()

Text = Annotated[str | None, Query(max_length=200)]
PageNumber = Annotated[int, Query(ge=1, le=10**7)]
PerPage = Annotated[int, Query(ge=1, le=MAX_PER_PAGE)]
ItemIdPath = Annotated[int, PathParam(ge=1, le=2**31 - 1)]


def _filter_args(q: Text = None, label: Text = None, annotator: Text = None,
                 status: Text = None, min_confidence: Text = None,
                 max_confidence: Text = None, model_disagrees: Text = None) -> dict[str, str]:
    """The filters as sent (a form sends empty fields too: those mean no filter)."""
    sent = {"q": q, "label": label, "annotator": annotator, "status": status,
            "min_confidence": min_confidence, "max_confidence": max_confidence,
            "model_disagrees": model_disagrees}
    return {key: value.strip() for key, value in sent.items() if value and value.strip()}


FilterArgs = Annotated[dict[str, str], Depends(_filter_args)]


def to_filter(args: dict[str, str]) -> ItemFilter:
    """The :class:`ItemFilter` of the query's ``args``, or an error that names the field."""
    bounds: dict[str, float] = {}
    for key in ("min_confidence", "max_confidence"):
        if key in args:
            try:
                bounds[key] = float(args[key])
            except ValueError:
                raise ActiveLabError(f"{key} is a number between 0 and 1; "
                                     f"got {args[key]!r}") from None
    flag = args.get("model_disagrees", "").lower()
    if flag not in ("", "0", "1", "true", "false", "on"):
        raise ActiveLabError(f"model_disagrees is true or false; got {flag!r}")
    return ItemFilter(text=args.get("q"), label=args.get("label"),
                      annotator=args.get("annotator"), status=args.get("status"),
                      model_disagrees=flag in ("1", "true", "on"), **bounds).check()


# ---- the JSON API ---------------------------------------------------------------------------


@router.get("/api/projects/{project}/items", tags=["api"])
def list_items(project: str, user: Reviewer, store: StoreDep, args: FilterArgs,
               page: PageNumber = 1, per_page: PerPage = 50) -> dict[str, Any]:
    """Items under the filters (``q``: text; ``label``; ``annotator``; ``status``: resolved,
    pending, disagreement or unlabeled; ``min_confidence``/``max_confidence`` of the model's
    guess; ``model_disagrees``: labeled items the model guesses otherwise, most confident
    first), one page at a time: ``{"total", "page", "per_page", "items"}``."""
    return store.browse(project, to_filter(args), page=page, per_page=per_page)


@router.get("/api/projects/{project}/items/{item_id}", tags=["api"])
def item_detail(project: str, item_id: ItemIdPath, user: Reviewer,
                store: StoreDep) -> dict[str, Any]:
    """One item: content, status, label, votes, the model's guess, and every event."""
    return _with_guess(store, project, store.item_history(project, item_id))


def _with_guess(store: Any, project: str, item: dict[str, Any]) -> dict[str, Any]:
    guess = store.guesses(project, [item["item_id"]]).get(item["item_id"])
    item["guess"] = None if guess is None else {"value": guess[0], "confidence": guess[1]}
    return item


# ---- the pages ------------------------------------------------------------------------------


@router.get("/projects/{project}/data", response_class=HTMLResponse, include_in_schema=False)
def data_page(request: Request, project: str, args: FilterArgs, page_number: Annotated[
        int, Query(alias="page", ge=1, le=10**7)] = 1) -> Response:
    found = signed_in(request, roles=REVIEWERS, project=project)
    if isinstance(found, Response):
        return found
    user, csrf = found
    store = get_store(request)
    message, result = None, {"total": 0, "page": 1, "per_page": 50, "items": []}
    try:
        result = store.browse(project, to_filter(args), page=page_number)
    except ActiveLabError as err:
        message = str(err)
    last = max(1, -(-result["total"] // result["per_page"]))
    links = {name: f"?{urlencode({**args, 'page': number})}" for name, number in
             (("previous", page_number - 1), ("next", page_number + 1)) if 1 <= number <= last}
    return page(request, "data.html", user=user, csrf=csrf, project=project,
                info=store.project_info(project), counts=store.status_counts(project),
                annotators=store.annotator_names(project), statuses=STATUSES, args=args,
                result=result, last_page=last, links=links, message=message)


@router.get("/projects/{project}/items/{item_id}", response_class=HTMLResponse,
            include_in_schema=False)
def item_page(request: Request, project: str, item_id: ItemIdPath) -> Response:
    found = signed_in(request, roles=REVIEWERS, project=project)
    if isinstance(found, Response):
        return found
    user, csrf = found
    store = get_store(request)
    try:
        item = _with_guess(store, project, store.item_history(project, item_id))
    except ActiveLabError as err:
        return error_page(request, getattr(err, "status", 422), str(err), user, csrf, project)
    return page(request, "item.html", user=user, csrf=csrf, project=project,
                info=store.project_info(project), item=item)


@router.post("/projects/{project}/items/{item_id}/relabel", include_in_schema=False)
def relabel(request: Request, project: str, item_id: ItemIdPath,
            label: Annotated[str, Form(max_length=100_000)],
            csrf_token: Annotated[str, Form(max_length=100)]) -> Response:
    """A reviewer's label for the item: a ``resolve`` event; nothing is overwritten. The
    value is the task type's (a label; a JSON list of labels or of spans; a rating), checked
    by the store as an annotator's answer is."""
    found = signed_in(request, csrf_token, roles=REVIEWERS)
    if isinstance(found, Response):
        return found
    try:
        get_store(request).resolve(project, found[0], item_id, label)
    except ActiveLabError as err:
        return go(f"/projects/{project}/items/{item_id}", str(err))
    labels_changed(request, project)
    return go(f"/projects/{project}/items/{item_id}")
