"""Several projects on one server: the project list, creating a project from an uploaded
file, and each project's settings page (settings, members), with their JSON API.

A project created here gets its trainer at once. Settings change only explicitly (this
page, ``PATCH /api/projects/{project}/settings`` or ``activelab project set``): checked as
at creation, applied to the running trainer (its loop is rebuilt and the pool re-scored),
and logged with who changed what, when, from what to what (shown on the dashboard).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ...errors import ActiveLabError
from ...models.catalog import MODELS, TASK_MODELS
from ...stopping import STOPPING_RULES
from ...store import ProjectSettings
from ...store.importer import parse_items
from ...store.memberships import MEMBER_ROLES
from ...store.projects import SKIP_POLICIES, TASKS
from ...store.task_types import task_type
from ...store.workers import TRAINING_LEASE_SECONDS
from ...strategies.registry import DEFAULT_STRATEGY, available
from ...training import TRAINING_POLICIES
from ..deps import Admin, Anyone, csrf_matches, error_page, get_store, go, page, signed_in
from ..project_setup import (
    build_trainer,
    change_settings,
    create_new_project,
    parse_assignments,
    task_defaults,
)
from .upload import read_upload_form

__all__ = ["EDITABLE", "router"]

router = APIRouter()

#: The settings the settings page edits (labels, task and seed are fixed at creation).
EDITABLE = ("strategy", "model", "retrain_every", "labels_per_item", "exploration",
            "skip_policy", "lease_seconds", "training", "stopping", "stop_threshold",
            "stop_window", "control", "queue_size", "cold_start_per_class")
CsrfField = Annotated[str, Form(max_length=100)]


class ProjectOut(BaseModel):
    name: str
    task: str
    n_items: int
    n_labeled: int
    model_version: int
    role: str


class ChangeOut(BaseModel):
    setting: str
    old: Any
    new: Any


class MemberIn(BaseModel):
    role: str = Field(description=f"One of {', '.join(MEMBER_ROLES)}")


def project_rows(request: Request, user: Any) -> list[dict[str, Any]]:
    """The projects ``user`` may open, with their counts and ``user``'s role in each."""
    store = get_store(request)
    rows = []
    for name in store.visible_projects(user):
        info, stats = store.project_info(name), store.stats(name)
        rows.append({"name": name, "task": info["settings"].get("task", "single"),
                     "n_items": stats["n_items"], "n_labeled": stats["n_labeled_items"],
                     "model_version": info["model_version"],
                     "role": store.role_in(name, user)})
    return rows


def apply_changes(request: Request, project: str, changes: dict[str, Any],
                  by: str) -> list[tuple[str, Any, Any]]:
    """Change ``project``'s settings and tell its trainer, which rebuilds its loop."""
    done = change_settings(get_store(request), project, changes, by)
    trainer = request.app.state.trainers.get(project)
    if done and trainer is not None:
        trainer.settings_changed()
    return done


def describe(changes: list[tuple[str, Any, Any]]) -> str:
    return "; ".join(f"{name}: {old} → {new}" for name, old, new in changes)


# ---- the JSON API ----------------------------------------------------------------------------


@router.get("/api/projects", response_model=list[ProjectOut], tags=["api"])
def list_projects(request: Request, user: Anyone) -> list[dict[str, Any]]:
    """The projects you may open, with their progress and your role in each."""
    return project_rows(request, user)


@router.patch("/api/projects/{project}/settings", response_model=list[ChangeOut],
              tags=["api"])
def patch_settings(project: str, body: dict[str, Any], user: Admin,
                   request: Request) -> list[ChangeOut]:
    """Change settings, e.g. ``{"strategy": "entropy", "retrain_every": 5}``: checked as at
    creation, applied to the running model, logged. Answers the settings that changed."""
    done = apply_changes(request, project, body, user.name)
    return [ChangeOut(setting=n, old=o, new=v) for n, o, v in done]


@router.put("/api/projects/{project}/members/{name}", status_code=204, tags=["api"])
def put_member(project: str, name: str, body: MemberIn, user: Admin,
               request: Request) -> Response:
    """Give ``name`` a role in this project (``none``: no access to it)."""
    get_store(request).set_member(project, name, body.role)
    return Response(status_code=204)


@router.delete("/api/projects/{project}/members/{name}", status_code=204, tags=["api"])
def delete_member(project: str, name: str, user: Admin, request: Request) -> Response:
    """Drop ``name``'s membership: their global role applies here again."""
    if not get_store(request).remove_member(project, name):
        raise HTTPException(404, f"{name!r} has no membership in project {project!r}")
    return Response(status_code=204)


# ---- the pages -------------------------------------------------------------------------------


@router.get("/projects", response_class=HTMLResponse, include_in_schema=False)
def projects_page(request: Request) -> Response:
    found = signed_in(request)
    if isinstance(found, Response):
        return found
    user, csrf = found
    return page(request, "projects.html", user=user, csrf=csrf, project=None,
                rows=project_rows(request, user))


def new_project_page(request: Request, user: Any, csrf: str, status: int = 200,
                     message: str | None = None, **form: Any) -> Response:
    defaults = {"name": "", "task": "single", "labels": "", "strategy": DEFAULT_STRATEGY,
                "model": "logreg", "labels_per_item": "1", "column": "text", "id_column": ""}
    return page(request, "new_project.html", status, user=user, csrf=csrf, project=None,
                message=message, form={**defaults, **form}, tasks=TASKS,
                strategies=available(), models=MODELS.available(),
                limit_mib=request.app.state.max_upload_bytes // 2**20)


@router.get("/projects/new", response_class=HTMLResponse, include_in_schema=False)
def new_project_form(request: Request) -> Response:
    found = signed_in(request, roles=("admin",))
    if isinstance(found, Response):
        return found
    return new_project_page(request, *found)


FORM_FIELDS = ("name", "task", "labels", "strategy", "model", "labels_per_item", "column",
               "id_column")


@router.post("/projects/new", include_in_schema=False)
async def new_project_submit(request: Request) -> Response:
    """Read the multipart form itself, so that every failure (a body over the limit
    included) is answered with the form again, filled in as it was sent."""
    found = await run_in_threadpool(signed_in, request, None, ("admin",))
    if isinstance(found, Response):
        return found
    user, csrf = found
    sent: dict[str, str] = {}

    async def again(status: int, message: str) -> Response:
        return await run_in_threadpool(new_project_page, request, user, csrf, status,
                                       message, **sent)
    form, status, problem = await read_upload_form(request, max_fields=20)
    if form is None:
        return await again(status, problem)
    token = form.get("csrf_token")
    if not isinstance(token, str) or not csrf_matches(token, csrf):
        return error_page(request, 403, "This form is stale or forged (CSRF check failed); "
                          "go back and reload the page.", user, csrf)
    sent = {key: value.strip() for key in FORM_FIELDS
            if isinstance(value := form.get(key), str)}
    file = form.get("file")
    if file is None or isinstance(file, str):
        return await again(422, "Choose a .csv or .jsonl file to upload.")
    raw = await file.read()
    await form.close()
    try:
        name, n_items = await run_in_threadpool(create_from_form, request, sent, raw,
                                                file.filename, user.name)
    except ActiveLabError as err:
        return await again(getattr(err, "status", 422), f"Nothing was created: {err}")
    return go(f"/projects/{name}/settings", f"Created project {name} with {n_items} items.")


def create_from_form(request: Request, sent: dict[str, str], raw: bytes,
                     filename: str | None, by: str) -> tuple[str, int]:
    """Create the project the new-project form describes and start its trainer."""
    store = get_store(request)
    column = sent.get("column") or "text"
    items = parse_items(raw, filename or "upload.csv", text_column=column,
                        id_column=sent.get("id_column") or None)
    try:
        per_item = int(sent.get("labels_per_item") or 1)
    except ValueError:
        raise ActiveLabError("labels per item is a whole number, e.g. 1") from None
    labels = tuple(part.strip() for part in sent.get("labels", "").split(",") if part.strip())
    task = sent.get("task") or "single"
    # The form's first choices (auto, logreg) stand for "the task's own" on other tasks.
    chosen = {key: sent.get(key) or None for key in ("strategy", "model")}
    if task != "single":
        chosen = {key: None if value in (DEFAULT_STRATEGY, "logreg") else value
                  for key, value in chosen.items()}
    strategy, model, labels = task_defaults(task, chosen["strategy"], chosen["model"], None,
                                            labels)
    settings = ProjectSettings(labels=labels, task=task, strategy=strategy, model=model,
                               labels_per_item=per_item)
    name = create_new_project(store, sent.get("name", ""), items, settings,
                              source=f"uploaded by {by}: {filename or 'upload'}")
    request.app.state.item_columns[name] = (column, sent.get("id_column") or None)
    trainers = request.app.state.trainers
    trainers[name] = build_trainer(store, name, None,
                                   getattr(trainers, "training_lease", TRAINING_LEASE_SECONDS))
    return name, len(items)


def settings_page(request: Request, user: Any, csrf: str, project: str, status: int = 200,
                  message: str | None = None) -> Response:
    store = get_store(request)
    settings = store.settings_of(project)
    return page(request, "settings.html", status, user=user, csrf=csrf, project=project,
                message=message, settings=settings, editable=EDITABLE,
                members=store.members(project), users=store.users(),
                changes=store.setting_changes(project), roles=MEMBER_ROLES,
                choices={"strategy": _with(settings.strategy, available()),
                         "model": _with(settings.model, _task_models(settings.task)),
                         "skip_policy": SKIP_POLICIES, "training": TRAINING_POLICIES.available(),
                         "stopping": STOPPING_RULES.available()})


def _task_models(task: str) -> list[str]:
    """The models a ``task`` project may switch to (spans: its token model only)."""
    catalog = TASK_MODELS.get(task_type(task).catalog)
    return list(catalog.available()) if catalog is not None else []


def _with(current: str, options: list[str]) -> list[str]:
    """``options`` with the ``current`` value first when it is not among them, so that a
    select shows it and saving the form without touching it keeps it."""
    return list(options) if current in options else [current, *options]


@router.get("/projects/{project}/settings", response_class=HTMLResponse,
            include_in_schema=False)
def settings_form(request: Request, project: str) -> Response:
    found = signed_in(request, roles=("admin",), project=project)
    if isinstance(found, Response):
        return found
    return settings_page(request, *found, project)


@router.post("/projects/{project}/settings", include_in_schema=False)
async def settings_submit(request: Request, project: str) -> Response:
    found = await run_in_threadpool(signed_in, request, None, ("admin",), project)
    if isinstance(found, Response):
        return found
    user, csrf = found
    form = await request.form(max_files=0, max_fields=40)
    token = form.get("csrf_token")
    if not isinstance(token, str) or not csrf_matches(token, csrf):
        return error_page(request, 403, "This form is stale or forged (CSRF check failed); "
                          "go back and reload the page.", user, csrf, project)
    pairs = [f"{key}={value}" for key in EDITABLE
             if isinstance(value := form.get(key), str)]
    try:
        done = await run_in_threadpool(
            lambda: apply_changes(request, project, parse_assignments(pairs), user.name))
    except ActiveLabError as err:
        return await run_in_threadpool(settings_page, request, user, csrf, project,
                                       getattr(err, "status", 422),
                                       f"Nothing was changed: {err}")
    return go(f"/projects/{project}/settings",
              f"Changed {describe(done)}." if done else "No setting changed.")


@router.post("/projects/{project}/members", include_in_schema=False)
def members_submit(request: Request, project: str, csrf_token: CsrfField,
                   name: Annotated[str, Form(max_length=100)],
                   role: Annotated[str, Form(max_length=20)]) -> Response:
    found = signed_in(request, csrf_token, roles=("admin",), project=project)
    if isinstance(found, Response):
        return found
    store = get_store(request)
    try:
        if role == "default":
            store.remove_member(project, name)
        else:
            store.set_member(project, name, role)
    except ActiveLabError as err:
        return settings_page(request, *found, project, getattr(err, "status", 422), str(err))
    said = "its global role" if role == "default" else f"role {role}"
    return go(f"/projects/{project}/settings", f"{name} now has {said} in {project}.")
