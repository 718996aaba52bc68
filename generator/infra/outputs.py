"""The stack outputs contract (see the README's "Stack outputs"), as a typed object."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from generator.colours import COLOURS, Colour
from generator.errors import InputError, NoStackOutputs
from generator.files import OUTPUTS_FILE, read_capped


class EcsService(BaseModel):
    """Where one colour runs: its ECS cluster and service."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    cluster: str
    service: str


class Route(BaseModel):
    """One place zdd moves weights: a listener's default action (``rule_arn`` null), a
    listener rule, or a header route (a rule forwarding to the idle colour)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    listener_arn: str
    rule_arn: str | None = None
    kind: Literal["default", "rule", "header"]


class StackOutputs(BaseModel):
    """What ``terraform output -json`` of a rendered stack returns.

    ``versions`` and ``ecs_services`` are optional so that outputs files written
    before they existed still load; without ``ecs_services`` zdd cannot check
    readiness nor size the colours, and says so.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    listener_arn: str
    test_listener_arn: str | None = None  # none on an existing load balancer
    target_group_arns: dict[Colour, str]
    alarm_names: dict[Colour, list[str]]
    load_balancer_dns_name: str
    versions: dict[Colour, str] | None = None
    ecs_services: dict[Colour, EcsService] | None = None
    # CloudWatch dimensions of the ALB's metrics (``analysis``); optional for older files.
    load_balancer_arn_suffix: str | None = None
    target_group_arn_suffixes: dict[Colour, str] | None = None
    # Every route of the service; absent from older files: the listener's default action.
    routes: list[Route] | None = None
    # Each colour's spec as Terraform applied it (JSON, ``infra.spec.ColourSpec``); a stack
    # applied by a zdd before specs were released has none.
    colour_specs: dict[Colour, str] | None = None

    @field_validator(
        "target_group_arns",
        "alarm_names",
        "versions",
        "ecs_services",
        "target_group_arn_suffixes",
        "colour_specs",
    )
    @classmethod
    def _both(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is None:
            return v
        missing = [c for c in COLOURS if c not in v]
        if missing:
            raise ValueError(f"needs both colours (missing {', '.join(missing)})")
        return v

    @field_validator("alarm_names")
    @classmethod
    def _limit(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for colour, names in v.items():
            if len(names) > 100:  # DescribeAlarms takes at most 100 AlarmNames
                raise ValueError(f"{colour}: at most 100 alarms per colour")
        return v

    @model_validator(mode="after")
    def _coherent(self) -> StackOutputs:
        # The whole contract: fields that are each well formed but contradict each other.

        found = contradictions(self)
        if found:
            raise ValueError(found[0])
        return self

    @property
    def all_routes(self) -> list[Route]:
        """The routes, or the one a stack without a ``routes`` output has."""
        if self.routes is not None:
            return list(self.routes)
        return [Route(listener_arn=self.listener_arn, kind="default")]

    @property
    def weighted_routes(self) -> list[Route]:
        """The routes whose weights move in a release (not the header routes)."""
        return [r for r in self.all_routes if r.kind != "header"]

    def colour_of_target_group(self, arn: str) -> Colour | None:
        for colour, tg in self.target_group_arns.items():
            if tg == arn:
                return colour
        return None

    def to_terraform_json(self) -> str:
        """The same format as ``terraform output -json``, for ``--outputs FILE``."""
        data = self.model_dump(exclude_none=True)
        if self.routes is not None:  # a default route's rule_arn is null, not absent
            data["routes"] = [r.model_dump() for r in self.routes]
        types: dict[str, Any] = {
            "listener_arn": "string",
            "test_listener_arn": "string",
            "load_balancer_dns_name": "string",
            "target_group_arns": ["map", "string"],
            "alarm_names": ["map", ["list", "string"]],
            "versions": ["map", "string"],
            "load_balancer_arn_suffix": "string",
            "target_group_arn_suffixes": ["map", "string"],
            "colour_specs": ["map", "string"],
            "ecs_services": [
                "object",
                {c: ["object", {"cluster": "string", "service": "string"}] for c in COLOURS},
            ],
            "routes": [
                "list",
                ["object", {"kind": "string", "listener_arn": "string", "rule_arn": "string"}],
            ],
        }
        wrapped = {k: {"sensitive": False, "type": types[k], "value": v} for k, v in data.items()}
        return json.dumps(wrapped, indent=2, sort_keys=True) + "\n"


def parse_outputs(text: str, source: str) -> StackOutputs:
    """Parse ``terraform output -json`` (each output wrapped as ``{"value": ...}``)."""
    try:
        data = json.loads(text)
    except ValueError:
        raise InputError(f"{source}: not JSON (expected `terraform output -json`)") from None
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected an object of outputs")
    if not data:  # what terraform answers for an empty state
        raise NoStackOutputs(f"{source}: no outputs (nothing applied yet)")
    values = {
        k: (v["value"] if isinstance(v, dict) and "value" in v else v) for k, v in data.items()
    }
    try:
        return StackOutputs.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        # A contradiction of the whole contract has no location: its message names the field.
        raise InputError(f"{source}: {loc}: {msg}" if loc else f"{source}: {msg}") from None


def load_outputs(path: Path) -> StackOutputs:
    try:
        text = read_capped(path, OUTPUTS_FILE, "--outputs file")
    except (OSError, UnicodeDecodeError):
        raise InputError(f"{path}: --outputs file cannot be read as UTF-8 text") from None
    return parse_outputs(text, str(path))


# -- the contract as a whole -------------------------------------------------------
# The stack outputs contract as a whole: outputs that contradict themselves.
# Each field of ``StackOutputs`` can be well formed while the whole lies: a test
# listener that is the production listener (repointing it would send users to the
# idle colour), one target group for both colours (every weight move is a no-op
# that looks like success), an alarm that guards both colours. These are checked
# when outputs are loaded, before any AWS call; the first contradiction found is
# reported, naming its field.

# The load balancer part of a listener ARN: ``listener/app/NAME/ID/LISTENER_ID``.
_LISTENER_LB = re.compile(r":listener/((?:app|net)/[^/]+/[^/]+)/[^/]+$")


def contradictions(outputs: StackOutputs) -> list[str]:
    """``FIELD: what is wrong`` for each contradiction in ``outputs``; empty when coherent."""
    found = _listeners(outputs) + _target_groups(outputs) + _alarms(outputs) + _routes(outputs)
    if outputs.ecs_services is not None:
        blue, green = outputs.ecs_services["blue"], outputs.ecs_services["green"]
        if (blue.cluster, blue.service) == (green.cluster, green.service):
            found.append(
                f"ecs_services: blue and green are the same service "
                f"({blue.cluster}/{blue.service}); each colour needs its own"
            )
    return found


def _listeners(outputs: StackOutputs) -> list[str]:
    prod, test = outputs.listener_arn, outputs.test_listener_arn
    if test is None:
        return []
    if prod == test:
        return [
            "test_listener_arn: is the production listener (listener_arn); the test listener "
            "must be a listener of its own, or repointing it moves production traffic"
        ]
    found = []
    prod_lb, test_lb = _LISTENER_LB.search(prod), _LISTENER_LB.search(test)
    if prod_lb and test_lb and prod_lb.group(1) != test_lb.group(1):
        found.append(
            "test_listener_arn: belongs to another load balancer than listener_arn "
            f"({test_lb.group(1)} vs {prod_lb.group(1)})"
        )
    suffix = outputs.load_balancer_arn_suffix
    if suffix is not None and prod_lb and prod_lb.group(1) != suffix:
        found.append(
            f"load_balancer_arn_suffix: {suffix!r} is not the load balancer of listener_arn "
            f"({prod_lb.group(1)})"
        )
    return found


def _target_groups(outputs: StackOutputs) -> list[str]:
    tgs = outputs.target_group_arns
    if tgs["blue"] == tgs["green"]:
        return [
            "target_group_arns: blue and green are the same target group; each colour needs its own"
        ]
    listeners = (outputs.listener_arn, outputs.test_listener_arn)
    if tgs["blue"] in listeners or tgs["green"] in listeners:
        return ["target_group_arns: a colour's target group is one of the listeners"]
    suffixes = outputs.target_group_arn_suffixes
    if suffixes is None:
        return []
    return [
        f"target_group_arn_suffixes.{colour}: {suffix!r} is not the suffix of "
        f"target_group_arns.{colour}"
        for colour, suffix in suffixes.items()
        if not suffix or not tgs[colour].endswith(":" + suffix)
    ]


def _alarms(outputs: StackOutputs) -> list[str]:
    shared = sorted(set(outputs.alarm_names["blue"]) & set(outputs.alarm_names["green"]))
    if shared:
        return [
            f"alarm_names: {shared[0]!r} guards both colours; an alarm belongs to one colour "
            "(a release of one colour would roll back on the other's alarm, or ignore its own)"
        ]
    empty = [name for names in outputs.alarm_names.values() for name in names if not name.strip()]
    return ["alarm_names: an alarm name is empty"] if empty else []


# A rule ARN: ``listener-rule/app/NAME/LB_ID/LISTENER_ID/RULE_ID``; its listener is the
# same path under ``listener/``.
_RULE_LISTENER = re.compile(r"^(.*):listener-rule/((?:app|net)/[^/]+/[^/]+/[^/]+)/[^/]+$")


def _routes(outputs: StackOutputs) -> list[str]:
    routes = outputs.routes
    if routes is None:
        return []
    weighted = [r for r in routes if r.kind != "header"]
    if not weighted:
        return ["routes: no default or rule route (nothing for zdd to move)"]
    if len({r.kind for r in weighted}) != 1 or (
        weighted[0].kind == "default" and len(weighted) > 1
    ):
        return ["routes: mixes default and rule routes, or has several default routes"]
    if outputs.listener_arn not in {r.listener_arn for r in weighted}:
        return ["routes: none is on listener_arn (the production listener)"]
    seen: set[tuple[str, str | None]] = set()
    for i, route in enumerate(routes):
        if (route.kind == "default") != (route.rule_arn is None):
            return [
                f"routes.{i}: a {route.kind} route needs rule_arn "
                + ("null" if route.kind == "default" else "set")
            ]
        if route.listener_arn == outputs.test_listener_arn:
            return [f"routes.{i}: is on the test listener"]
        if (route.listener_arn, route.rule_arn) in seen:
            return [f"routes.{i}: listed twice"]
        seen.add((route.listener_arn, route.rule_arn))
        match = _RULE_LISTENER.match(route.rule_arn or "")
        if route.rule_arn is not None and (
            match is None or f"{match.group(1)}:listener/{match.group(2)}" != route.listener_arn
        ):
            return [f"routes.{i}: rule {route.rule_arn} is not a rule of {route.listener_arn}"]
    headers = {r.listener_arn for r in routes if r.kind == "header"}
    if headers - {r.listener_arn for r in weighted}:
        return ["routes: a header route is on a listener without the service's rule"]
    return []
