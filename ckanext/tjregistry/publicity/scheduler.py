"""The publicity scheduler: queues the end-of-publicity sweep at the end of every working day.

``ckan tjregistry workflow scheduler`` runs it as a long-lived process next to CKAN's
job worker. It sleeps until the next end of a working day (``publicity.next_trigger``:
the sweep time, ``tjregistry.publicity.sweep_time``, of the next working day in the
calendar of ``workdays.py``), then queues the sweep job (``publicity.enqueue_sweep``)
and the worker closes the ended periods and issues the certificates. At start-up it
catches up: if a period ended, or a certificate awaited issuance, while it was not
running, the sweep is queued at once.

It sleeps in steps of at most ``poll_seconds``, re-reading the clock after each, so a
clock change or a suspended machine cannot make it miss a trigger by more than one
step; each step writes the time of the scheduler's clock into the heartbeat file, if one
is given, for health checks (``write_heartbeat``; the check compares it with its own
clock, not with the file's modification time). When
Redis or the database cannot be reached it logs and retries every ``retry_seconds``
instead of dying. SIGTERM and SIGINT stop it between two steps (``SignalWait``).

Other periodic work rides on the same steps: with ``tick`` (the command passes
``send_tick``) every step announces the clock reading as ``signals.scheduler_tick``, and
the subscribers queue what is due (the history checkpoints, operations/checkpoints.py).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import pathlib
import signal
import time
from collections.abc import Callable
from typing import Any

import ckan.model as model

from ckanext.tjregistry.common import signals
from ckanext.tjregistry.publicity import period as publicity

log = logging.getLogger(__name__)


def write_heartbeat(path: pathlib.Path) -> None:
    """Record now (seconds since the epoch) in ``path``, replacing it atomically."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(f"{time.time():.3f}\n", encoding="ascii")
    os.replace(partial, path)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def send_tick(now: dt.datetime) -> None:
    """Announce a step of the scheduler to the periodic work (``signals.scheduler_tick``)."""
    signals.scheduler_tick.send(now)


class SignalWait:
    """Waits that end early when SIGTERM or SIGINT arrives.

    The signals are blocked and taken with ``sigtimedwait``, so they are never handled
    in the middle of queueing a job or reading the database: a stop request is seen at
    the next wait, which returns at once.
    """

    def __init__(self) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        self.received: int | None = None

    def __call__(self, seconds: float) -> bool:
        """Wait up to ``seconds``; True when a stop signal has arrived."""
        if self.received is None:
            info = signal.sigtimedwait(STOP_SIGNALS, max(seconds, 0.0))
            if info is not None:
                self.received = info.si_signo
                log.info("publicity scheduler: %s received, stopping",
                         signal.Signals(info.si_signo).name)
        return self.received is not None

    def close(self) -> None:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


class Scheduler:
    """Queues the sweep at every trigger; see the module docstring.

    ``clock`` returns an aware datetime; ``wait(seconds)`` sleeps up to that long and
    returns True when the scheduler must stop; ``enqueue`` queues the sweep and returns
    the job.
    """

    def __init__(self, *, wait: Callable[[float], bool],
                 clock: Callable[[], dt.datetime] = utc_now,
                 enqueue: Callable[[], Any] = publicity.enqueue_sweep,
                 poll_seconds: float = 60.0, retry_seconds: float = 60.0,
                 heartbeat: pathlib.Path | None = None,
                 tick: Callable[[dt.datetime], Any] | None = None) -> None:
        self.wait = wait
        self.clock = clock
        self.enqueue = enqueue
        self.poll_seconds = poll_seconds
        self.retry_seconds = retry_seconds
        self.heartbeat = heartbeat
        self.tick = tick
        self.stopped = False

    def _pause(self, seconds: float) -> bool:
        """Beat and wait; True when the scheduler must stop."""
        if self.heartbeat is not None:
            try:
                write_heartbeat(self.heartbeat)
            except OSError as error:
                log.warning("publicity scheduler: cannot write %s: %s", self.heartbeat, error)
        if self.tick is not None:
            try:
                self.tick(self.clock())
            except Exception:  # periodic work must never stop the sweep's scheduling
                log.exception("publicity scheduler: periodic work failed")
            finally:
                model.Session.remove()
        if self.wait(seconds):
            self.stopped = True
        return self.stopped

    def wait_until(self, moment: dt.datetime) -> bool:
        """Sleep until ``moment``; False if told to stop first."""
        while not self.stopped:
            remaining = (moment - self.clock()).total_seconds()
            if remaining <= 0:
                return True
            self._pause(min(remaining, self.poll_seconds))
        return False

    def queue_sweep(self, reason: str) -> Any:
        """Queue the sweep, retrying while that fails; None if told to stop first."""
        while not self.stopped:
            try:
                job = self.enqueue()
            except Exception:  # Redis down or unreachable: keep trying, never die
                log.exception("publicity scheduler: cannot queue the sweep (%s); retrying in "
                              "%s s", reason, self.retry_seconds)
                self._pause(self.retry_seconds)
                continue
            log.info("publicity scheduler: sweep queued (%s), job %s", reason, job.id)
            return job
        return None

    def catch_up(self) -> Any:
        """Queue the sweep at once if there is work left from a time the scheduler was
        not running; returns the job, or None."""
        while not self.stopped:
            try:
                waiting = publicity.work_waiting(self.clock())
            except Exception:  # the database is not reachable yet
                log.exception("publicity scheduler: cannot read the applications; retrying "
                              "in %s s", self.retry_seconds)
                self._pause(self.retry_seconds)
                continue
            finally:
                # No connection or transaction is held while sleeping for hours.
                model.Session.remove()
            return self.queue_sweep("catch-up at start") if waiting else None
        return None

    def run_once(self) -> Any:
        """Sleep until the next trigger and queue the sweep; the job, or None if stopped."""
        trigger = publicity.next_trigger(self.clock())
        log.info("publicity scheduler: next sweep at %s", trigger.isoformat())
        if not self.wait_until(trigger):
            return None
        return self.queue_sweep(f"end of {trigger.date().isoformat()}")

    def run(self) -> None:
        """Catch up, then queue the sweep at every trigger until told to stop."""
        self.catch_up()
        while not self.stopped:
            self.run_once()
        log.info("publicity scheduler stopped")
