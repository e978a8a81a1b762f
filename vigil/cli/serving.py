"""``vigil serve``: build the application and run it under uvicorn."""

from __future__ import annotations

import logging

import click
import uvicorn

from vigil.app import build, write_root_credentials
from vigil.errors import VigilError
from vigil.settings import Settings


def run_server(settings: Settings) -> None:
    logging.getLogger().setLevel(settings.log_level.upper())
    try:
        app = build(settings)
    except VigilError as exc:
        raise click.ClickException(exc.message) from None
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
        f"region {account.region}  project {account.project_id}"
        + ("  [test clock]" if settings.test_clock else "")
    )
    try:
        uvicorn.run(
            app.asgi,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level.lower(),
            access_log=False,
            loop="uvloop",
            http="httptools",
            lifespan="off",
        )
    finally:
        app.close()
