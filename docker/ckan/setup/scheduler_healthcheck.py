"""Health check of the scheduler container.

    scheduler_healthcheck.py HEARTBEAT_FILE MAX_AGE_SECONDS

Healthy when the scheduler (``ckan tjregistry workflow scheduler --heartbeat FILE``) has
touched its heartbeat file within the last MAX_AGE_SECONDS: it does so at least once a
minute while it waits, so a dead or hung scheduler turns the container unhealthy.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    heartbeat, max_age = Path(argv[1]), float(argv[2])
    try:
        age = time.time() - heartbeat.stat().st_mtime
    except OSError:
        print(f"no heartbeat file {heartbeat}", file=sys.stderr)
        return 1
    if age > max_age:
        print(f"heartbeat {heartbeat} is {age:.0f} s old", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
