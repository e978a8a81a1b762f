"""``vigil``: the command group, ``serve``, ``whoami`` and ``configure``; nouns live in sibling modules."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click
import httpx

from vigil.cli import config
from vigil.cli.output import emit
from vigil.client import VigilApiError


class VigilGroup(click.Group):
    """Turns API errors into one clear line and exit code 1 instead of a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except VigilApiError as exc:
            click.echo(f"Error: {exc.code}: {exc.message}", err=True)
            sys.exit(1)
        except httpx.TransportError as exc:
            click.echo(f"Error: cannot reach the Vigil server: {exc}", err=True)
            sys.exit(1)


@click.group(cls=VigilGroup)
@click.option("--endpoint", envvar="VIGIL_ENDPOINT", help="Server URL (default http://127.0.0.1:8200).")
@click.option("--access-key-id", envvar="VIGIL_ACCESS_KEY_ID", help="Access key id to sign requests with.")
@click.option("--access-key-secret", envvar="VIGIL_ACCESS_KEY_SECRET", help="Access key secret.")
@click.option(
    "--data-dir",
    envvar="VIGIL_DATA_DIR",
    type=click.Path(path_type=Path),
    help="A local server's data directory; its root credentials are used when nothing else is given.",
)
@click.version_option(package_name="vigil")
@click.pass_context
def cli(
    ctx: click.Context,
    endpoint: str | None,
    access_key_id: str | None,
    access_key_secret: str | None,
    data_dir: Path | None,
) -> None:
    """Vigil: a self-hosted key management and secrets service that watches itself."""
    ctx.obj = config.Target(endpoint, access_key_id, access_key_secret, data_dir)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8200, show_default=True, type=int)
@click.option(
    "--data-dir",
    "data_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Where SQLite, the root key and generated credentials live (default ./vigil-data).",
)
@click.option(
    "--test-clock", is_flag=True, help="Enable AdvanceClock/GetClock to move business time (tests only)."
)
@click.option("--log-level", default=None, help="debug, info, warning or error.")
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Worker processes sharing the port (default: one per CPU, or VIGIL_WORKERS).",
)
@click.pass_obj
def serve(
    target: config.Target,
    host: str,
    port: int,
    data_dir: Path | None,
    test_clock: bool,
    log_level: str | None,
    workers: int | None,
) -> None:
    """Serve every dialect on one port (SQLite in the data dir unless VIGIL_DATABASE_URL is set)."""
    from vigil.cli.serving import run_server
    from vigil.settings import Settings

    settings = Settings.from_env(
        os.environ,
        host=host,
        port=port,
        data_dir=data_dir or target.data_dir,
        test_clock=test_clock or None,
        log_level=log_level,
        workers=workers,
    )
    run_server(settings)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def whoami(target: config.Target, as_json: bool) -> None:
    """Show the caller's account, user, region and project id."""
    body = target.client().vigil("GetCallerIdentity")
    body.pop("RequestId", None)
    emit(body, as_json=as_json)


@cli.command()
@click.option("--endpoint", required=True, help="Server URL, e.g. http://127.0.0.1:8200.")
@click.option("--access-key-id", required=True)
@click.option("--access-key-secret", required=True, prompt=True, hide_input=True)
def configure(endpoint: str, access_key_id: str, access_key_secret: str) -> None:
    """Save an endpoint and credentials for later commands (file mode 0600)."""
    path = config.save(endpoint, access_key_id, access_key_secret)
    click.echo(f"saved to {path}")


def _register_nouns() -> None:
    from vigil.cli import (
        audit,
        clock,
        crypto,
        events,
        iam,
        keys,
        notifications,
        secrets,
        silences,
        subscriptions,
        webhooks,
    )

    nouns = (
        keys,
        crypto,
        secrets,
        iam,
        webhooks,
        events,
        clock,
        subscriptions,
        silences,
        notifications,
        audit,
    )
    for module in nouns:
        for command in module.COMMANDS:
            cli.add_command(command)


_register_nouns()


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cli(prog_name="vigil")
