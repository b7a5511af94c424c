"""Preloaded into the local cluster's worker processes (Dask's ``distributed.worker.preload``)."""

from __future__ import annotations

import logging
import signal
import threading


def dask_setup(worker) -> None:
    """Called by Dask in a worker process as it starts: leave Ctrl-C to the process that started the cluster.

    Ctrl-C in a terminal reaches every process of its group, and each worker printed a traceback under
    stylegram's message, then logged a warning about the task that the shutdown cancelled. The process
    that started the cluster handles Ctrl-C and shuts the workers down; a task that fails is reported by the
    batch itself. (A Ctrl-C in the seconds before a worker gets here still reaches it.)
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.getLogger("distributed.worker.state_machine").setLevel(logging.ERROR)
    logging.getLogger("distributed.worker").addFilter(_heartbeat_after_shutdown)


def _heartbeat_after_shutdown(record: logging.LogRecord) -> bool:
    """Drop the heartbeat error (with its traceback) of a worker whose scheduler, in the process that Ctrl-C stopped,
    shut down a moment before it: seen once in a test run under stylegram's one-line message."""
    return "during heartbeat" not in record.getMessage()
