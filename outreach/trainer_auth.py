"""Trainer sign-in state, kept in Flask's signed session cookie under outreach's own keys.

This is separate from the officers' server-side web session: a trainer account opens no lookup
screens on live data and an officer login opens no trainer pages. The cookie holds the trainer id
and two times; each request re-reads the account, so disabling a trainer ends their session at
once. Sessions end after 2 hours idle or 12 hours after sign-in.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final, ParamSpec, TypeVar

from flask import g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from lookup.extensions import state_store
from outreach.trainers import Trainer, get_trainer

SESSION_KEY: Final = "outreach_trainer"
IDLE_TIMEOUT: Final = timedelta(hours=2)
ABSOLUTE_TIMEOUT: Final = timedelta(hours=12)

P = ParamSpec("P")
R = TypeVar("R")


def sign_in(trainer: Trainer) -> None:
    now = datetime.now(UTC).isoformat()
    session[SESSION_KEY] = {"id": trainer.id, "since": now, "seen": now}


def sign_out() -> None:
    session.pop(SESSION_KEY, None)


def current_trainer() -> Trainer | None:
    if "outreach_trainer_obj" in g:
        found: Trainer | None = g.outreach_trainer_obj
        return found
    g.outreach_trainer_obj = None
    state = session.get(SESSION_KEY)
    if not isinstance(state, dict):
        return None
    try:
        since = datetime.fromisoformat(state["since"])
        seen = datetime.fromisoformat(state["seen"])
        trainer_id = str(state["id"])
    except (KeyError, TypeError, ValueError):
        sign_out()
        return None
    now = datetime.now(UTC)
    if now - since > ABSOLUTE_TIMEOUT or now - seen > IDLE_TIMEOUT:
        sign_out()
        return None
    trainer = get_trainer(state_store(), trainer_id)
    if trainer is None or trainer.disabled:
        sign_out()
        return None
    if now - seen > timedelta(minutes=1):  # refresh the idle clock without rewriting every time
        session[SESSION_KEY] = {**state, "seen": now.isoformat()}
    g.outreach_trainer_obj = trainer
    return trainer


def trainer_required(view: Callable[P, R]) -> Callable[P, R | Response]:
    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if current_trainer() is None:
            return redirect(url_for("outreach.trainer_login", next=request.path))
        return view(*args, **kwargs)

    return wrapped
