"""Publicity's and objections' part of the registration procedure (Art. 20).

The guards and effects the declaration names for the publicity period and objections,
registered with the engine (``workflow.guard`` / ``workflow.effect``): the engine
itself knows nothing of publicity.
"""
from __future__ import annotations

from typing import Any

from ckanext.tjregistry.model import Application
from ckanext.tjregistry.publicity import objection_limits, objections
from ckanext.tjregistry.publicity import period as publicity
from ckanext.tjregistry.registration import workflow


def _check_over(ctx: dict[str, Any]) -> None:
    app: Application = ctx["app"]
    if app.publicity_end is None or not publicity.has_ended(app.publicity_end, ctx["now"]):
        raise workflow.WorkflowError("state", "公示期未满 / The publicity period has not ended")


@workflow.guard("publicity_over")
def _guard_publicity_over(ctx: dict[str, Any]) -> None:
    _check_over(ctx)
    if ctx["app"].application_type == "cancellation":
        raise workflow.WorkflowError("state", "注销申请公示期满即办结 / A cancellation ends")


@workflow.guard("cancellation_publicity_over")
def _guard_cancellation_publicity_over(ctx: dict[str, Any]) -> None:
    _check_over(ctx)
    if ctx["app"].application_type != "cancellation":
        raise workflow.WorkflowError("state", "不是注销申请 / Not a cancellation")


def _pending_objections(ctx: dict[str, Any]) -> int:
    return objections.pending_count(ctx["session"], ctx["app"].id)


@workflow.guard("objections_still_pending")
def _guard_objections_still_pending(ctx: dict[str, Any]) -> None:
    if not _pending_objections(ctx):
        raise workflow.WorkflowError("state",
                                     "没有其他待处理的异议 / No other objection is pending")


@workflow.guard("no_objection_pending")
def _guard_no_objection_pending(ctx: dict[str, Any]) -> None:
    if _pending_objections(ctx):
        raise workflow.WorkflowError("state", "仍有异议待处理 / Another objection is still pending")


@workflow.effect("note_objection")
def _effect_note_objection(ctx: dict[str, Any]) -> None:
    # Only the objection's number enters the history: the objector's identity is not
    # for the registrant's eyes.
    number = ctx["inputs"].get("objection_number")
    if number:
        workflow.add_event_data(ctx, objection=number)


@workflow.effect("close_objections")
def _effect_close_objections(ctx: dict[str, Any]) -> None:
    closed = objections.close_pending(ctx["session"], ctx["app"], now=ctx["now"],
                                      reason=ctx["transition"].name)
    if closed:
        workflow.add_event_data(ctx, objections_closed=closed)


@workflow.guard("withdrawal_once_per_objection")
def _guard_withdrawal_once_per_objection(ctx: dict[str, Any]) -> None:
    # A withdrawal request holds the objection undecided; once per objection (see
    # objection_limits.py).
    app: Application = ctx["app"]
    objection_limits.check_withdrawal_request(ctx["session"], app.id, app.state)


@workflow.effect("note_withdrawal_request")
def _effect_note_withdrawal_request(ctx: dict[str, Any]) -> None:
    marked = objection_limits.mark_withdrawal_request(ctx["session"], ctx["app"].id,
                                                      ctx["now"])
    if marked:
        workflow.add_event_data(ctx, objections=marked)
