"""The adapters behind the ports on AWS: the ALB router, alarms, target health, metric
analysis, readiness and capacity of the ECS services, and the wiring that builds an engine."""
