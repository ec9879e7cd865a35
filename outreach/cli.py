"""`dipcheck outreach ...` commands, attached to the blueprint (Flask shows a blueprint's CLI
group under its name), so lookup/cli.py needs no knowledge of outreach."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import click
from flask import current_app

from lookup.extensions import state_store
from lookup.identity.accounts import generate_password
from lookup.rules.immunity import load_matrix
from lookup.rules.matrix_source import matrix_path
from outreach.blueprint import bp
from outreach.content import load_content
from outreach.library import content_dir
from outreach.problems import ContentInvalid
from outreach.trainers import TrainerError, create_trainer, find_trainer, set_disabled
from outreach.training_data import EXTENSION_KEY as TRAINING_KEY
from outreach.training_data import ensure_built

bp.cli.help = "Seminars and training: content checks, trainer accounts, the training data set."


def _shown(path: Path) -> str:
    """The path as the operator can open it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@bp.cli.group("content")
def content_group() -> None:
    """Training content (decks, handouts, pocket card, scenarios, quiz)."""


@content_group.command("check")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Content directory to check (default: the one the app serves).",
)
def content_check(directory: Path | None) -> None:
    """Validate every content file; print FILE:LINE: FIELD: message per problem."""
    root = directory or content_dir(current_app)
    try:
        content = load_content(root, load_matrix(matrix_path(current_app)))
    except ContentInvalid as error:
        for problem in error.problems:
            click.echo(str(replace(problem, path=_shown(root / problem.path))), err=True)
        sys.exit(1)
    click.echo(
        f"{root}: ok — {len(content.decks)} decks, {len(content.handouts)} handouts, "
        f"{len(content.scenarios)} scenarios, {len(content.questions)} quiz questions"
    )


@bp.cli.group("trainer")
def trainer_group() -> None:
    """Trainer accounts."""


@trainer_group.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Name printed on certificates.")
@click.option("--organisation", default="", help="Organisation printed on certificates.")
def trainer_create(username: str, display_name: str, organisation: str) -> None:
    """Create a trainer; the generated password is printed once."""
    password = generate_password()
    try:
        trainer = create_trainer(
            state_store(),
            username=username,
            display_name=display_name,
            password=password,
            organisation=organisation,
        )
    except TrainerError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"trainer {trainer.username} created; password (shown once): {password}")


@trainer_group.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the account again (and clear its lockout).")
def trainer_disable(username: str, enable: bool) -> None:
    """Disable (or with --enable, re-enable) a trainer account."""
    trainer = find_trainer(state_store(), username)
    if trainer is None:
        raise click.ClickException(f"no trainer named {username!r}")
    set_disabled(state_store(), trainer, not enable)
    click.echo(f"trainer {trainer.username} {'enabled' if enable else 'disabled'}")


@bp.cli.command("training-data")
def training_data() -> None:
    """Build (or rebuild, when the scenario records changed) the synthetic training data set."""
    built = ensure_built(current_app.extensions[TRAINING_KEY])
    click.echo("training data set published" if built else "training data set is up to date")
