data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  tags         = merge(var.tags, { "zdd:colour" = var.colour })
  cluster_name = element(split("/", var.cluster_arn), 1)

  # Writable scratch space under a read-only root filesystem: one task-storage
  # volume per path (Fargate bind mounts, gone with the task).
  scratch_mounts = [
    for index, path in var.scratch_paths :
    { sourceVolume = "scratch-${index}", containerPath = path, readOnly = false }
  ]

  # The execution role reads exactly the secrets the container names. A Secrets
  # Manager reference may end in :json-key:version-stage:version-id; IAM wants the
  # secret's own ARN, its first seven fields.
  secret_manager_arns = distinct([
    for arn in values(var.secrets) : join(":", slice(split(":", arn), 0, 7))
    if split(":", arn)[2] == "secretsmanager"
  ])
  ssm_parameter_arns = distinct([
    for arn in values(var.secrets) : arn if split(":", arn)[2] == "ssm"
  ])
  execution_role_name = element(split("/", var.execution_role_arn), length(split("/", var.execution_role_arn)) - 1)
  task_role_arn       = var.task_role_arn == null ? aws_iam_role.task[0].arn : var.task_role_arn

  egress_rules = {
    for rule in var.egress_rules : join("-", [
      rule.protocol,
      rule.from_port == null ? "all" : tostring(rule.from_port),
      rule.to_port == null ? "all" : tostring(rule.to_port),
      coalesce(rule.cidr_ipv4, rule.cidr_ipv6, rule.prefix_list_id, rule.security_group_id),
    ]) => rule
  }

  container = merge(
    {
      name                   = "app"
      image                  = "${var.image}:${var.image_tag}"
      essential              = true
      readonlyRootFilesystem = var.readonly_root_filesystem
      portMappings           = [{ containerPort = var.container_port, protocol = "tcp" }]
      environment            = [for k, v in var.environment : { name = k, value = v }]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.this.name
          awslogs-region        = data.aws_region.current.name
          awslogs-stream-prefix = var.colour
        }
      }
    },
    # Only when there are some: ECS leaves empty lists out of what it returns.
    { for key, value in { mountPoints = local.scratch_mounts } : key => value if length(value) > 0 },
    {
      for key, value in { secrets = [for k, v in var.secrets : { name = k, valueFrom = v }] } :
      key => value if length(value) > 0
    },
    # Only when set: without them the container runs the image's own.
    { for key, value in { command = var.command, entryPoint = var.entry_point } : key => value if value != null },
  )
}

resource "aws_lb_target_group" "this" {
  #checkov:skip=CKV_AWS_378: TLS ends at the load balancer; tasks accept traffic only from its security group.
  name                 = var.target_group_name
  vpc_id               = var.vpc_id
  port                 = var.container_port
  protocol             = "HTTP"
  target_type          = "ip"
  deregistration_delay = var.deregistration_delay
  tags                 = local.tags

  health_check {
    enabled             = true
    path                = var.health_check.path
    interval            = var.health_check.interval_seconds
    timeout             = var.health_check.timeout_seconds
    healthy_threshold   = var.health_check.healthy_threshold
    unhealthy_threshold = var.health_check.unhealthy_threshold
    matcher             = var.health_check.matcher
  }
}

resource "aws_security_group" "tasks" {
  name_prefix = "${var.name}-tasks-"
  # Unchanged since egress_rules replaced the single HTTPS rule: a new description
  # would replace the group, and with it the live colour's service network.
  description = "Tasks of ${var.name}: the load balancer in, HTTPS out"
  vpc_id      = var.vpc_id
  tags        = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "from_alb" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "Container port from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = var.alb_security_group_id
  tags                         = local.tags
}

resource "aws_vpc_security_group_egress_rule" "this" {
  for_each = local.egress_rules

  security_group_id            = aws_security_group.tasks.id
  description                  = coalesce(each.value.description, "Out: ${each.key}")
  ip_protocol                  = each.value.protocol
  from_port                    = each.value.protocol == "-1" ? null : each.value.from_port
  to_port                      = each.value.protocol == "-1" ? null : each.value.to_port
  cidr_ipv4                    = each.value.cidr_ipv4
  cidr_ipv6                    = each.value.cidr_ipv6
  prefix_list_id               = each.value.prefix_list_id
  referenced_security_group_id = each.value.security_group_id
  tags                         = local.tags
}

# The single HTTPS rule of earlier versions is the first of the default egress_rules.
moved {
  from = aws_vpc_security_group_egress_rule.https
  to   = aws_vpc_security_group_egress_rule.this["tcp-443-443-0.0.0.0/0"]
}

# The application's own role, separate from the execution role (which only pulls
# the image, writes logs and reads the secrets). Without task_role_policy_arns it
# may do nothing at all.
data "aws_iam_policy_document" "task_assume" {
  count = var.task_role_arn == null ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    # Only ECS tasks of this account and region (no confused deputy).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:ecs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:*"]
    }
  }
}

resource "aws_iam_role" "task" {
  count = var.task_role_arn == null ? 1 : 0

  name_prefix        = substr("${var.name}-task-", 0, 38)
  description        = "Task role of ${var.name}: what the application itself may do."
  assume_role_policy = data.aws_iam_policy_document.task_assume[0].json
  tags               = local.tags
}

resource "aws_iam_role_policy_attachment" "task" {
  count = var.task_role_arn == null ? length(var.task_role_policy_arns) : 0

  role       = aws_iam_role.task[0].name
  policy_arn = var.task_role_policy_arns[count.index]
}

data "aws_iam_policy_document" "secrets" {
  count = length(var.secrets) > 0 ? 1 : 0

  dynamic "statement" {
    for_each = length(local.secret_manager_arns) > 0 ? [1] : []

    content {
      sid       = "ReadTheContainersSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = local.secret_manager_arns
    }
  }

  dynamic "statement" {
    for_each = length(local.ssm_parameter_arns) > 0 ? [1] : []

    content {
      sid       = "ReadTheContainersParameters"
      actions   = ["ssm:GetParameters"]
      resources = local.ssm_parameter_arns
    }
  }

  dynamic "statement" {
    for_each = length(var.secrets_kms_key_arns) > 0 ? [1] : []

    content {
      sid       = "DecryptTheContainersSecrets"
      actions   = ["kms:Decrypt"]
      resources = var.secrets_kms_key_arns
    }
  }
}

resource "aws_iam_role_policy" "secrets" {
  count = length(var.secrets) > 0 ? 1 : 0

  name   = "${var.name}-secrets"
  role   = local.execution_role_name
  policy = data.aws_iam_policy_document.secrets[0].json
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/zdd/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = local.tags
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.cpu)
  memory                   = tostring(var.memory)
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = local.task_role_arn
  tags                     = local.tags

  container_definitions = jsonencode([local.container])

  dynamic "volume" {
    for_each = local.scratch_mounts

    content {
      name = volume.value.sourceVolume
    }
  }

  lifecycle {
    precondition {
      condition     = length(setintersection(keys(var.environment), keys(var.secrets))) == 0
      error_message = "A name is in both environment and secrets: give each variable one source."
    }
  }
}

resource "aws_ecs_service" "this" {
  name                   = var.name
  cluster                = var.cluster_arn
  task_definition        = aws_ecs_task_definition.this.arn
  desired_count          = var.desired_count
  launch_type            = "FARGATE"
  enable_execute_command = false
  propagate_tags         = "SERVICE"

  health_check_grace_period_seconds = var.health_check_grace_period_seconds

  # Referencing the listener orders creation: a target group must be attached
  # to a load balancer before a service can register into it.
  tags = merge(local.tags, { "zdd:listener" = var.listener_arn })

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this.arn
    container_name   = "app"
    container_port   = var.container_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # Ownership, as for the listener's weights: Terraform owns the task definition
  # (zdd renders each colour's running version, so a plan never reverts one);
  # zdd and autoscaling own the task count. zdd checks readiness itself after
  # apply, so wait_for_steady_state is left off.
  lifecycle {
    ignore_changes = [desired_count]
  }

  # Tasks read their secrets at start: the execution role may do so first.
  depends_on = [aws_iam_role_policy.secrets]
}

resource "aws_appautoscaling_target" "this" {
  service_namespace  = "ecs"
  resource_id        = "service/${local.cluster_name}/${aws_ecs_service.this.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.min_capacity
  max_capacity       = var.max_capacity

  # Set at creation; then zdd owns them: 0/0 while a scaled_down colour is idle,
  # the environment's capacity.min/max again when a release scales it up.
  lifecycle {
    ignore_changes = [min_capacity, max_capacity]
  }
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "${var.name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value = var.cpu_target_percent

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
