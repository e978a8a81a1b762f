"""``vigil serve``: build the application, announce it, and run it (one or several worker processes)."""

from __future__ import annotations

import logging

import click

from vigil.app import App, write_root_credentials
from vigil.errors import VigilError
from vigil.http import workers
from vigil.settings import Settings


def run_server(settings: Settings) -> None:
    logging.getLogger().setLevel(settings.log_level.upper())
    try:
        workers.serve(settings, lambda app: _announce(app, settings))
    except VigilError as exc:
        raise click.ClickException(exc.message) from None


def _announce(app: App, settings: Settings) -> None:
    boot = app.bootstrap
    if boot.generated_access_key is not None:
        ak, secret = boot.generated_access_key
        path = write_root_credentials(settings.data_dir, ak, secret)
        click.echo("Generated the root access key (shown once; also saved with mode 0600):")
        click.echo(f"  AccessKeyId:     {ak}")
        click.echo(f"  AccessKeySecret: {secret}")
        click.echo(f"  saved to:        {path}")
    account = boot.account
    click.echo(
        f"Vigil serving on http://{settings.host}:{settings.port}  account {account.account_id}  "
        f"region {account.region}  project {account.project_id}  workers {settings.workers}"
        + ("  [test clock]" if settings.test_clock else ""),
        nl=True,
    )
