"""The app's routes, one :class:`fastapi.APIRouter` per area.

The JSON API (``/api/...``, in the OpenAPI schema): :mod:`.labeling` (lease, label, skip,
undo, progress, images), :mod:`.review` (disagreements and their resolution),
:mod:`.export`, :mod:`.admin` (health, retraining, accounts) and :mod:`.upload` (adding
items, also as a page). The server-rendered pages: :mod:`.auth` (log in and out) and
:mod:`.pages` (label, review, dashboard). :mod:`.data` (browse and fix) has both a page
and its API. What they share is in :mod:`..deps`.
:mod:`.accounts` is the admins' accounts page.
:mod:`.projects` (the project list, a new project, a project's settings and members,
also as JSON).
"""

from fastapi import APIRouter

from . import accounts, admin, auth, data, export, labeling, pages, projects, review, upload

__all__ = ["ROUTERS"]

#: In the order :func:`activelab.server.app.create_app` includes them.
ROUTERS: tuple[APIRouter, ...] = (admin.router, labeling.router, export.router, review.router,
                                  upload.router, auth.router, pages.router, data.router,
                                  accounts.router,
                                  projects.router)
