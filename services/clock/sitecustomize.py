"""The test run's shifted wall clock (``make test-clock``), applied in every Python process.

``services/test.sh`` puts this directory on ``PYTHONPATH`` and sets
``TJ_TEST_CLOCK_OFFSET`` (seconds between the requested moment and the real time when
the run started). Python imports ``sitecustomize`` at start-up, so pytest, the ``ckan
run`` servers and the ``ckan`` commands the tests start all see the same moved clock,
which runs on from there. Monotonic clocks stay real, so timeouts and sleeps behave.
A Python without ``time_machine`` (the empty virtualenv of the packaging test) keeps
the real clock.
"""
from __future__ import annotations

import os
import time


def _travel() -> None:
    offset = os.environ.get("TJ_TEST_CLOCK_OFFSET")
    if not offset:
        return
    try:
        import time_machine
    except ImportError:
        return
    time_machine.travel(time.time() + float(offset), tick=True).start()


_travel()
