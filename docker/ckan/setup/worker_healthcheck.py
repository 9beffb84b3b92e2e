"""Health check of the ckan-worker container.

Healthy when an RQ worker started in this container (same host name) is registered in
Redis. RQ drops the registration when a worker stops, and it expires when a worker stops
sending heartbeats, so a hung or dead worker turns the container unhealthy.
"""
from __future__ import annotations

import os
import socket
import sys

import redis
from rq import Worker


def main() -> int:
    connection = redis.Redis.from_url(os.environ["CKAN_REDIS_URL"])
    here = socket.gethostname()
    workers = [w for w in Worker.all(connection=connection) if w.hostname == here]
    if not workers:
        print(f"no job worker registered from {here}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
