"""The schema of ``environments/<name>.yaml``: the environment and its sections.

Every AWS limit is checked here, before anything is rendered or called, because
moto will not check them (it accepts 33-character names and 45 s alarm periods).
"""

from __future__ import annotations

import difflib

from pydantic import Field, field_validator, model_validator

from generator.colours import COLOURS, Colour
from generator.config.analysis import Analysis
from generator.config.base import (
    REGION,
    SLUG,
    Model,
    check_aws_name,
    is_image_tag,
    known_regions,
)
from generator.config.infra import AccessLogs, Alarms, Capacity, LoadBalancer, Stickiness
from generator.config.network import Network
from generator.config.notify import Webhooks
from generator.config.rollout import (
    Database,
    Hook,
    Hooks,
    StateBackend,
    StepSpec,
    Store,
    Strategy,
    StrategyType,
    Warden,
)
from generator.config.service import Container, HealthCheck
from generator.config.sources import ModuleSource, TerraformRuns

__all__ = [
    "AccessLogs",
    "Alarms",
    "Capacity",
    "Container",
    "Database",
    "Environment",
    "HealthCheck",
    "Hook",
    "Hooks",
    "LoadBalancer",
    "ModuleSource",
    "Network",
    "StateBackend",
    "StepSpec",
    "Stickiness",
    "Store",
    "Strategy",
    "StrategyType",
    "TerraformRuns",
    "Warden",
    "Webhooks",
    "is_image_tag",
]


class Environment(Model):
    """One environment file: a service's twin environments behind one ALB."""

    name: str = Field(description="Environment name, e.g. staging")
    service: str = Field(description="Service name; with name, it prefixes every resource")
    region: str = Field(description="AWS region, e.g. eu-west-1")
    live_colour: Colour = Field("blue", description="Colour that takes traffic at creation")
    versions: dict[Colour, str] = Field(
        description="Image tag per colour when the stack is created: {blue: v1, green: v1}; "
        "afterwards zdd renders the versions that run (read from the stack and ECS)"
    )
    network: Network
    container: Container
    capacity: Capacity = Field(default_factory=Capacity)
    health_check: HealthCheck = Field(default_factory=HealthCheck)
    load_balancer: LoadBalancer = Field(default_factory=LoadBalancer)
    alarms: Alarms = Field(default_factory=Alarms)
    strategy: Strategy = Field(default_factory=Strategy)
    state: StateBackend | None = Field(None, description="S3 backend; omit for local state")
    store: Store = Field(default_factory=Store)
    warden: Warden = Field(default_factory=Warden)
    hooks: Hooks = Field(default_factory=Hooks)
    database: Database | None = Field(None, description="Migrations checked by the gates")
    analysis: Analysis | None = Field(
        None, description="Judge the new colour on metrics; omit for alarms only"
    )
    webhooks: Webhooks = Field(default_factory=Webhooks)
    modules: ModuleSource = Field(default_factory=ModuleSource)
    terraform: TerraformRuns = Field(default_factory=TerraformRuns)
    tags: dict[str, str] = Field(default_factory=dict, description="Tags on every resource")

    @field_validator("name", "service")
    @classmethod
    def _slug(cls, v: str) -> str:
        if len(v) > 20 or not SLUG.match(v):
            raise ValueError(
                "must be 2-20 lowercase letters, digits and hyphens, starting with a letter"
            )
        return v

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        if not REGION.match(v):
            raise ValueError("must be an AWS region such as eu-west-1")
        known = known_regions()
        if known and v not in known:
            close = difflib.get_close_matches(v, sorted(known), n=3)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            raise ValueError(f"no AWS region is called {v!r}{hint}")
        return v

    @field_validator("versions")
    @classmethod
    def _versions(cls, v: dict[str, str]) -> dict[str, str]:
        missing = [c for c in COLOURS if c not in v]
        if missing:
            raise ValueError(f"needs a tag for both colours (missing {', '.join(missing)})")
        for colour, tag in v.items():
            if not is_image_tag(tag):
                raise ValueError(f"{colour}: {tag!r} is not a valid image tag")
        return v

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: dict[str, str]) -> dict[str, str]:
        if len(v) > 45:
            raise ValueError("at most 45 tags (zdd adds its own, AWS allows 50)")
        for k, val in v.items():
            if not 1 <= len(k) <= 128 or len(val) > 256:
                raise ValueError(f"tag {k!r}: keys 1-128 and values up to 256 characters")
            if k.lower().startswith("aws:"):
                raise ValueError(f"tag {k!r}: keys must not start with aws:")
        return v

    @model_validator(mode="after")
    def _alb_subnets(self) -> Environment:
        lb = self.load_balancer
        if not lb.existing and not lb.internal and self.network.alb_subnet_ids is None:
            raise ValueError(
                "network.alb_subnet_ids: an internet-facing load balancer needs its own public "
                "subnets; the tasks stay in network.subnet_ids (private, no public IP)"
            )
        return self

    @property
    def alb_subnet_ids(self) -> list[str]:
        """The load balancer's subnets (an internal ALB may share the tasks' subnets)."""
        return list(self.network.alb_subnet_ids or self.network.subnet_ids)

    @model_validator(mode="after")
    def _warden_store(self) -> Environment:
        if self.warden.enabled and self.store.dynamodb_table is None:
            raise ValueError(
                "warden.enabled: the warden runs in the account and reads the journal there: "
                "it needs store.url dynamodb://TABLE"
            )
        return self

    @model_validator(mode="after")
    def _certificate_region(self) -> Environment:
        arn = self.load_balancer.certificate_arn
        if arn is not None and arn.split(":")[3] != self.region:
            raise ValueError(
                f"load_balancer.certificate_arn: an ALB in {self.region} needs a certificate "
                f"from ACM in {self.region} (got one from {arn.split(':')[3]})"
            )
        return self

    @model_validator(mode="after")
    def _same_region_arns(self) -> Environment:
        """A web ACL and alarm topics must be where the ALB and its alarms are."""
        lb = self.load_balancer
        found = [("load_balancer.web_acl_arn", lb.web_acl_arn), ("load_balancer.arn", lb.arn)]
        found += [("load_balancer.listener_arn", arn) for arn in lb.listener_arns]
        found += [("alarms.actions", arn) for arn in self.alarms.actions]
        for field, arn in found:
            if arn is not None and arn.split(":")[3] != self.region:
                raise ValueError(
                    f"{field}: {arn.split(':', 6)[-1]} must be in the environment's region "
                    f"{self.region} (got one from {arn.split(':')[3]})"
                )
        return self

    @model_validator(mode="after")
    def _derived_names(self) -> Environment:
        field = "load_balancer.name" if self.load_balancer.name else "service"
        try:
            check_aws_name(self.lb_name, "load balancer name")
            for colour in COLOURS:
                check_aws_name(self.target_group_name(colour), f"target group name of {colour}")
        except ValueError as exc:
            raise ValueError(f"{field}: {exc}") from None
        return self

    @property
    def prefix(self) -> str:
        return f"{self.service}-{self.name}"

    @property
    def lb_name(self) -> str:
        return self.load_balancer.name or self.prefix

    def target_group_name(self, colour: Colour) -> str:
        return f"{self.lb_name}-{colour}"

    def alarm_names(self, colour: Colour) -> list[str]:
        """Names of the rollback alarms guarding ``colour`` (the module names them so)."""
        base = f"{self.prefix}-{colour}"
        return [f"{base}-5xx-rate", f"{base}-p99-latency", f"{base}-unhealthy-hosts"]

    @property
    def state_key(self) -> str:
        if self.state and self.state.key:
            return self.state.key
        return f"zdd/{self.service}/{self.name}.tfstate"
