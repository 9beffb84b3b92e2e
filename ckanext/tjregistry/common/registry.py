"""Each feature registers its CKAN-facing parts where it defines them.

An action, auth function, template helper or validator is marked with ``@action``,
``@auth``, ``@helper`` or ``@validator`` in its own module; a blueprint with
``blueprint(...)``; a ``ckan tjregistry`` command group or command with ``@command``.
The plugin collects the marks once (``collect``) by walking the extension's modules, so
adding an action is one edit in one file and no module lists another module's
functions. A name marked twice is an error at start-up, not a silent replacement.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from types import FunctionType, ModuleType
from typing import Any, TypeVar

import click
from flask import Blueprint

T = TypeVar("T")

ROOT = "ckanext.tjregistry"
# Not walked: the tests, Alembic's scripts (importing env.py would run it), data packages.
SKIPPED = ("tests", "migration", "schemas", "i18n", "templates", "assets", "data")
KINDS = ("action", "auth", "helper", "validator", "blueprint", "command")
_MARK = "_tjregistry_kind"
_MARKABLE = (FunctionType, click.Command, Blueprint)


def _marker(kind: str) -> Callable[[T], T]:
    def mark(obj: T) -> T:
        setattr(obj, _MARK, kind)
        return obj

    mark.__name__ = kind
    mark.__doc__ = f"Register the decorated object as this extension's {kind}."
    return mark


action = _marker("action")
auth = _marker("auth")
helper = _marker("helper")
validator = _marker("validator")
blueprint = _marker("blueprint")
command = _marker("command")


def modules() -> Iterator[ModuleType]:
    """Every module of the extension that can hold a registered part, imported."""
    package = importlib.import_module(ROOT)
    for info in pkgutil.walk_packages(package.__path__, prefix=ROOT + ".",
                                      onerror=lambda name: None):
        relative = info.name[len(ROOT) + 1:].split(".")
        if relative[0] in SKIPPED or relative[-1] == "plugin":
            continue
        yield importlib.import_module(info.name)


def _name(obj: Any) -> str:
    return getattr(obj, "__name__", None) or obj.name


def collect(kind: str) -> dict[str, Any]:
    """{name: object} of every part of ``kind`` registered in the extension's modules."""
    if kind not in KINDS:
        raise ValueError(kind)
    found: dict[str, Any] = {}
    for module in modules():
        for obj in list(vars(module).values()):
            # type(), not isinstance(): modules hold werkzeug proxies (g, current_app).
            if not issubclass(type(obj), _MARKABLE) or getattr(obj, _MARK, None) != kind:
                continue
            name = _name(obj)
            if name in found and found[name] is not obj:
                raise RuntimeError(f"{kind} {name!r} registered more than once")
            found[name] = obj
    return dict(sorted(found.items()))
