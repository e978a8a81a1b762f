"""Runs the real ``vigil`` CLI in-process against a running server, in an isolated environment."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from tests.conftest import ROOT_AK, ROOT_SECRET
from vigil.cli.main import cli

# Nothing from the developer's shell or saved config may leak into a test run.
_CLEAN_ENV = {
    "VIGIL_ENDPOINT": None,
    "VIGIL_ACCESS_KEY_ID": None,
    "VIGIL_ACCESS_KEY_SECRET": None,
    "VIGIL_DATA_DIR": None,
}


@dataclass(frozen=True, slots=True)
class Cli:
    """``vigil.ok("keys", "create")`` runs ``vigil --endpoint … keys create`` and returns its stdout."""

    endpoint: str
    config_home: Path
    access_key_id: str = ROOT_AK
    secret: str = ROOT_SECRET

    def as_user(self, access_key_id: str, secret: str) -> Cli:
        return replace(self, access_key_id=access_key_id, secret=secret)

    def run(self, *args: str, input: str | bytes | None = None) -> Result:
        runner = CliRunner(env={**_CLEAN_ENV, "XDG_CONFIG_HOME": str(self.config_home)})
        credentials = ["--access-key-id", self.access_key_id, "--access-key-secret", self.secret]
        return runner.invoke(cli, ["--endpoint", self.endpoint, *credentials, *args], input=input)

    def ok(self, *args: str, input: str | bytes | None = None) -> str:
        result = self.run(*args, input=input)
        assert result.exit_code == 0, f"vigil {' '.join(args)} -> {result.exit_code}: {result.output}"
        return result.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json"))

    def fails(self, *args: str, code: int = 1) -> Result:
        """Runs a command expected to fail cleanly: the given exit code and no traceback."""
        result = self.run(*args)
        assert result.exit_code == code, f"vigil {' '.join(args)} -> {result.exit_code}: {result.output}"
        assert isinstance(result.exception, SystemExit), f"crashed: {result.exception!r}"
        assert "Traceback" not in result.output
        return result

    def new_key(self, *args: str) -> str:
        return str(self.json("keys", "create", *args)["KeyId"])
