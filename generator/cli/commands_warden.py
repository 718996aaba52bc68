"""warden: end the releases whose runner died (see ``rollout.warden``)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from generator.cli._options import JsonOpt, ProfileOpt, StoreOpt
from generator.cli._runtime import print_json
from generator.errors import InputError, ZddError


def warden(
    store: StoreOpt = None,
    region: Annotated[
        str | None,
        typer.Option("--region", help="Region of the DynamoDB table (default: AWS's own)."),
    ] = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Keep making passes, every --every seconds.")
    ] = False,
    every: Annotated[float, typer.Option("--every", help="Seconds between passes.")] = 60.0,
    json_mode: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """End releases whose lease lapsed with no outcome (roll back, resume or hold, as
    each environment's on_orphan says); releases waiting for a human are only notified."""
    from generator.config.urls import store_url_problem
    from generator.rollout.warden import Verdict, warden_for

    store = store or os.environ.get("ZDD_WARDEN_STORE")
    if not store:
        raise InputError(
            "--store: the warden watches a journal store, not one environment: give "
            "dynamodb://TABLE or a directory (or set ZDD_WARDEN_STORE)"
        )
    problem = store_url_problem(store)
    if problem:
        raise InputError(f"--store: {problem} (got {store!r})")
    if not 1 <= every <= 86400:
        raise InputError(f"--every: expected 1..86400 seconds (got {every:g})")
    keeper = warden_for(store, region=region, profile=profile, json_mode=json_mode)

    def show(verdicts: list[Verdict]) -> None:
        for v in verdicts:
            if json_mode:
                print_json({"warden": v.__dict__})
            else:
                typer.echo(v.line())
        if not verdicts and not json_mode:
            typer.echo(f"{store}: no release without an outcome")

    if watch:  # each pass reported as it ends; a failed one is retried at the next
        keeper.watch(every, on_pass=show)
        return
    verdicts = keeper.run_pass()
    show(verdicts)
    failed = [v for v in verdicts if v.action == "failed"]
    if failed:
        raise ZddError(f"{len(failed)} orphaned release(s) could not be ended: {failed[0].line()}")


def register(app: typer.Typer) -> None:
    app.command()(warden)
