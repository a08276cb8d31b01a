"""Per-project roles (memberships) and the log of explicit settings changes.

A user without a membership in a project keeps their global role there, so a server with
one project (or no memberships at all) behaves as before. A membership gives a user
another role in one project (``admin``, ``reviewer``, ``annotator``) or none at all
(``none``: the project is hidden from them). Global admins are admins in every project.

Settings change only through :meth:`Memberships.change_settings`, which writes one
:class:`~activelab.store.schema.SettingChange` row per changed setting (who, when, old and
new value) in the same transaction as the change.

>>> from activelab.store import ProjectSettings, Store
>>> from activelab.store.importer import ImportedItem
>>> store = Store("sqlite://")
>>> _ = store.create_project("news", [ImportedItem("a", "hi", 2)], ProjectSettings(("x", "y")))
>>> _ = store.add_user("ann", "annotator")
>>> store.set_member("news", "ann", "reviewer")
>>> [(m["name"], m["role"]) for m in store.members("news")]
[('ann', 'reviewer')]
>>> store.change_settings("news", {"retrain_every": 5}, by="admin")
[('retrain_every', 20, 5)]
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, fields, replace
from typing import Any

from sqlalchemy import delete, select

from ..errors import ActiveLabError
from .base import StoreBase, iso
from .errors import NotFoundError
from .projects import ProjectSettings
from .schema import ROLES, Membership, Project, SettingChange, User

__all__ = ["FIXED_SETTINGS", "MEMBER_ROLES", "Memberships", "UserRole"]

#: The roles a membership may give; ``none`` keeps a user out of the project.
MEMBER_ROLES = (*ROLES, "none")
#: Settings fixed at creation: the answers already given depend on them.
FIXED_SETTINGS = ("labels", "task")
#: A user as the role checks see them (``UserInfo`` has these attributes).
UserRole = Any


class Memberships(StoreBase):
    """The store's per-project roles and settings changes."""

    def set_member(self, project: str, user: str, role: str) -> None:
        """Give ``user`` the ``role`` in ``project`` (replacing a membership they had)."""
        if role not in MEMBER_ROLES:
            raise ActiveLabError(f"a project role is one of {', '.join(MEMBER_ROLES)}; "
                                 f"got {role!r}")
        with self._transaction() as session:
            found = self._project(session, project, lock=True)
            user_id = self._user_id(session, user)
            session.execute(delete(Membership).where(Membership.project_id == found.id,
                                                     Membership.user_id == user_id))
            session.add(Membership(project_id=found.id, user_id=user_id, role=role))

    def remove_member(self, project: str, user: str) -> bool:
        """Drop ``user``'s membership: their global role applies again. ``False`` if none."""
        with self._transaction() as session:
            found = self._project(session, project, lock=True)
            done = session.execute(delete(Membership).where(
                Membership.project_id == found.id,
                Membership.user_id == self._user_id(session, user)))
            return bool(done.rowcount)

    def members(self, project: str) -> list[dict[str, str]]:
        """``name``, ``global_role`` and project ``role`` of every membership, by name."""
        with self._session() as session:
            found = self._project(session, project)
            rows = session.execute(
                select(User.name, User.role, Membership.role)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.project_id == found.id).order_by(User.name))
            return [{"name": n, "global_role": g, "role": r} for n, g, r in rows]

    def role_in(self, project: str, user: UserRole) -> str:
        """``user``'s role in ``project``: global admins are admins; otherwise the
        membership's role, else the global role. ``none`` means no access."""
        if user.role == "admin":
            return "admin"
        with self._session() as session:
            role = session.scalar(
                select(Membership.role).join(Project, Project.id == Membership.project_id)
                .where(Project.name == project, Membership.user_id == user.id))
        return role or user.role

    def token_user_in(self, token: str, project: str) -> tuple[Any, str] | None:
        """The user of the API token ``token`` and their role in ``project`` (as
        :meth:`role_in`), read in one query; ``None`` for an unknown or disabled token."""
        from .accounts import UserInfo, hash_secret

        if not token or len(token) > 200:
            return None
        member = (select(Membership.user_id, Membership.role)
                  .join(Project, Project.id == Membership.project_id)
                  .where(Project.name == project).subquery())
        with self._session() as session:
            row = session.execute(
                select(User.id, User.name, User.role, member.c.role)
                .outerjoin(member, member.c.user_id == User.id)
                .where(User.token_hash == hash_secret(token), User.disabled_at.is_(None))
            ).first()
        if row is None:
            return None
        user = UserInfo(row[0], row[1], row[2])
        return user, "admin" if user.role == "admin" else (row[3] or user.role)

    def visible_projects(self, user: UserRole) -> list[str]:
        """The projects ``user`` may open (every one but those where their role is none)."""
        names = self.project_names()  # type: ignore[attr-defined]
        if user.role == "admin":
            return names
        with self._session() as session:
            hidden = set(session.scalars(
                select(Project.name).join(Membership, Membership.project_id == Project.id)
                .where(Membership.user_id == user.id, Membership.role == "none")))
        return [name for name in names if name not in hidden]

    def change_settings(
        self, project: str, changes: dict[str, Any], by: str,
        check: Callable[[ProjectSettings], ProjectSettings] = ProjectSettings.check,
    ) -> list[tuple[str, Any, Any]]:
        """Apply ``changes`` (setting name -> new value) to ``project`` and log each one.

        All or nothing: an unknown or fixed setting, or new settings that ``check`` refuses
        (the server passes the checks of a new project), change nothing. Returns
        ``(name, old, new)`` of the settings whose value changed (empty when none did)."""
        known = {f.name for f in fields(ProjectSettings)}
        for name in changes:
            if name not in known:
                raise ActiveLabError(f"no setting {name!r}; settings: "
                                     f"{', '.join(sorted(known - set(FIXED_SETTINGS)))}")
            if name in FIXED_SETTINGS:
                raise ActiveLabError(f"{name} is fixed when a project is created (its answers "
                                     "depend on it); create a new project instead")
        with self._transaction() as session:
            row = self._project(session, project, lock=True)
            old = ProjectSettings(labels=tuple(row.labels), strategy=row.strategy,
                                  model=row.model, **row.settings)
            new = check(replace(old, **changes))
            before, after = asdict(old), asdict(new)
            changed = [(name, before[name], after[name]) for name in after
                       if before[name] != after[name]]
            if not changed:
                return []
            row.strategy, row.model, row.settings = new.strategy, new.model, new.to_json()
            now = self.clock()
            for name, was, now_is in changed:
                session.add(SettingChange(project_id=row.id, changed_by=by, name=name,
                                          old=json.dumps(was), new=json.dumps(now_is),
                                          changed_at=now))
        return changed

    def setting_changes(self, project: str, limit: int = 50) -> list[dict[str, Any]]:
        """The latest ``limit`` settings changes of ``project``, newest first."""
        with self._session() as session:
            found = self._project(session, project)
            rows = session.scalars(
                select(SettingChange).where(SettingChange.project_id == found.id)
                .order_by(SettingChange.id.desc()).limit(limit))
            return [{"name": r.name, "old": json.loads(r.old), "new": json.loads(r.new),
                     "by": r.changed_by, "at": iso(r.changed_at)} for r in rows]

    def _user_id(self, session: Any, name: str) -> int:
        user_id = session.scalar(select(User.id).where(User.name == name.strip()))
        if user_id is None:
            raise NotFoundError(f"no user {name!r}; create it with `activelab users add`")
        return int(user_id)
