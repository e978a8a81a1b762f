"""Serving: the HTTP workers and the background process (``vigil serve --workers N``).

The parent bootstraps storage once, creates the state the processes share (the nonce table, the
test clock, the alerting wake signal), then forks the background process, which runs the periodic
jobs and dispatches and delivers notifications, so that work never takes interpreter time from an
API call. With one worker the parent then serves HTTP itself; with several it claims the port and
forks the workers, each building its own services and database connections and running uvicorn
on its own socket bound to the port with SO_REUSEPORT. A worker or background process that dies
is replaced; SIGTERM or SIGINT stops them all.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn

from vigil.app import App, ProcessShared, build
from vigil.http.balance import ConnectionBalancer, SharedLoads
from vigil.settings import Settings

log = logging.getLogger("vigil.workers")
_PR_SET_PDEATHSIG = 1


def serve(settings: Settings, on_ready: Callable[[App], None]) -> None:
    shared = ProcessShared.create(settings, background_process=True)
    app = build(settings, shared=shared, start_jobs=False, start_alerting=False)
    on_ready(app)
    app.close()  # nothing with threads or connections may be open across a fork
    claim = _listen(settings.host, settings.port, backlog=0)  # fails early if the port is taken
    background = _Supervised("background process", _background, settings, shared)
    try:
        if settings.workers == 1:
            claim.close()
            _serve_here(settings, shared, background)
        else:
            _supervise(settings, shared, background)
    finally:
        claim.close()
        background.stop()


def _serve_here(settings: Settings, shared: ProcessShared, background: _Supervised) -> None:
    """One worker: HTTP in this process, while a thread keeps the background process running."""
    app = build(settings, shared=shared, start_jobs=False, start_alerting=False)
    settle_heap()
    watching = threading.Event()

    def watch() -> None:
        while not watching.wait(0.2):
            background.revive()

    watcher = threading.Thread(target=watch, name="vigil-background-watch", daemon=True)
    watcher.start()
    try:
        uvicorn.run(app.asgi, **_uvicorn_options(settings), host=settings.host, port=settings.port)
    finally:
        watching.set()
        watcher.join(timeout=5)
        app.close()


BACKGROUND_SWITCH_S = 0.0005
BACKGROUND_NICE = 10
"""How much lower the background process's CPU priority is than the workers'. Dispatching and
delivering notifications, indexing the audit journal and the periodic jobs all run there; when
the cores are busy, calls come first (an event storm on two cores: 18,000 events/s taken in with
the background at the same priority, 21,500 with it at nice 10, and every notification delivered
as soon as before). On an idle machine the background runs at once, as fast as before."""
BACKGROUND_CLOSE_S = 5.0
"""How long the background process may take to close before it exits regardless."""


class _StopFlag:
    """Set by SIGTERM, polled by the main thread.

    A signal handler runs on the main thread between two bytecodes, so one that set a
    ``threading.Event`` could be interrupted by a second signal while it held the event's lock, and
    the second handler would then wait for that lock forever: the parent's SIGTERM and the one the
    kernel sends when the parent dies (PR_SET_PDEATHSIG) often come together, and a background
    process hung that way outlived its parent. Setting an attribute takes no lock."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, *_: object) -> None:
        self.requested = True

    def wait(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while not self.requested and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.requested


def _background(settings: Settings, shared: ProcessShared, parent: int) -> None:
    """The background process: periodic jobs and the alerting worker, until SIGTERM."""
    stop = _StopFlag()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, stop)
    _die_with_parent()
    if os.getppid() != parent:
        return
    # The threads here take turns on the database's write lock, and one that holds it must get the
    # interpreter back after every statement; with the default 5 ms switch interval it could wait
    # that long behind a thread parsing audit lines or sending a webhook, lock held all the while.
    sys.setswitchinterval(BACKGROUND_SWITCH_S)
    _lower_priority(BACKGROUND_NICE)
    app = build(settings, shared=shared, start_jobs=True, start_alerting=True)
    settle_heap()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        # Everything worth keeping is committed (a send in flight is leased and sent again by
        # whoever comes next), so a close that hangs, say on a webhook that never answers, must
        # not keep an orphan alive after its parent died.
        deadline = threading.Timer(BACKGROUND_CLOSE_S, os._exit, args=(0,))
        deadline.daemon = True
        deadline.start()
        app.close()


class _Supervised:
    """A forked child that is started at once and started again whenever it is found dead."""

    def __init__(self, name: str, target: Callable[..., None], *args: Any) -> None:
        self._name = name
        self._target = target
        self._args = args
        self._lock = threading.Lock()
        self._stopping = False
        self._process = self._start()

    def _start(self) -> BaseProcess:
        context = multiprocessing.get_context("fork")
        process = context.Process(target=self._target, args=(*self._args, os.getpid()), daemon=False)
        process.start()
        return process

    def revive(self) -> None:
        with self._lock:
            if not self._stopping and not self._process.is_alive():
                log.warning(
                    "%s %s exited with %s; starting a new one",
                    self._name,
                    self._process.pid,
                    self._process.exitcode,
                )
                self._process = self._start()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            process = self._process
        if process.pid is not None and process.is_alive():
            os.kill(process.pid, signal.SIGTERM)
        process.join(timeout=15)


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


def settle_heap() -> None:
    """Keep what start-up made out of the cyclic garbage collector's way.

    Start-up leaves a hundred thousand objects or more (modules, classes, functions, the catalog)
    that live as long as the process. Every full collection walked them all: 50 to 150 ms with the
    interpreter held, measured on a busy two-core host, in the middle of whatever request was
    running, write lock held if it had it, while every other writer of the database waited (the
    worst batches of an event storm took 100 to 170 ms for that alone). Frozen, they are never
    scanned; what requests allocate is collected as before."""
    gc.collect()
    gc.freeze()


def _lower_priority(steps: int) -> None:
    """Raise this process's nice value by ``steps`` (anyone may lower their own priority)."""
    try:
        os.nice(steps)
    except OSError as exc:
        log.warning("cannot lower the background process's priority: %s", exc.strerror)


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM this worker if the parent dies (even by kill -9), so no orphan keeps the port."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        log.warning(
            "cannot tie worker %s to its parent; stop workers by hand if the parent is killed", os.getpid()
        )


def _worker(settings: Settings, shared: ProcessShared, parent: int, loads: SharedLoads, index: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    # The fork copied the parent's SIGTERM handler, which would swallow the signal the kernel sends
    # when the parent dies (below) while this worker starts: it would then serve on, an orphan.
    # Until uvicorn installs its own handler, SIGTERM ends the worker.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before prctl took effect
        return
    sock = _listen(settings.host, settings.port)
    app = build(settings, shared=shared, start_jobs=False, start_alerting=False)
    settle_heap()
    config = uvicorn.Config(ConnectionBalancer(app.asgi, loads, index), **_uvicorn_options(settings))
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        app.close()


def _supervise(settings: Settings, shared: ProcessShared, background: _Supervised) -> None:
    context = multiprocessing.get_context("fork")
    stopping = False

    loads = SharedLoads(context.Array("d", 2 * settings.workers, lock=False))

    def start(index: int) -> BaseProcess:
        process = context.Process(
            target=_worker, args=(settings, shared, os.getpid(), loads, index), daemon=False
        )
        process.start()
        return process

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    workers = [start(i) for i in range(settings.workers)]
    log.info("serving with %d worker processes (pids %s)", len(workers), [w.pid for w in workers])
    while not stopping:
        time.sleep(0.2)
        background.revive()
        for i, process in enumerate(workers):
            if not process.is_alive() and not stopping:
                log.warning("worker %s exited with %s; starting a new one", process.pid, process.exitcode)
                workers[i] = start(i)
    for process in workers:
        if process.pid is not None and process.is_alive():
            os.kill(process.pid, signal.SIGTERM)
    for process in workers:
        process.join(timeout=15)
