"""A real CKAN server (``ckan run``) for the browser tests.

The server runs the test configuration (``test.ini``, or ``$CKAN_INI``) through a small
overlay file written next to the test: ``ckan.site_url`` points at the server itself,
CSRF protection is on as in production (test.ini switches it off for the in-process
test client), and a test may set further options. The server inherits the
environment, so it uses the database, Solr core and Redis that services/test.sh chose
for this run; commands run with :meth:`LiveServer.ckan` (e.g. the cron sweep) see the
same configuration.

The ``ckan_server`` fixture (conftest.py) starts one per test; a test module overrides
the ``ckan_server_options`` fixture to add options.
"""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

CKAN = Path(sys.executable).with_name("ckan")
# Options every live server gets on top of the test configuration.
LIVE_OPTIONS = {"WTF_CSRF_ENABLED": "true"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_ini() -> Path:
    return Path(os.environ.get("CKAN_INI")
                or Path(__file__).resolve().parents[3] / "test.ini").resolve()


def write_ini(target: Path, options: Mapping[str, str]) -> Path:
    """An ini that ``use``s the test configuration and overrides ``options``.

    CKAN configures logging from the file given with ``-c``, so the logging sections
    of the base file are copied along.
    """
    base = base_ini()
    text = base.read_text(encoding="utf-8")
    logging_sections = text[text.index("[loggers]"):] if "[loggers]" in text else ""
    lines = ["[app:main]", f"use = config:{base}"]
    for key, value in options.items():
        if "%" in str(value) or "\n" in str(value):
            raise ValueError(f"option {key} cannot go into an ini file: {value!r}")
        lines.append(f"{key} = {value}")
    target.write_text("\n".join(lines) + "\n\n" + logging_sections, encoding="utf-8")
    return target


@dataclass
class LiveServer:
    port: int
    ini: Path
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]

    def ckan(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
        """Run a ``ckan`` command with the server's configuration."""
        return subprocess.run([str(CKAN), "-c", str(self.ini), *args], capture_output=True,
                              text=True, timeout=timeout, env=dict(os.environ), check=False)


def _wait_for(server: LiveServer, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"CKAN server exited:\n{server.log_tail()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            connection.request("GET", "/api/3/action/status_show")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"CKAN server did not start:\n{server.log_tail()}")


@contextlib.contextmanager
def running(directory: Path, options: Mapping[str, str] | None = None) -> Iterator[LiveServer]:
    """``ckan run`` on a free port with the test configuration plus ``options``."""
    port = free_port()
    ini = write_ini(directory / "live-server.ini", {
        "ckan.site_url": f"http://127.0.0.1:{port}", **LIVE_OPTIONS, **(options or {})})
    server = LiveServer(port=port, ini=ini, log=directory / "ckan-server.log")
    with server.log.open("wb") as output:
        process = subprocess.Popen(
            [str(CKAN), "-c", str(ini), "run", "-H", "127.0.0.1", "-p", str(port),
             # As in production: a 500 shows the error page, not Werkzeug's debugger.
             "--disable-reloader", "--disable-debugger", "--threaded"],
            stdout=output, stderr=subprocess.STDOUT, env=dict(os.environ))
    try:
        _wait_for(server, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def api_post(server: LiveServer, action: str, token: str | None = None,
             **data: Any) -> requests.Response:
    """POST an action to the server's API, as the token's user or anonymously."""
    headers = {"Authorization": token} if token else {}
    return requests.post(server.url(f"/api/3/action/{action}"), json=data, headers=headers,
                         timeout=120)


def decoded(response: requests.Response) -> str:
    """The answer as text with JSON's \\u escapes undone (CKAN's API escapes non-ASCII)."""
    try:
        return json.dumps(response.json(), ensure_ascii=False)
    except ValueError:
        return response.text
