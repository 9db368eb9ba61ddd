"""Serving: one process until a signal, or several on one port that live and die together."""

from __future__ import annotations

import asyncio
import errno
import gc
import logging
import multiprocessing
import multiprocessing.connection
import os
import resource
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp import web
from prometheus_client import multiprocess

from bot.config.settings import (
    DEFAULT_CONFIG_FILE,
    ConfigError,
    Settings,
    as_the_file_is_now,
)
from bot.config.watch import FileTimes
from bot.core.metrics import MULTIPROCESS_DIR
from bot.http.site import KEEPALIVE_SECONDS, HeadDeadlineSite
from bot.logs import configure_logging, say_refusal
from bot.runtime import Runtime, StoreOutOfReach

log = logging.getLogger("switchboard")

RESTART_DELAY = 1.0
"""A worker that dies is replaced after this pause, so a crash loop cannot spin."""

OUT_OF_REACH_DELAY = 30.0
"""The longest pause before another worker after one whose start found the store out of
reach: the pause doubles from ``RESTART_DELAY`` with each such start in a row."""


def run(main: Coroutine[Any, Any, None], settings: Settings) -> None:
    """Run ``main`` to its end on the event loop SWITCHBOARD_LOOP chose, as asyncio.run would."""
    try:
        factory = loop_factory(settings.loop)
    except ConfigError:
        main.close()  # never started
        raise
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(main)


def loop_factory(choice: str | None) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop when it is chosen, or when nothing is chosen and it is installed;
    None (asyncio's own loop) otherwise. ConfigError when uvloop is chosen but missing."""
    if choice == "asyncio":
        return None
    try:
        import uvloop  # optional: the ``uvloop`` extra, not built for Windows
    except ImportError:
        if choice == "uvloop":
            raise ConfigError(
                "SWITCHBOARD_LOOP=uvloop, but uvloop is not installed: "
                "pip install 'switchboard[uvloop]', or unset SWITCHBOARD_LOOP"
            ) from None
        return None
    return uvloop.new_event_loop


EVERY_ADDRESS = frozenset({"0.0.0.0", "::", ""})
"""HOST values that listen on every address of the machine: no address to give out."""


def warn_of_a_public_url_nobody_reaches(settings: Settings) -> None:
    """One warning line when PUBLIC_URL is unset and HOST listens on every address (the
    Docker image's HOST=0.0.0.0): the links the bot gives out would point there."""
    if not settings.links and settings.host in EVERY_ADDRESS:
        log.warning(
            "PUBLIC_URL is unset and HOST=%s listens on every address: the links the bot "
            "gives out (web chat files, media, webhooks) point at %s, which no browser or "
            "provider reaches; set PUBLIC_URL to the address they reach",
            settings.host,
            settings.public_url,
        )


def loop_name() -> str:
    """The running loop's maker, for the start log: ``uvloop`` or ``asyncio``."""
    return type(asyncio.get_running_loop()).__module__.split(".")[0]


YOUNG_OBJECTS = 50_000
"""New container objects still alive before the cyclic collector looks at the young ones
(Python's default: 700)."""


def tune_collector() -> None:
    """Set the cyclic garbage collector for a server that is done starting.

    With Python's default, a young collection ran every 700 objects still alive, ten
    times a second under load: it walked the objects of the requests in flight (alive,
    not garbage), moved them to older generations, and walked them again there. Over
    20,000 webhooks at saturation that was 2.25 s of the bot's CPU (0.11 ms a message,
    timed with ``gc.callbacks``); at 50,000 none ran once the server was up (0.05 s in
    all, start-up included), for the same peak memory (75 MB), since nearly everything is
    freed by its reference count. What start-up made (modules, settings, compiled rules)
    lives as long as the process: frozen, full collections no longer walk it (about 40 ms
    each)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, 20, 100)


OPEN_FILES = 65_536
"""Open files a serving process asks for, within its hard limit: each connection holds one."""


def take_open_files() -> None:
    """Raise the soft limit of open files to what the hard limit allows (up to
    ``OPEN_FILES``): a common soft limit of 1,024 is a thousand idle connections away
    from refusing every request."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = OPEN_FILES if hard == resource.RLIM_INFINITY else min(hard, OPEN_FILES)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError) as error:
            log.warning("could not raise the open files limit from %d: %s", soft, error)


NOT_AN_ADDRESS = frozenset({errno.EADDRNOTAVAIL, errno.EINVAL})
"""What listening on an address no interface of this machine has answers (EINVAL for an
IPv6 link-local address without its interface)."""


def http_runner(app: web.Application) -> web.AppRunner:
    """The server's runner: no access log of aiohttp's (ours is a middleware), 5 s for the
    requests under way at the stop, and kept-alive connections closed when idle. Bodies
    are never inflated: a compressed one is refused (``bot.http.app``), and aiohttp would
    inflate it as it comes, on the event loop, answered or not."""
    return web.AppRunner(
        app,
        access_log=None,
        shutdown_timeout=5,
        keepalive_timeout=KEEPALIVE_SECONDS,
        auto_decompress=False,
    )


def _reload(settings: Settings, asked: asyncio.Event) -> Callable[[], None]:
    """What SIGHUP does: the config file is read again, or, with none, the log says so."""

    def reload() -> None:
        if settings.config_path:
            asked.set()
            return
        log.warning(
            "SIGHUP: there is no config file to read again, as this bot started without "
            "one; a restart takes the file SWITCHBOARD_CONFIG names, else %s in its "
            "working folder (%s)",
            DEFAULT_CONFIG_FILE,
            os.getcwd(),
        )

    return reload


async def serve(settings: Settings, *, reuse_port: bool = False, parent: int = 0) -> None:
    """Run until SIGINT or SIGTERM (or the end of ``parent``), then drain (REL-6)."""
    log.info(
        "configuration file: %s",
        settings.config_path or f"none found (no {DEFAULT_CONFIG_FILE}, SWITCHBOARD_CONFIG unset)",
    )
    # Before the runtime starts: its start writes the config's services to the store,
    # which a refused start must leave as the processes running have them.
    if error := await asyncio.to_thread(_cannot_listen, settings.host, settings.port, reuse_port):
        raise _listen_refusal(settings, error)
    runtime = Runtime(settings)
    try:
        await runtime.start()
    except BaseException:
        await runtime.close()  # its HTTP session and store, opened when it was built
        raise
    take_open_files()
    runner = http_runner(runtime.http_app())
    await runner.setup()
    try:
        await HeadDeadlineSite(runner, settings.host, settings.port, reuse_port=reuse_port).start()
    except OSError as error:  # taken since it was looked at
        await runner.cleanup()
        await runtime.stop()  # lets go of the shards it took at once, for the others
        raise _listen_refusal(settings, error) from None
    tune_collector()
    log.info(
        "Switchboard is serving %s (web chat at /) on the %s store and the %s event loop",
        settings.public_url,
        runtime.store_kind,
        loop_name(),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    # SIGHUP, a closed terminal's or the operator's "reload", reads the config file again:
    # by default it would end the process with no drain.
    loop.add_signal_handler(signal.SIGHUP, _reload(settings, runtime.reload_asked))
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGHUP})  # held since the start
    orphaned = asyncio.create_task(_orphaned(parent)) if parent else None
    if orphaned:
        orphaned.add_done_callback(lambda _: stop.set())
    await stop.wait()
    if orphaned:
        orphaned.cancel()
    log.info("stopping: draining the work in flight")
    began = loop.time()
    await runtime.web_hub.close_all()
    await runner.cleanup()
    await runtime.stop()
    log.info("stopped: the drain took %.1f s", loop.time() - began)


def _cannot_listen(host: str, port: int, reuse_port: bool) -> OSError | None:
    """Why this process could not listen on ``host:port`` (the port taken, or the address
    not this machine's), or None: each of its addresses bound as the server binds them."""
    try:
        found = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        for family, kind, proto, _, address in found:
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if reuse_port:
                    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                if family == socket.AF_INET6:
                    probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                probe.bind(address)
                probe.listen()
    except OSError as error:
        return error
    return None


def _listen_refusal(settings: Settings, error: OSError) -> ConfigError:
    where = f"{settings.host}:{settings.port}"
    # A host that is no name or address of this machine's is HOST's mistake; a port taken
    # (or not ours to take), PORT's.
    not_ours = isinstance(error, socket.gaierror) or error.errno in NOT_AN_ADDRESS
    blamed = f"HOST={settings.host}" if not_ours else f"PORT={settings.port}"
    return ConfigError(f"{blamed}: cannot listen on {where} ({error.strerror or error})")


async def _orphaned(parent: int) -> None:
    """Return once ``parent`` is gone: a worker must not outlive a killed supervisor."""
    # Polled: the kernel tells a child of its parent's death only through prctl, which is
    # Linux-only and not in the standard library.
    while True:
        if os.getppid() != parent:
            break
        await asyncio.sleep(1)
    log.warning("the supervising process is gone; stopping")


def serve_workers(settings: Settings, workers: int) -> int:
    """Run ``workers`` processes on one port (SO_REUSEPORT); Redis shares the work out.

    Shard leases give each conversation one worker at a time, and the delivery queues are
    consumer groups, so the processes need nothing from each other. A worker that dies
    is replaced; SIGTERM stops them all, each draining its work. Their metrics go to
    PROMETHEUS_MULTIPROC_DIR, so that a scrape answered by any of them counts them all.
    """
    if not settings.redis_url:
        print(
            "switchboard: several workers need REDIS_URL: the embedded store lives inside "
            "one process",
            file=sys.stderr,
        )
        return 2
    # The workers share the port with each other (SO_REUSEPORT), never with another
    # program or another set of workers: it is looked at as one listener would take it.
    if error := _cannot_listen(settings.host, settings.port, reuse_port=False):
        say_refusal(str(_listen_refusal(settings, error)))
        return 2
    try:
        loop_factory(settings.loop)  # a missing uvloop is told once, not by every worker
        asyncio.run(reach_store(settings))  # once here, rather than in every worker's loop
        made = prepare_metrics_dir(made_if_unset=True)
    except ConfigError as error:
        say_refusal(str(error))
        return 2
    try:
        return _supervise(settings, workers)
    finally:
        if made:
            shutil.rmtree(made, ignore_errors=True)


def make_metrics_dir() -> None:
    """Make PROMETHEUS_MULTIPROC_DIR, when the operator set it, before any metric is made:
    prometheus_client writes a process's values there from its first metric on.
    ConfigError, in one line, when it cannot be a directory the bot writes to."""
    given = os.environ.get(MULTIPROCESS_DIR)
    if not given:
        return
    try:
        Path(given).mkdir(parents=True, exist_ok=True)
    except OSError as error:  # a file of that name, or one on the way to it
        raise _unusable_metrics_dir(given, error.strerror or str(error)) from None
    if not os.access(given, os.W_OK | os.X_OK):
        raise _unusable_metrics_dir(given, "not writable")


def prepare_metrics_dir(*, made_if_unset: bool) -> str | None:
    """Ready PROMETHEUS_MULTIPROC_DIR before any worker starts: the operator's (made by
    ``make_metrics_dir``) emptied of a past run's files, else (for several workers) a
    temporary directory of ours, which is returned for removal once they stop."""
    given = os.environ.get(MULTIPROCESS_DIR)
    if given:
        try:
            for stale in Path(given).glob("*.db"):
                stale.unlink()  # a past run's counts would be added to this one's
        except OSError as error:  # a file there that is not ours to remove
            raise _unusable_metrics_dir(given, error.strerror or str(error)) from None
        return None
    if not made_if_unset:
        return None
    made = tempfile.mkdtemp(prefix="switchboard-metrics-")
    os.environ[MULTIPROCESS_DIR] = made  # the workers inherit it
    log.info("the workers keep their metrics in %s", made)
    return made


def _unusable_metrics_dir(given: str, reason: str) -> ConfigError:
    return ConfigError(
        f"{MULTIPROCESS_DIR}={given}: must be a directory the bot can write to ({reason})"
    )


def _supervise(settings: Settings, workers: int) -> int:
    context = multiprocessing.get_context("spawn")
    supervisor = os.getpid()

    latest = settings
    """The config file as last read without a fault: what the workers run."""
    times = FileTimes(settings.config_path) if settings.config_path else None

    def follow_the_file() -> None:
        """Read the file again when it changed, as the workers' watches do, so that
        ``latest`` is what they run: a broken file changes nothing (they say why)."""
        nonlocal latest
        if times is None or not times.changed():
            return
        try:
            latest = as_the_file_is_now(latest)
        except Exception:  # the file's fault, which each worker's watch logs
            return
        log.info("automation reloaded from %s, for the workers to come", settings.config_path)

    def start(n: int, *, again: bool = False) -> multiprocessing.process.BaseProcess:
        nonlocal latest
        if again:  # the file as the running workers took it since, not as it was at first
            latest = _as_the_file_is_now(latest, f"worker-{n}")
        child = context.Process(target=_worker, args=(latest, supervisor), name=f"worker-{n}")
        # The worker holds SIGHUP until it takes it, as the first ones do: a reload passed
        # on as it starts would end it.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP})
        try:
            child.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        return child

    children = [start(n) for n in range(workers)]
    due: dict[int, float] = {}
    """The places of the workers that exited, and when (``time.monotonic``) another starts."""
    pauses = [RESTART_DELAY] * workers
    stopping = False

    def stop_all(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.pid and child.is_alive():
                os.kill(child.pid, signal.SIGTERM)

    def reload_all(signum: int, _frame: object) -> None:
        for child in children:
            if child.pid and child.is_alive():
                os.kill(child.pid, signal.SIGHUP)

    signal.signal(signal.SIGTERM, stop_all)
    signal.signal(signal.SIGINT, stop_all)
    signal.signal(signal.SIGHUP, reload_all)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGHUP})  # held since the start
    while not stopping:
        soonest = min(due.values(), default=time.monotonic() + 1) - time.monotonic()
        running = [child.sentinel for n, child in enumerate(children) if n not in due]
        multiprocessing.connection.wait(running, timeout=min(1, max(0, soonest)))
        if stopping:  # a worker that ended as the stop came drained, as told: none is missed
            break
        follow_the_file()
        ended = [(n, c) for n, c in enumerate(children) if n not in due and c.exitcode is not None]
        refused = [child for _, child in ended if child.exitcode == START_REFUSED]
        if refused:  # it said why; another would be refused alike, again and again
            log.error("%s could not start; stopping", refused[0].name)
            stop_all(signal.SIGTERM, None)
            break
        for n, child in ended:
            if child.exitcode == STORE_OUT_OF_REACH:
                # Redis restarting or failing over: the others serve (503 meanwhile) while
                # this one is tried again, less and less often, until Redis answers.
                pause, pauses[n] = pauses[n], min(2 * pauses[n], OUT_OF_REACH_DELAY)
                log.warning("%s found the store out of reach; another in %g s", child.name, pause)
            else:
                pause = pauses[n] = RESTART_DELAY
                log.warning("%s exited with %s; starting another", child.name, child.exitcode)
            if child.pid:
                multiprocess.mark_process_dead(child.pid)  # its counts stay in the sums
            due[n] = time.monotonic() + pause
        for n, when in sorted(due.items()):
            if stopping:  # a SIGTERM came meanwhile: no worker is to outlive the stop
                break
            if when <= time.monotonic():
                del due[n]
                children[n] = start(n, again=True)
                if stopping and children[n].pid:  # came as it started: told as the others
                    os.kill(children[n].pid, signal.SIGTERM)
    for child in children:
        child.join()
        if child.pid:
            multiprocess.mark_process_dead(child.pid)
    # One waiting to be replaced when the stop came is no worker's refusal.
    return max((c.exitcode or 0 for n, c in enumerate(children) if n not in due), default=0)


def _as_the_file_is_now(latest: Settings, name: str) -> Settings:
    """``latest`` with the automation and the services' definitions of the config file as
    it is now. When the file is broken, the running workers keep what they run: ``latest``,
    whose services' definitions are not stored over the ones they took since."""
    try:
        return as_the_file_is_now(latest)
    except ConfigError as error:
        log.error(
            "config file not read again for %s, which runs its automation as last read and "
            "the services' definitions as stored: %s",
            name,
            error,
        )
    except Exception:  # whatever it was, the worker starts
        log.exception(
            "config file not read again for %s, which runs its automation as last read and "
            "the services' definitions as stored",
            name,
        )
    return replace(latest, services_as_stored=True)


START_REFUSED = 2
"""A worker's exit status when its start was refused (the port taken, say): the supervisor
stops then, rather than start it again and again."""

STORE_OUT_OF_REACH = 3
"""A worker's exit status when its start found REDIS_URL out of reach: it passes, so the
supervisor starts another, after a longer pause each time (up to ``OUT_OF_REACH_DELAY``)."""


async def reach_store(settings: Settings) -> None:
    """ConfigError, saying so in one line, when REDIS_URL is out of reach."""
    runtime = Runtime(settings)
    try:
        await runtime.reach_store()
    finally:
        await runtime.close()


def _worker(settings: Settings, supervisor: int) -> None:
    configure_logging()
    try:
        run(serve(settings, reuse_port=True, parent=supervisor), settings)
    except StoreOutOfReach as error:
        say_refusal(str(error))
        sys.exit(STORE_OUT_OF_REACH)
    except ConfigError as error:
        say_refusal(str(error))
        sys.exit(START_REFUSED)
