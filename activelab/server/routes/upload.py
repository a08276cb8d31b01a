"""Adding items to a project from a CSV or JSONL file: the JSON API and the upload page.

Both are for admins, all or nothing (any problem refuses the whole file), and limited to
the app's ``max_upload_bytes``; the page answers every failure with the page itself.
"""

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, Response, UploadFile
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from ...errors import ActiveLabError
from ...store.store import UserInfo
from ..deps import Admin, csrf_matches, error_page, get_store, page, signed_in
from ..limits import BodyTooLarge, too_large_message
from ..schemas import ImportOut
from ..uploads import import_upload

__all__ = ["router"]

router = APIRouter()


@router.post("/api/projects/{project}/items", response_model=ImportOut, status_code=201,
             tags=["api"], responses={413: {"description": "The upload is too large"}})
async def upload_items(
    project: str, user: Admin, request: Request,
    file: Annotated[UploadFile, File(description="A .csv or .jsonl file, one item a row, "
                                     "with an id column")],
    column: Annotated[str | None, Form(max_length=200, description=(
        "The column of the text (or image path); default: the project's"))] = None,
    id_column: Annotated[str | None, Form(max_length=200, description=(
        "The id column; default: the project's, else id or external_id"))] = None,
) -> ImportOut:
    """Add items from a file, all or nothing: any problem refuses the whole file (422,
    naming the line), an id the project already has too (409), a file over the upload
    limit too (413)."""
    raw = await file.read()
    return ImportOut(**await run_in_threadpool(import_upload, request.app, project, raw,
                                               file.filename, column, id_column))


def upload_page(request: Request, user: UserInfo, csrf: str, project: str,
                status: int = 200, message: str | None = None, **form: Any) -> Response:
    """The upload page of ``project``, with ``message`` and the form's last values."""
    kind = get_store(request).project_info(project)["item_kind"]
    column, id_column = request.app.state.item_columns.get(project, (kind, None))
    context = {"column": column, "id_column": id_column, **form}
    return page(request, "upload.html", status, user=user, csrf=csrf, project=project,
                message=message, limit_mib=request.app.state.max_upload_bytes // 2**20,
                **context)


@router.get("/projects/{project}/upload", response_class=HTMLResponse,
            include_in_schema=False)
def upload_form(request: Request, project: str) -> Response:
    found = signed_in(request, roles=("admin",), project=project)
    if isinstance(found, Response):
        return found
    user, csrf = found
    return upload_page(request, user, csrf, project)


@router.post("/projects/{project}/upload", include_in_schema=False)
async def upload_submit(request: Request, project: str) -> Response:
    """Read the multipart form itself (not as parameters), so that every failure, a body
    over the limit included, is answered with the upload page."""
    found = await run_in_threadpool(signed_in, request, None, ("admin",))
    if isinstance(found, Response):
        return found
    user, csrf = found
    if project not in await run_in_threadpool(get_store(request).project_names):
        return error_page(request, 404, f"No project {project!r}.", user, csrf)

    async def again(status: int, message: str | None, **form: Any) -> Response:
        return await run_in_threadpool(upload_page, request, user, csrf, project, status,
                                       message, **form)

    form, status, problem = await read_upload_form(request, max_fields=10)
    if form is None:
        return await again(status, problem)
    sent = form.get("csrf_token")
    if not isinstance(sent, str) or not csrf_matches(sent, csrf):
        return error_page(request, 403, "This form is stale or forged (CSRF check failed); "
                          "go back and reload the page.", user, csrf, project)
    file = form.get("file")
    column = form.get("column")
    id_column = form.get("id_column")
    fields = {"column": column if isinstance(column, str) and column else None,
              "id_column": id_column if isinstance(id_column, str) and id_column else None}
    if file is None or isinstance(file, str):
        return await again(422, "Choose a .csv or .jsonl file to upload.")
    raw = await file.read()
    await form.close()
    try:
        done = await run_in_threadpool(import_upload, request.app, project, raw, file.filename,
                                       fields["column"], fields["id_column"])
    except ActiveLabError as err:
        return await again(getattr(err, "status", 422), f"Nothing was imported: {err}")
    return await again(200, None, imported=done["imported"], n_items=done["n_items"])


async def read_upload_form(request: Request, max_fields: int) -> tuple[Any, int, str]:
    """The multipart form of an upload page (one file), or ``(None, status, message)``
    when the body is over the app's upload limit or malformed."""
    limit = request.app.state.max_upload_bytes
    length = request.headers.get("content-length", "")
    try:
        if length and (not length.isdigit() or int(length) > limit):
            raise BodyTooLarge(limit)
        form = await request.form(max_files=1, max_fields=max_fields, max_part_size=10_000)
    except BodyTooLarge:
        return None, 413, "The file is too large: " + too_large_message(limit)
    except HTTPException as err:  # a malformed multipart body
        return None, err.status_code, f"The upload failed: {err.detail}"
    return form, 200, ""
