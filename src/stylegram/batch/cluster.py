"""Connect to a Dask scheduler, or start a local cluster on 127.0.0.1 for the length of a run."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
from collections.abc import Iterator

from ..errors import OptionError

CONNECT_TIMEOUT = "20s"
HANDSHAKE_SECONDS = 30.0  # for the whole greeting: Dask's timeout covers the TCP connection only
WORKERS_SECONDS = 30.0  # how long a scheduler without workers is given to gain one
CHECK_ADDRESS = "check the address: a Dask scheduler listens on port 8786 unless told otherwise (8787 is its dashboard)"
# Dask's nanny sets MALLOC_TRIM_THRESHOLD_ in its workers to hand freed memory back to the OS sooner. That
# also fixes glibc's mmap threshold, so every large torch buffer is mapped and unmapped again for each
# layer, which made AdaIN 35% slower per image here. stylegram's workers hold a model and a few images,
# so the local cluster goes without it (None unsets a pre-spawn variable).
# The workers ignore Ctrl-C (worker_setup.py): this process handles it and shuts them down.
LOCAL_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.preload": ["stylegram.batch.worker_setup"],
}


def distributed():
    """The dask.distributed module, or an OptionError that says how to install it."""
    try:
        import distributed as module
    except ImportError as err:
        raise OptionError("--workers and --scheduler (and batch) run on Dask, which is not installed: pip install "
                          "'stylegram[batch]' (in a clone of stylegram: pip install -e '.[batch]')") from err
    return module


def quiet_shutdown() -> None:
    """After Ctrl-C: the cluster's shutdown warnings (workers killed mid-task) are expected, and so is a callback
    of Dask's that fails in Tornado's loop as the client closes (a traceback once in five stops); neither is shown."""
    logging.getLogger("distributed").setLevel(logging.ERROR)
    logging.getLogger("tornado.application").setLevel(logging.CRITICAL)


def usable_cores() -> int:
    """The cores this process may run on: a local cluster's workers (one single-threaded worker each), and a task's
    torch threads at most."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def check_cluster(scheduler: str | None = None, workers: int | None = None) -> None:
    """Refuse a scheduler address Dask cannot parse, a worker count below 1, or both options, before any work."""
    if scheduler and workers is not None:
        raise OptionError("give either --scheduler (a running cluster) or --workers (a local one), not both")
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool)):  # 1.5: a raw TypeError
        raise OptionError(f"--workers is a whole number of worker processes, not {workers!r}")
    if workers is not None and workers < 1:
        raise OptionError(f"--workers must be at least 1, not {workers}")
    distributed()  # says how to install it when missing, before any work
    if scheduler:
        from distributed.comm.addressing import get_address_host_port

        try:
            _, port = get_address_host_port(scheduler)
        except ValueError as err:
            raise OptionError(f"--scheduler {scheduler!r} is not a scheduler address ({err}); "
                              "give tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786") from None
        if not 0 < port < 65536:
            raise OptionError(f"--scheduler {scheduler!r}: port {port} is not between 1 and 65535")


@contextlib.contextmanager
def open_client(scheduler: str | None = None, workers: int | None = None) -> Iterator:
    """A distributed.Client: on the scheduler at ``scheduler`` (tcp://HOST:PORT), else on a new local cluster.

    The local cluster has ``workers`` single-threaded worker processes (default: one per core), listens on
    127.0.0.1 only (its HTTP server too: ':0' is every interface) on free ports (that server took 8787 even with no
    dashboard, and a second cluster, such as batch's beside `stylegram serve`'s, printed Dask's warning that it was
    in use), and is shut down on leaving the block. A scheduler given by address is left running. Workers read
    inputs by path, so on a remote cluster the input files (and style images)
    must be visible to the workers at the same paths; outputs are written by this process.
    """
    dd = distributed()
    check_cluster(scheduler, workers)
    if scheduler:
        with _connect(dd, scheduler) as client:
            _check_workers(client, scheduler)
            yield client
        return
    count = usable_cores() if workers is None else workers
    import dask

    with dask.config.set(LOCAL_CONFIG), dd.LocalCluster(
        n_workers=count, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
    ) as cluster, dd.Client(cluster) as client:
        yield client


def _connect(dd, scheduler: str):
    """A Client on ``scheduler``, or an OptionError naming what answered instead: nothing in time (a web server, the
    dashboard's port, a firewall hanging the greeting) or something that is not a Dask scheduler (a traceback)."""
    outcome: dict = {}
    lock = threading.Lock()

    def attempt() -> None:
        try:
            client = dd.Client(scheduler, timeout=CONNECT_TIMEOUT)
        except BaseException as err:  # reported below, in the calling thread
            outcome["error"] = err
            return
        with lock:
            outcome["client"] = client
            abandoned = outcome.get("abandoned", False)
        if abandoned:  # the caller gave up waiting: no stray client left connected
            client.close()

    thread = threading.Thread(target=attempt, name="stylegram-connect", daemon=True)
    thread.start()
    thread.join(HANDSHAKE_SECONDS)
    with lock:
        if "client" not in outcome and "error" not in outcome:
            outcome["abandoned"] = True
            raise OptionError(f"nothing at {scheduler} answered as a Dask scheduler within {HANDSHAKE_SECONDS:.0f} s; "
                              f"{CHECK_ADDRESS}")
    error = outcome.get("error")
    if isinstance(error, (OSError, TimeoutError)):
        raise OptionError(f"cannot reach the Dask scheduler at {scheduler} ({error}); is it running? {CHECK_ADDRESS}") \
            from None
    if error is not None:
        raise OptionError(f"{scheduler} answered, but not as this Dask client expects ({type(error).__name__}: "
                          f"{str(error)[:200]}); {CHECK_ADDRESS}, and that both sides run the same dask version") from None
    return outcome["client"]


def _check_workers(client, scheduler: str) -> None:
    """Say so when the scheduler has no workers and gains none in WORKERS_SECONDS, then wait on: an adaptive
    cluster starts its workers when work arrives, and a plain one sat at 0/1 without a word."""
    try:
        client.wait_for_workers(1, timeout=WORKERS_SECONDS)
    except (TimeoutError, asyncio.TimeoutError):  # one class from Python 3.11 on
        print(f"stylegram: the Dask scheduler at {scheduler} has no workers yet (none in {WORKERS_SECONDS:.0f} s); "
              f"waiting for one. Start one with 'dask worker {scheduler}', or stop with Ctrl-C and leave out "
              "--scheduler to use a local cluster", file=sys.stderr, flush=True)
        client.wait_for_workers(1)
