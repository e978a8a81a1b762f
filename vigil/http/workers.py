"""Serving with several worker processes on one port (``vigil serve --workers N``).

The parent bootstraps storage once, claims the port, creates the state the workers
share (the nonce table and the test clock), then forks the workers; each builds its own
services and database connections and runs uvicorn on its own socket bound to the port
with SO_REUSEPORT. A worker that
dies is replaced; SIGTERM or SIGINT stops them all.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn

from vigil.app import App, ProcessShared, build
from vigil.settings import Settings

log = logging.getLogger("vigil.workers")
_PR_SET_PDEATHSIG = 1


def serve(settings: Settings, on_ready: Callable[[App], None]) -> None:
    shared = ProcessShared.create(settings)
    app = build(settings, shared=shared, start_jobs=settings.workers == 1)
    on_ready(app)
    if settings.workers == 1:
        try:
            uvicorn.run(app.asgi, **_uvicorn_options(settings), host=settings.host, port=settings.port)
        finally:
            app.close()
        return
    app.close()
    claim = _listen(settings.host, settings.port, backlog=0)  # fails early if the port is taken
    try:
        _supervise(settings, shared)
    finally:
        claim.close()


def _uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "log_level": settings.log_level.lower(),
        "access_log": False,
        "loop": "uvloop",
        "http": "httptools",
        "lifespan": "off",
        "timeout_graceful_shutdown": 5,  # open event streams must not hold a shutdown forever
    }


def _listen(host: str, port: int, *, backlog: int = 2048) -> socket.socket:
    """A listening socket in the port's SO_REUSEPORT group: the kernel spreads new connections
    evenly over the workers' sockets instead of letting whichever worker wakes first take them."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    if backlog:
        sock.listen(backlog)
    return sock


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM this worker if the parent dies (even by kill -9), so no orphan keeps the port."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        log.warning(
            "cannot tie worker %s to its parent; stop workers by hand if the parent is killed", os.getpid()
        )


def _worker(settings: Settings, shared: ProcessShared, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before prctl took effect
        return
    sock = _listen(settings.host, settings.port)
    app = build(settings, shared=shared)
    config = uvicorn.Config(app.asgi, **_uvicorn_options(settings))
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        app.close()


def _supervise(settings: Settings, shared: ProcessShared) -> None:
    context = multiprocessing.get_context("fork")
    stopping = False

    def start() -> BaseProcess:
        process = context.Process(target=_worker, args=(settings, shared, os.getpid()), daemon=False)
        process.start()
        return process

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    workers = [start() for _ in range(settings.workers)]
    log.info("serving with %d worker processes (pids %s)", len(workers), [w.pid for w in workers])
    while not stopping:
        time.sleep(0.2)
        for i, process in enumerate(workers):
            if not process.is_alive() and not stopping:
                log.warning("worker %s exited with %s; starting a new one", process.pid, process.exitcode)
                workers[i] = start()
    for process in workers:
        if process.pid is not None and process.is_alive():
            os.kill(process.pid, signal.SIGTERM)
    for process in workers:
        process.join(timeout=15)
