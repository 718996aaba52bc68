"""Routes on an existing (possibly shared) load balancer: a listener rule per service, and
an optional header route that sends testers to the idle colour.

ALB quotas checked here because moto does not: rule priority 1-50000, at most 5 condition
values per rule, host and path values at most 128 characters, header names at most 40.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from generator.config.base import Model

LB_ARN = re.compile(
    r"^arn:aws(?:-[a-z]+)*:elasticloadbalancing:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):"
    r"loadbalancer/(app/[A-Za-z0-9-]{1,32}/[0-9a-f]{1,32})$"
)
LISTENER_ARN = re.compile(
    r"^arn:aws(?:-[a-z]+)*:elasticloadbalancing:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):"
    r"listener/(app/[A-Za-z0-9-]{1,32}/[0-9a-f]{1,32})/[0-9a-f]{1,32}$"
)
SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")
MAX_CONDITION_VALUES = 5  # ALB: condition values per rule
MAX_PRIORITY = 50000
HOST = re.compile(r"^[A-Za-z0-9.*?-]{1,128}$")
PATH = re.compile(r"^/[A-Za-z0-9_.$/~\"'@:+&*?-]{0,127}$")
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,40}$")  # an HTTP token
WILDCARDS = ("*", "?")


class RuleRoute(Model):
    """The service's listener rule: host and/or path conditions, a priority; its action a
    weighted forward to the service's two target groups, whose weights zdd moves."""

    priority: int = Field(
        ge=1, le=MAX_PRIORITY, description="Rule priority on each listener, 1-50000 (lower wins)"
    )
    hosts: list[str] = Field(
        default_factory=list, description="Host header values (wildcards * ? allowed)"
    )
    paths: list[str] = Field(
        default_factory=list, description="Path patterns, e.g. /orders/* (wildcards allowed)"
    )

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, v: list[str]) -> list[str]:
        for host in v:
            if not HOST.match(host):
                raise ValueError(
                    f"{host!r} is not a host header value (1-128 of letters, digits, . - * ?)"
                )
        return v

    @field_validator("paths")
    @classmethod
    def _paths(cls, v: list[str]) -> list[str]:
        for path in v:
            if not PATH.match(path):
                raise ValueError(
                    f"{path!r} is not a path pattern (starts with /, at most 128 characters "
                    "of letters, digits and _ - . $ / ~ \" ' @ : + & * ?)"
                )
        return v

    @model_validator(mode="after")
    def _conditions(self) -> RuleRoute:
        count = len(self.hosts) + len(self.paths)
        if count == 0:
            raise ValueError("a rule needs at least one of hosts or paths")
        if count > MAX_CONDITION_VALUES:
            raise ValueError(
                f"a rule takes at most {MAX_CONDITION_VALUES} condition values in all "
                f"(ALB quota; got {count} hosts and paths)"
            )
        return self


class HeaderRoute(Model):
    """Requests carrying ``header: value`` (or exactly the cookie ``cookie``) go to the idle
    colour, ahead of the service's rule, before any weight moves."""

    priority: int = Field(
        ge=1, le=MAX_PRIORITY, description="Priority, lower than the rule's (evaluated first)"
    )
    header: str | None = Field(None, description="HTTP header name, e.g. X-Zdd-Colour")
    value: str | None = Field(None, description="Exact header value that selects the idle colour")
    cookie: str | None = Field(
        None,
        description="Instead of header/value: the whole Cookie header, exactly NAME=VALUE",
    )

    @model_validator(mode="after")
    def _one(self) -> HeaderRoute:
        if self.cookie is not None:
            if self.header is not None or self.value is not None:
                raise ValueError("give either cookie or header and value, not both")
            if not re.fullmatch(r"[A-Za-z0-9!#$%&'+.^_`|~-]{1,40}=[^\s;,*?]{1,80}", self.cookie):
                raise ValueError(
                    "cookie must be exactly NAME=VALUE (no wildcard * ?, spaces, ; or ,): "
                    "it is matched as the whole Cookie header"
                )
            return self
        if self.header is None or self.value is None:
            raise ValueError("needs header and value (or cookie)")
        if not HEADER_NAME.match(self.header):
            raise ValueError(f"header {self.header!r}: an HTTP header name of 1-40 characters")
        if self.header.lower() in ("host", "cookie"):
            raise ValueError(
                f"header {self.header!r}: use rule.hosts for Host, or cookie for Cookie"
            )
        if not 1 <= len(self.value) <= 128 or any(w in self.value for w in WILDCARDS):
            raise ValueError("value: 1-128 characters, no wildcard * or ? (an exact match)")
        return self

    @property
    def header_name(self) -> str:
        return "Cookie" if self.cookie is not None else str(self.header)

    @property
    def header_value(self) -> str:
        return self.cookie if self.cookie is not None else str(self.value)


# Fields of ``load_balancer`` that describe an ALB zdd creates; meaningless for an existing one.
OWN_ALB_FIELDS = (
    "name",
    "internal",
    "certificate_arn",
    "redirect_http_port",
    "deletion_protection",
    "idle_timeout",
    "test_listener_cidrs",
    "access_logs",
    "web_acl_arn",
)


def check_existing(
    arn: str | None,
    listener_arns: list[str],
    rule: RuleRoute | None,
    header_route: HeaderRoute | None,
    fields_set: set[str],
) -> None:
    """The existing-load-balancer fields, as a whole (raises ``ValueError``)."""
    if arn is None:
        if listener_arns or rule is not None or header_route is not None:
            raise ValueError(
                "listener_arn, rule and header_route need arn (an existing load balancer): "
                "on a load balancer zdd creates, the route is the listener's default action"
            )
        return
    lb = LB_ARN.match(arn)
    if not lb:
        raise ValueError(
            "arn: must be an application load balancer ARN: "
            "arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID"
        )
    if not listener_arns:
        raise ValueError("arn: an existing load balancer needs listener_arn")
    for listener in listener_arns:
        match = LISTENER_ARN.match(listener)
        if not match:
            raise ValueError(
                f"listener_arn: {listener!r} is not an ALB listener ARN "
                "(arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/NAME/ID/ID)"
            )
        if match.groups() != lb.groups():
            raise ValueError(
                f"listener_arn: {listener} is not a listener of the load balancer {arn}"
            )
    if len(set(listener_arns)) != len(listener_arns):
        raise ValueError("extra_listener_arns: each listener once (listener_arn included)")
    if rule is None:
        raise ValueError(
            "rule: an existing listener needs a rule (priority, hosts and/or paths); its "
            "default action is not the service's"
        )
    if header_route is not None and header_route.priority >= rule.priority:
        raise ValueError(
            f"header_route.priority: must be lower than rule.priority ({rule.priority}) "
            "so that it is evaluated first"
        )
    if header_route is not None and len(rule.hosts) + len(rule.paths) + 1 > MAX_CONDITION_VALUES:
        raise ValueError(
            f"header_route: carries the rule's hosts and paths plus its header, at most "
            f"{MAX_CONDITION_VALUES} condition values in all (ALB quota)"
        )
    own = [f for f in OWN_ALB_FIELDS if f in fields_set]
    if own:
        raise ValueError(
            f"{own[0]}: describes a load balancer zdd creates; with arn the load balancer "
            "is not zdd's (remove it)"
        )
