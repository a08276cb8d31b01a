"""The JSON API of running the server: health, retraining, accounts."""

from fastapi import APIRouter, HTTPException, Request

from ..deps import Admin, StoreDep
from ..schemas import Health, RetrainOut, UserIn, UserOut

__all__ = ["router"]

router = APIRouter(tags=["api"])


@router.get("/api/health", response_model=Health)
def health(store: StoreDep) -> Health:
    """Liveness: the database answers."""
    return Health(status="ok", database=store.engine.dialect.name,
                  projects=store.project_names())


@router.post("/api/projects/{project}/retrain", response_model=RetrainOut, status_code=202)
def retrain(project: str, user: Admin, request: Request, store: StoreDep) -> RetrainOut:
    """Retrain now (at most one job runs and one waits)."""
    trainer = request.app.state.trainers.get(project)
    if trainer is None:
        store.project_info(project)  # 404 for an unknown project
        raise HTTPException(409, f"project {project!r} has no model in this server")
    return RetrainOut(status=trainer.request("manual"))


@router.post("/api/users", response_model=UserOut, status_code=201)
def add_user(body: UserIn, user: Admin, store: StoreDep) -> UserOut:
    """Create an account; the token is in this answer only."""
    return UserOut(name=body.name.strip(), role=body.role,
                   token=store.add_user(body.name, body.role, actor=user))
