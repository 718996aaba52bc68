"""Options shared by several commands, defined once so they mean the same everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ENV_HELP = (
    "Environment name (NAME.yaml in ./environments, or in $ZDD_ENVIRONMENTS) "
    "or path to a YAML file."
)
EnvOpt = Annotated[str, typer.Option("--env", "-e", help=ENV_HELP, show_default=False)]
OptionalEnvOpt = Annotated[str | None, typer.Option("--env", "-e", help=ENV_HELP)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
OutputsOpt = Annotated[
    Path | None,
    typer.Option(
        "--outputs",
        help="Stack outputs as `terraform output -json` prints them "
        "(default: read from the rendered stack).",
        dir_okay=False,
    ),
]
StackDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--stack-dir", help="Rendered stack directory (default: build/ENV).", file_okay=False
    ),
]
StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Journal store: a directory or dynamodb://TABLE (default: the environment's).",
    ),
]
ProfileOpt = Annotated[str | None, typer.Option("--profile", help="AWS profile to use.")]
BreakLockOpt = Annotated[
    bool,
    typer.Option(
        "--break-lock",
        help="Take the listener lock even from a live holder. Loud and rarely right.",
    ),
]
ColourOpt = Annotated[
    str | None,
    typer.Option("--to", help="Colour to shift to: blue or green (default: the idle one)."),
]
LiveOpt = Annotated[
    str | None,
    typer.Option("--live", help="Live colour: blue or green (default: read from the listener)."),
]
AllowLiveOpt = Annotated[
    bool,
    typer.Option(
        "--allow-live-changes", help="Accept a plan that touches the live colour (downtime)."
    ),
]
StrategyOpt = Annotated[
    str | None,
    typer.Option("--strategy", help="Override: all_at_once, canary, linear or steps."),
]
StepsOpt = Annotated[
    str | None, typer.Option("--steps", help="Override: percentages such as 10,50,100.")
]
BakeOpt = Annotated[float | None, typer.Option("--bake", help="Override: bake seconds per step.")]
PollOpt = Annotated[float | None, typer.Option("--poll", help="Override: alarm poll seconds.")]
WebhookOpt = Annotated[
    list[str] | None,
    typer.Option("--webhook", help="Also post events to this URL (repeatable)."),
]
