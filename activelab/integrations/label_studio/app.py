"""The HTTP side of ``activelab ml-backend``: Label Studio's ML backend protocol.

========================  ===============================================================
``GET  /health``          ``{"status": "UP", "model_class": ...}``
``POST /setup``           a project's label config; answers its current ``model_version``
``POST /predict``         tasks; answers one prediction per task (result, score, version)
``POST /webhook``         ANNOTATION_CREATED / _UPDATED record an answer; START_TRAINING
``GET  /versions``        the stored versions (``?project=<uid>`` for one project)
``GET  /status``          each project's learner: training or not, its last error
========================  ===============================================================

A request activelab cannot serve gets status 400 and ``{"error": "..."}`` naming why (for
instance the unsupported tag of a label config); Label Studio shows that text.
"""


from typing import Any

from ...errors import ActiveLabError
from .backend import Backend

__all__ = ["create_app"]


def create_app(backend: Backend) -> Any:
    """The FastAPI app serving ``backend``."""
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    app = FastAPI(title="activelab ML backend for Label Studio")
    app.state.backend = backend

    @app.exception_handler(ActiveLabError)
    async def refuse(_: Request, err: ActiveLabError) -> JSONResponse:
        return JSONResponse({"error": str(err)}, status_code=400)

    async def body(request: Request) -> dict[str, Any]:
        try:
            payload = await request.json()
        except ValueError:
            raise ActiveLabError("the request body is not JSON") from None
        if not isinstance(payload, dict):
            raise ActiveLabError("the request body must be a JSON object")
        return payload

    @app.get("/")
    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "UP", "model_class": "activelab"}

    @app.post("/setup")
    async def setup(request: Request) -> dict[str, Any]:
        return backend.setup(await body(request))

    @app.post("/predict")
    async def predict(request: Request) -> dict[str, Any]:
        payload = await body(request)
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(backend.predict, payload)

    @app.post("/webhook")
    async def webhook(request: Request) -> dict[str, Any]:
        return backend.webhook(await body(request))

    @app.get("/versions")
    def versions(project: str | None = None) -> dict[str, Any]:
        return backend.versions(project)

    @app.get("/status")
    def status() -> dict[str, Any]:
        return {uid: learner.status() for uid, learner in backend.learners.items()}

    return app
