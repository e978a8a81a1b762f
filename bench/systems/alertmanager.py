"""Prometheus Alertmanager under test: the Debian binary on a free loopback port, clustering off,
with a configuration generated for the run (JSON, which Alertmanager's YAML loader reads as is).

Alerts are posted as Prometheus posts them: ``POST /api/v2/alerts`` with a JSON list. Every route
ends at one webhook receiver; ``send_resolved`` is off and ``resolve_timeout`` is an hour, so a run
sees only firing notifications.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from processes import Child, free_port, spawn, wait_ready

BINARY = "prometheus-alertmanager"
HOOK = "hook"
NULL = "null"
"""A receiver without integrations: alerts no child route takes end there and notify nobody."""


@dataclass(frozen=True, slots=True)
class Route:
    """One child route: label matchers (``name="value"``) and its grouping."""

    matchers: tuple[str, ...]
    group_by: tuple[str, ...] = ("...",)
    group_wait: str = "0s"
    group_interval: str = "1s"

    def to_json(self) -> dict[str, Any]:
        return {
            "receiver": HOOK,
            "matchers": list(self.matchers),
            "group_by": list(self.group_by),
            "group_wait": self.group_wait,
            "group_interval": self.group_interval,
        }


def matcher(label: str, value: str) -> str:
    """An equality matcher; the value is quoted as the matcher grammar wants it."""
    return f"{label}={json.dumps(value)}"


def config(webhook_url: str, routes: Sequence[Route]) -> dict[str, Any]:
    """The whole configuration: the child routes in order, the root sending the rest to NULL."""
    return {
        "global": {"resolve_timeout": "1h"},
        "route": {
            "receiver": NULL,
            "group_by": ["alertname"],
            "group_wait": "0s",
            "group_interval": "1s",
            "repeat_interval": "24h",
            "routes": [route.to_json() for route in routes],
        },
        "receivers": [
            {
                "name": HOOK,
                "webhook_configs": [{"url": webhook_url, "send_resolved": False, "max_alerts": 0}],
            },
            {"name": NULL},
        ],
    }


class Alertmanager:
    name = "Alertmanager"

    def __init__(self, settings: dict[str, Any]) -> None:
        self._settings = settings
        self._child: Child | None = None
        self._port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def pid(self) -> int:
        assert self._child is not None, "not started"
        return self._child.pid

    def start(self, workdir: Path) -> None:
        """Write the configuration into ``workdir`` and start a fresh server with empty storage."""
        workdir.mkdir(parents=True, exist_ok=True)
        config_file = workdir / "alertmanager.yml"
        config_file.write_text(json.dumps(self._settings, indent=1))
        self._port = free_port()
        argv = [
            binary(),
            f"--config.file={config_file}",
            f"--storage.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self._port}",
            "--cluster.listen-address=",  # empty: no gossip, no peers to wait for
            "--log.level=warn",
        ]
        self._child = spawn("alertmanager", argv, workdir)
        try:
            wait_ready(self._child, f"{self.url}/-/ready")
        except BaseException:
            self._child.stop()
            raise

    def stop(self) -> None:
        if self._child is not None:
            self._child.stop()

    def version(self) -> str:
        return version()


def binary() -> str:
    found = shutil.which(BINARY) or shutil.which("alertmanager")
    if found is None:
        raise FileNotFoundError(f"no {BINARY}: apt-get install -y prometheus-alertmanager")
    return found


def version() -> str:
    run = subprocess.run([binary(), "--version"], capture_output=True, text=True, check=False)
    first = (run.stdout or run.stderr).strip().splitlines()
    return first[0].replace("alertmanager, version", "Alertmanager").split(" (")[0] if first else "unknown"
