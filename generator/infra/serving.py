"""Shared infrastructure: is a change safe while serving, or does it touch what serves?

A shared resource (the load balancer, its listeners and security groups, the cluster,
alarms and logs outside a colour) serves both colours, so the guard cannot protect it
by protecting a colour. Each change to one is put in one of two classes, with a
one-line reason:

* **safe while serving**: a creation (nothing serves through it yet), or an update in
  place whose every changed attribute is in ``SAFE`` below (tags, alarm thresholds,
  log retention...: they change how things are labelled or watched, not how requests
  are served);
* **touches what serves**: any delete, replace or forget, and any update of an
  attribute not in ``SAFE``. Unlisted means touching: the table fails closed, so a new
  resource type or a provider's new attribute is refused until someone decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.infra.plan import ResourceChange

SAFE_CLASS = "safe while serving"
TOUCHES_CLASS = "touches what serves"

_WATCHES = "changes what watches, not what serves"

# Safe on every resource type: attribute -> why.
SAFE_ANYWHERE: dict[str, str] = {
    "tags": "tags label the resource; no request path reads them",
    "tags_all": "tags label the resource; no request path reads them",
    "timeouts": "Terraform's own operation timeouts; nothing changes in AWS",
}

# Resource type -> attribute -> why it is safe while serving. Anything else touches.
SAFE: dict[str, dict[str, str]] = {
    "aws_cloudwatch_metric_alarm": {
        name: _WATCHES
        for name in (
            "alarm_description",
            "threshold",
            "threshold_metric_id",
            "evaluation_periods",
            "datapoints_to_alarm",
            "period",
            "statistic",
            "extended_statistic",
            "comparison_operator",
            "treat_missing_data",
            "evaluate_low_sample_count_percentiles",
            "unit",
        )
    },
    "aws_cloudwatch_log_group": {
        "retention_in_days": "how long logs are kept; tasks write to the group the same way",
        "skip_destroy": "what Terraform does on destroy; nothing changes in AWS",
    },
    "aws_lb": {
        "access_logs": "where the load balancer writes access logs; requests are served the same",
        "enable_deletion_protection": "protects against deletion; requests are served the same",
    },
    "aws_security_group": {
        "revoke_rules_on_delete": "what Terraform does on delete; the rules stay the same",
    },
    "aws_vpc_security_group_ingress_rule": {
        "description": "a note on the rule; traffic is matched the same",
    },
    "aws_vpc_security_group_egress_rule": {
        "description": "a note on the rule; traffic is matched the same",
    },
    "aws_security_group_rule": {
        "description": "a note on the rule; traffic is matched the same",
    },
    "aws_ecs_cluster": {
        "setting": "Container Insights collects metrics; tasks run the same",
    },
    "aws_s3_bucket": {
        "force_destroy": "what Terraform does on destroy; nothing changes in AWS",
    },
    "aws_dynamodb_table": {
        "point_in_time_recovery": "backups of the table; reads and writes are the same",
        "deletion_protection_enabled": "protects against deletion; reads and writes are the same",
    },
    "aws_kms_key": {
        "description": "a note on the key; it encrypts and decrypts the same",
        "deletion_window_in_days": "only matters once deletion is scheduled",
        "enable_key_rotation": "old key material still decrypts; new data uses new material",
    },
}

# Why an unlisted attribute touches what serves, where a precise reason is known.
TOUCHES: dict[tuple[str, str], str] = {
    ("aws_lb", "subnets"): "the subnets where the load balancer takes traffic",
    ("aws_lb", "subnet_mapping"): "the subnets where the load balancer takes traffic",
    ("aws_lb", "security_groups"): "which traffic reaches the load balancer",
    ("aws_lb", "internal"): "whether the load balancer is reachable from the internet",
    ("aws_lb", "idle_timeout"): "how long open connections are kept",
    ("aws_lb", "ip_address_type"): "which addresses clients connect to",
    ("aws_lb_listener", "certificate_arn"): "the certificate clients see",
    ("aws_lb_listener", "ssl_policy"): "which TLS versions and ciphers clients may use",
    ("aws_lb_listener", "port"): "where clients connect",
    ("aws_lb_listener", "protocol"): "how clients connect",
    ("aws_lb_listener", "default_action"): "where requests go (zdd owns the weights)",
    ("aws_security_group", "ingress"): "which traffic is let in",
    ("aws_security_group", "egress"): "which traffic is let out",
    ("aws_cloudwatch_metric_alarm", "alarm_actions"): "alarm actions may scale or stop what serves",
    ("aws_cloudwatch_metric_alarm", "ok_actions"): "alarm actions may scale or stop what serves",
    ("aws_cloudwatch_log_group", "kms_key_id"): "tasks cannot log, nor start, without the key",
    ("aws_kms_key", "policy"): "who may use the key that serving depends on",
}


@dataclass(frozen=True)
class SharedChange:
    """One change of a shared resource, its class and why."""

    address: str
    actions: tuple[str, ...]
    safe: bool
    reason: str
    attributes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return "replace" if set(self.actions) == {"create", "delete"} else "+".join(self.actions)

    @property
    def klass(self) -> str:
        return SAFE_CLASS if self.safe else TOUCHES_CLASS

    def describe(self) -> str:
        return f"{self.address} [{self.label}]: {self.klass}: {self.reason}"

    def to_dict(self) -> dict[str, object]:
        return {
            "address": self.address,
            "actions": list(self.actions),
            "class": "safe" if self.safe else "touches",
            "attributes": list(self.attributes),
            "reason": self.reason,
        }


def _safe_reason(rtype: str, attribute: str) -> str | None:
    return SAFE.get(rtype, {}).get(attribute) or SAFE_ANYWHERE.get(attribute)


def _touch_reason(rtype: str, attribute: str) -> str:
    why = TOUCHES.get((rtype, attribute))
    if why:
        return f"{attribute}: {why}"
    if attribute in ("ingress", "egress") or rtype.endswith(("_ingress_rule", "_egress_rule")):
        return f"{attribute}: which traffic the security group lets through"
    return f"{attribute}: not known to be safe while serving"


def classify(change: ResourceChange) -> SharedChange:
    """The class of one (not harmless) change to a shared resource."""
    actions = change.actions
    if change.is_replace:
        return SharedChange(
            change.address, actions, False, "replaced: traffic is interrupted while it is"
        )
    if "delete" in actions or "forget" in actions:
        return SharedChange(change.address, actions, False, "deleted: traffic through it stops")
    if change.is_create_only:
        return SharedChange(change.address, actions, True, "new: nothing serves through it yet")
    changed = change.changed
    if changed is None:
        return SharedChange(
            change.address, actions, False, "the plan does not say which attributes change"
        )
    if not changed:  # Terraform plans an update it does not show: assume the worst
        return SharedChange(
            change.address, actions, False, "the plan shows no attribute it changes"
        )
    touching = [a for a in changed if _safe_reason(change.type, a) is None]
    if touching:
        reason = "; ".join(_touch_reason(change.type, a) for a in touching)
        return SharedChange(change.address, actions, False, reason, tuple(changed))
    reasons = dict.fromkeys(_safe_reason(change.type, a) for a in changed)
    why = "; ".join(r for r in reasons if r)
    return SharedChange(
        change.address, actions, True, f"{', '.join(changed)}: {why}", tuple(changed)
    )
