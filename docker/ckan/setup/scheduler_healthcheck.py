"""Health check of the scheduler container.

    scheduler_healthcheck.py HEARTBEAT_FILE MAX_AGE_SECONDS

Healthy when the scheduler (``ckan tjregistry workflow scheduler --heartbeat FILE``) has
written its heartbeat within the last MAX_AGE_SECONDS: it writes the time of its clock
(seconds since the epoch) into the file at least once a minute while it waits, so a dead
or hung scheduler turns the container unhealthy.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    heartbeat, max_age = Path(argv[1]), float(argv[2])
    try:
        beat = float(heartbeat.read_text(encoding="ascii").strip())
    except OSError:
        print(f"no heartbeat file {heartbeat}", file=sys.stderr)
        return 1
    except ValueError:
        print(f"heartbeat {heartbeat} holds no time", file=sys.stderr)
        return 1
    age = time.time() - beat
    if age > max_age:
        print(f"heartbeat {heartbeat} is {age:.0f} s old", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
