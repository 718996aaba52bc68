"""Typed environments: ``environments/<name>.yaml`` loaded into pydantic models.

Every AWS limit is checked here, before anything is rendered or called, because
moto will not check them (it accepts 33-character names and 45 s alarm periods).
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from generator.errors import ConfigError, InputError

Colour = Literal["blue", "green"]
COLOURS: tuple[Colour, Colour] = ("blue", "green")

_AWS_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")
_SLUG = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
_REGION = re.compile(r"^[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d$")
_ACM_ARN = re.compile(
    r"^arn:aws(?:-[a-z]+)*:acm:[a-z]{2}(?:-gov)?-[a-z]+-\d:\d{12}:certificate/"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
_S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")

Port = Annotated[int, Field(ge=1, le=65535, description="TCP port, 1-65535")]
Percent = Annotated[int, Field(ge=0, le=100)]


def check_aws_name(value: str, what: str = "name") -> str:
    """ALB and target group names: 1-32 letters, digits, hyphens; no edge hyphen."""
    if len(value) > 32:
        raise ValueError(f"{what} must be at most 32 characters (got {len(value)})")
    if not _AWS_NAME.match(value):
        raise ValueError(
            f"{what} must be letters, digits and hyphens, not starting or ending with a hyphen"
        )
    if value.lower().startswith("internal-"):
        raise ValueError(f"{what} must not start with 'internal-'")
    return value


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Network(Model):
    """Where the twins run and who may reach the load balancer."""

    vpc_id: str = Field(description="VPC the twin environments run in (vpc-...)")
    subnet_ids: list[str] = Field(
        min_length=2, description="Subnets in at least two availability zones"
    )
    allowed_cidrs: list[str] = Field(
        default_factory=lambda: ["0.0.0.0/0"],
        description="CIDR blocks allowed to reach the load balancer",
    )

    @field_validator("vpc_id")
    @classmethod
    def _vpc(cls, v: str) -> str:
        if not re.match(r"^vpc-[0-9a-f]{8,17}$", v):
            raise ValueError("must look like vpc- followed by 8 to 17 hex digits")
        return v

    @field_validator("subnet_ids")
    @classmethod
    def _subnets(cls, v: list[str]) -> list[str]:
        for s in v:
            if not re.match(r"^subnet-[0-9a-f]{8,17}$", s):
                raise ValueError(f"{s!r} must look like subnet- followed by 8 to 17 hex digits")
        if len(set(v)) != len(v):
            raise ValueError("must not repeat a subnet")
        return v

    @field_validator("allowed_cidrs")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        for c in v:
            try:
                ipaddress.ip_network(c, strict=True)
            except ValueError:
                raise ValueError(f"{c!r} must be a CIDR block such as 10.0.0.0/16") from None
        return v


class Stickiness(Model):
    """Target group stickiness of the weighted forward action."""

    enabled: bool = Field(False, description="Keep a client on one colour during a shift")
    duration_seconds: int = Field(
        3600, ge=1, le=604800, description="Stickiness duration, 1-604800 s"
    )


class AccessLogs(Model):
    """ALB access logs in S3."""

    enabled: bool = Field(False, description="Write ALB access logs to S3")
    bucket: str | None = Field(None, description="S3 bucket for access logs")
    prefix: str = Field("", description="Key prefix inside the bucket")

    @model_validator(mode="after")
    def _bucket(self) -> AccessLogs:
        if self.enabled and not self.bucket:
            raise ValueError("bucket is required when access logs are enabled")
        if self.bucket and not _S3_BUCKET.match(self.bucket):
            raise ValueError("bucket must be a valid S3 bucket name")
        return self


class LoadBalancer(Model):
    """The Application Load Balancer and its listeners."""

    name: str | None = Field(
        None, description="ALB name (default: SERVICE-ENV); at most 32 characters"
    )
    internal: bool = Field(False, description="Internal rather than internet-facing")
    protocol: Literal["HTTP", "HTTPS"] = Field("HTTP", description="Production listener")
    port: Port = Field(80, description="Production listener port")
    certificate_arn: str | None = Field(None, description="ACM certificate ARN (HTTPS)")
    ssl_policy: str = Field(
        "ELBSecurityPolicy-TLS13-1-2-2021-06", description="TLS policy of HTTPS listeners"
    )
    redirect_http_port: Port | None = Field(
        None, description="With HTTPS: also listen on this port and redirect to HTTPS"
    )
    test_listener_port: Port = Field(
        8080, description="Port of the test listener that always reaches the idle colour"
    )
    deletion_protection: bool = Field(True, description="ALB deletion protection")
    idle_timeout: int = Field(60, ge=1, le=4000, description="Connection idle timeout, s")
    access_logs: AccessLogs = Field(default_factory=AccessLogs)
    stickiness: Stickiness = Field(default_factory=Stickiness)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        return None if v is None else check_aws_name(v)

    @field_validator("certificate_arn")
    @classmethod
    def _cert(cls, v: str | None) -> str | None:
        if v is not None and not _ACM_ARN.match(v):
            raise ValueError(
                "must be an ACM certificate ARN: arn:aws:acm:REGION:ACCOUNT:certificate/UUID"
            )
        return v

    @model_validator(mode="after")
    def _https(self) -> LoadBalancer:
        if self.protocol == "HTTPS" and not self.certificate_arn:
            raise ValueError("certificate_arn is required when protocol is HTTPS")
        if self.protocol == "HTTP" and self.certificate_arn:
            raise ValueError("certificate_arn needs protocol HTTPS")
        if self.redirect_http_port is not None and self.protocol != "HTTPS":
            raise ValueError("redirect_http_port needs protocol HTTPS")
        ports = [self.port, self.test_listener_port]
        if self.redirect_http_port is not None:
            ports.append(self.redirect_http_port)
        if len(set(ports)) != len(ports):
            raise ValueError(f"listener ports must differ (got {ports})")
        return self


class HealthCheck(Model):
    """Target group health check, the same for both colours."""

    path: str = Field("/", description="HTTP path the target group checks")
    interval_seconds: int = Field(15, ge=5, le=300, description="5-300 s")
    timeout_seconds: int = Field(5, ge=2, le=120, description="2-120 s, less than interval")
    healthy_threshold: int = Field(3, ge=2, le=10, description="2-10 checks")
    unhealthy_threshold: int = Field(3, ge=2, le=10, description="2-10 checks")
    matcher: str = Field("200", description="HTTP codes counted healthy, e.g. 200-299")

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not v.startswith("/") or len(v) > 1024:
            raise ValueError("must start with / and be at most 1024 characters")
        return v

    @field_validator("matcher")
    @classmethod
    def _matcher(cls, v: str) -> str:
        if not re.match(r"^[1-5]\d\d(?:-[1-5]\d\d)?(?:,[1-5]\d\d(?:-[1-5]\d\d)?)*$", v):
            raise ValueError("must be HTTP codes such as 200, 200-299 or 200,302")
        return v

    @model_validator(mode="after")
    def _timeout(self) -> HealthCheck:
        if self.timeout_seconds >= self.interval_seconds:
            raise ValueError("timeout_seconds must be less than interval_seconds")
        return self


class Container(Model):
    """The ECS Fargate container both colours run."""

    image: str = Field(description="Image repository without tag, e.g. nginx or ECR URL")
    port: Port = Field(80, description="Container port the target group forwards to")
    cpu: Literal[256, 512, 1024, 2048, 4096] = Field(256, description="Fargate CPU units")
    memory: int = Field(512, ge=512, le=30720, description="Fargate memory, MiB")
    environment: dict[str, str] = Field(
        default_factory=dict, description="Environment variables of the container"
    )

    @field_validator("image")
    @classmethod
    def _image(cls, v: str) -> str:
        if not v or ":" in v.rsplit("/", 1)[-1] or any(c.isspace() for c in v):
            raise ValueError("must be an image repository without a tag or spaces")
        return v


class Capacity(Model):
    """Tasks per colour and their autoscaling."""

    desired: int = Field(2, ge=0, le=1000, description="Tasks per colour at creation")
    min: int = Field(1, ge=0, le=1000, description="Autoscaling minimum per colour")
    max: int = Field(4, ge=1, le=1000, description="Autoscaling maximum per colour")
    cpu_target_percent: int = Field(60, ge=10, le=90, description="Target CPU utilisation")

    @model_validator(mode="after")
    def _bounds(self) -> Capacity:
        if not self.min <= self.desired <= self.max:
            raise ValueError(
                f"must satisfy min <= desired <= max (got {self.min}, {self.desired}, {self.max})"
            )
        return self


class Alarms(Model):
    """Rollback alarms per colour: 5xx rate, p99 latency, unhealthy hosts."""

    period_seconds: int = Field(60, description="10, 20, 30 or a multiple of 60")
    evaluation_periods: int = Field(2, ge=1, le=100, description="Periods evaluated")
    datapoints_to_alarm: int | None = Field(None, ge=1, description="M of N; default N")
    error_rate_percent: float = Field(
        5.0, gt=0, le=100, description="Target 5xx share of requests that alarms"
    )
    p99_latency_seconds: float = Field(1.0, gt=0, le=60, description="p99 response time")
    unhealthy_hosts: int = Field(1, ge=1, le=1000, description="Unhealthy targets that alarm")

    @field_validator("period_seconds")
    @classmethod
    def _period(cls, v: int) -> int:
        if v not in (10, 20, 30) and (v < 60 or v % 60):
            raise ValueError(f"must be 10, 20, 30 or a multiple of 60 (got {v})")
        return v

    @model_validator(mode="after")
    def _m_of_n(self) -> Alarms:
        if self.datapoints_to_alarm is not None and self.datapoints_to_alarm > (
            self.evaluation_periods
        ):
            raise ValueError("datapoints_to_alarm must not exceed evaluation_periods")
        if self.period_seconds * self.evaluation_periods > 86400:
            raise ValueError("period_seconds * evaluation_periods must be at most 86400")
        return self


class StepSpec(Model):
    percent: int = Field(ge=1, le=100, description="Share of traffic on the new colour")
    bake_seconds: float | None = Field(None, ge=0, description="Bake after this step")
    gate: bool = Field(False, description="Wait for `zdd promote` after the bake")


StrategyType = Literal["all_at_once", "canary", "linear", "steps"]


class Strategy(Model):
    """How traffic moves: schedule, bakes, polling, gates."""

    type: StrategyType = Field("canary", description="all_at_once, canary, linear or steps")
    canary_percent: int = Field(10, ge=1, le=99, description="canary: first step")
    linear_percent: int = Field(25, ge=1, le=99, description="linear: size of each step")
    steps: list[int | StepSpec] | None = Field(
        None, description="steps: percentages (or {percent, bake_seconds, gate}) ending at 100"
    )
    bake_seconds: float = Field(300, ge=0, le=86400, description="Bake after each step")
    poll_seconds: float = Field(10, gt=0, le=3600, description="Alarm poll interval")
    gates: list[int] = Field(
        default_factory=list, description="Percentages after which to wait for promote"
    )
    min_healthy_targets: int = Field(
        1, ge=0, description="Healthy targets the new colour needs before any shift"
    )
    alarm_grace_seconds: float = Field(
        60,
        ge=0,
        description="How long alarm state may be unreadable or INSUFFICIENT_DATA "
        "before zdd fails closed",
    )

    @field_validator("steps")
    @classmethod
    def _steps(cls, v: list[int | StepSpec] | None) -> list[int | StepSpec] | None:
        if v is None:
            return v
        pcts = [s if isinstance(s, int) else s.percent for s in v]
        if (
            not pcts
            or any(p < 1 or p > 100 for p in pcts)
            or any(b <= a for a, b in itertools.pairwise(pcts))
            or pcts[-1] != 100
        ):
            raise ValueError(f"must increase and end at 100 (got {json.dumps(pcts)})")
        return v

    @model_validator(mode="after")
    def _type_needs_steps(self) -> Strategy:
        if self.type == "steps" and self.steps is None:
            raise ValueError("steps is required when type is steps")
        return self


class Hook(Model):
    command: list[str] = Field(min_length=1, description="argv of the hook command")
    timeout_seconds: float = Field(300, gt=0, le=3600, description="Killed after this")


class Hooks(Model):
    """Commands run around traffic changes."""

    pre_traffic: list[Hook] = Field(
        default_factory=list, description="Run before any weight moves; failure stops"
    )
    post_promote: list[Hook] = Field(
        default_factory=list, description="Run after the new colour takes all traffic"
    )
    on_rollback: list[Hook] = Field(
        default_factory=list, description="Run after a rollback; never delays it"
    )


class Database(Model):
    """Migrations checked by the expand/contract gates."""

    migrations: str = Field(description="Directory of *.sql migrations, relative to the file")
    dialect: Literal["postgres", "mysql", "sqlite"] = Field(description="SQL dialect")
    rollback_window_seconds: float = Field(
        3600, ge=0, description="How long the old colour may take traffic back"
    )


class StateBackend(Model):
    """S3 backend of the Terraform state, with DynamoDB locking."""

    bucket: str = Field(description="S3 bucket holding Terraform state")
    lock_table: str = Field(description="DynamoDB table for Terraform state locking")
    key: str | None = Field(None, description="State key (default zdd/SERVICE/ENV.tfstate)")
    region: str | None = Field(None, description="Region of the bucket (default: region)")

    @field_validator("bucket")
    @classmethod
    def _bucket(cls, v: str) -> str:
        if not _S3_BUCKET.match(v) or ".." in v:
            raise ValueError("must be a valid S3 bucket name (3-63 lowercase, digits, . -)")
        return v

    @field_validator("lock_table")
    @classmethod
    def _table(cls, v: str) -> str:
        if not re.match(r"^[A-Za-z0-9_.-]{3,255}$", v):
            raise ValueError("must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)")
        return v


class Store(Model):
    """Where zdd keeps its journal and listener locks."""

    url: str = Field(
        ".zdd", description="Journal store: a directory, or dynamodb://TABLE for shared runners"
    )

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if v.startswith("dynamodb://"):
            table = v.removeprefix("dynamodb://")
            if not re.match(r"^[A-Za-z0-9_.-]{3,255}$", table):
                raise ValueError("dynamodb://TABLE needs a valid DynamoDB table name")
        elif not v:
            raise ValueError("must be a directory or dynamodb://TABLE")
        return v

    @property
    def dynamodb_table(self) -> str | None:
        return self.url.removeprefix("dynamodb://") if self.url.startswith("dynamodb://") else None


class Environment(Model):
    """One environment file: a service's twin environments behind one ALB."""

    name: str = Field(description="Environment name, e.g. staging")
    service: str = Field(description="Service name; with name, it prefixes every resource")
    region: str = Field(description="AWS region, e.g. eu-west-1")
    live_colour: Colour = Field("blue", description="Colour that takes traffic at creation")
    versions: dict[Colour, str] = Field(description="Image tag per colour: {blue: v1, green: v1}")
    network: Network
    container: Container
    capacity: Capacity = Field(default_factory=Capacity)
    health_check: HealthCheck = Field(default_factory=HealthCheck)
    load_balancer: LoadBalancer = Field(default_factory=LoadBalancer)
    alarms: Alarms = Field(default_factory=Alarms)
    strategy: Strategy = Field(default_factory=Strategy)
    state: StateBackend | None = Field(None, description="S3 backend; omit for local state")
    store: Store = Field(default_factory=Store)
    hooks: Hooks = Field(default_factory=Hooks)
    database: Database | None = Field(None, description="Migrations checked by the gates")
    webhooks: list[str] = Field(
        default_factory=list, description="URLs that receive events as Slack-compatible JSON"
    )
    tags: dict[str, str] = Field(default_factory=dict, description="Tags on every resource")

    @field_validator("webhooks")
    @classmethod
    def _webhooks(cls, v: list[str]) -> list[str]:
        for url in v:
            if not re.match(r"^https?://[^\s/]+", url):
                raise ValueError(f"{url!r} must be an http(s) URL")
        return v

    @field_validator("name", "service")
    @classmethod
    def _slug(cls, v: str) -> str:
        if len(v) > 20 or not _SLUG.match(v):
            raise ValueError(
                "must be 2-20 lowercase letters, digits and hyphens, starting with a letter"
            )
        return v

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        if not _REGION.match(v):
            raise ValueError("must be an AWS region such as eu-west-1")
        return v

    @field_validator("versions")
    @classmethod
    def _versions(cls, v: dict[str, str]) -> dict[str, str]:
        missing = [c for c in COLOURS if c not in v]
        if missing:
            raise ValueError(f"needs a tag for both colours (missing {', '.join(missing)})")
        for colour, tag in v.items():
            if not _IMAGE_TAG.match(tag):
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


def _format_loc(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item in ("int", "StepSpec", "function-after[_steps(), list[union[int,StepSpec]]]"):
            continue  # union branch names are noise to a person
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def _describe(value: object) -> str:
    try:
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def format_validation_error(display: str, exc: ValidationError) -> list[str]:
    """One line per problem: ``FILE: FIELD.PATH: what was expected (got VALUE)``."""
    lines: list[str] = []
    seen: set[str] = set()
    for err in exc.errors():
        loc = _format_loc(tuple(err["loc"]))
        kind = err["type"]
        msg = str(err["msg"]).removeprefix("Value error, ")
        named = re.match(r"^([a-z_]+(?:\.[a-z_]+)*): (.*)$", msg)
        if loc == "(top level)" and named:  # a check across fields names its own field
            loc, msg = named.group(1), named.group(2)
        if kind == "missing":
            line = f"{display}: {loc}: required field is missing"
        elif kind == "extra_forbidden":
            line = f"{display}: {loc}: unknown field (check the spelling)"
        elif "(got " in msg:
            line = f"{display}: {loc}: {msg}"
        else:
            line = f"{display}: {loc}: {msg[:1].lower() + msg[1:]} (got {_describe(err['input'])})"
        # A union reports one error per branch; a person needs the first only.
        key = f"{loc}|{kind.split('_')[0]}"
        if key not in seen:
            seen.add(key)
            lines.append(line)
    return lines


def resolve_env_path(env: str, cwd: Path | None = None) -> Path:
    """``--env`` is a name (``environments/NAME.yaml``) or a path to a YAML file."""
    base = cwd or Path.cwd()
    if env.endswith((".yaml", ".yml")) or "/" in env or "\\" in env:
        return (base / env) if not Path(env).is_absolute() else Path(env)
    return base / "environments" / f"{env}.yaml"


def display_path(path: Path, cwd: Path | None = None) -> str:
    base = (cwd or Path.cwd()).resolve()
    try:
        return str(path.resolve().relative_to(base))
    except ValueError:
        return str(path)


def parse_environment(data: Any, display: str) -> Environment:
    """Validate already-loaded YAML data; raise ConfigError with one line per problem."""
    if not isinstance(data, dict):
        raise ConfigError(
            display,
            [f"{display}: (top level): must be a mapping of fields (got {_describe(data)})"],
        )
    try:
        return Environment.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(display, format_validation_error(display, exc)) from None


def load_environment(env: str | Path, cwd: Path | None = None) -> Environment:
    """Load and validate an environment by name or path."""
    path = env if isinstance(env, Path) else resolve_env_path(env, cwd)
    display = display_path(path, cwd)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{display}: no such environment file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{display}: cannot be read ({exc.__class__.__name__})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "somewhere"
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(display, [f"{display}: (yaml) {where}: {problem}"]) from None
    return parse_environment(data, display)


def environment_dir(env: str | Path, cwd: Path | None = None) -> Path:
    path = env if isinstance(env, Path) else resolve_env_path(env, cwd)
    return path.parent
