"""The app's routes, one :class:`fastapi.APIRouter` per area.

The JSON API (``/api/...``, in the OpenAPI schema): :mod:`.labeling` (lease, label, skip,
undo, progress, images), :mod:`.review` (disagreements and their resolution),
:mod:`.export`, :mod:`.admin` (health, retraining, accounts) and :mod:`.upload` (adding
items, also as a page). The server-rendered pages: :mod:`.auth` (log in and out) and
:mod:`.pages` (label, review, dashboard); :mod:`.projects` (the project list, a new
project, a project's settings and members, also as JSON). What they share is in :mod:`..deps`.
"""

from fastapi import APIRouter

from . import admin, auth, export, labeling, pages, projects, review, upload

__all__ = ["ROUTERS"]

#: In the order :func:`activelab.server.app.create_app` includes them.
ROUTERS: tuple[APIRouter, ...] = (admin.router, labeling.router, export.router, review.router,
                                  upload.router, auth.router, pages.router, projects.router)
