# Fast checks with a mocked AWS provider: `terraform test` (no account, no network).
# The run against moto_server is in tests/moto/ (terraform test -test-directory=tests/moto).

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }

  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/shop-test-blue-task-1" }
  }

  mock_resource "aws_ecs_task_definition" {
    defaults = { arn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-test-blue:1" }
  }

  mock_resource "aws_lb_target_group" {
    defaults = {
      arn        = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-test-blue/0123456789abcdef"
      arn_suffix = "targetgroup/shop-test-blue/0123456789abcdef"
    }
  }
}

variables {
  name                  = "shop-test-blue"
  colour                = "blue"
  target_group_name     = "shop-test-blue"
  cluster_arn           = "arn:aws:ecs:eu-west-1:123456789012:cluster/shop-test"
  vpc_id                = "vpc-0123456789abcdef0"
  subnet_ids            = ["subnet-0123456789abcdef1", "subnet-0123456789abcdef2"]
  alb_security_group_id = "sg-0123456789abcdef0"
  listener_arn          = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop-test/0123456789abcdef/0123456789abcdef"
  execution_role_arn    = "arn:aws:iam::123456789012:role/service/shop-test-exec"
  kms_key_arn           = "arn:aws:kms:eu-west-1:123456789012:key/0f2a8c3e-1b4d-4e6f-9a7b-5c3d2e1f0a9b"
  image                 = "public.ecr.aws/nginx/nginx"
  image_tag             = "1.27"
  container_port        = 80
  cpu                   = 256
  memory                = 512
  desired_count         = 1
  min_capacity          = 1
  max_capacity          = 2
  health_check = {
    path                = "/healthz"
    interval_seconds    = 10
    timeout_seconds     = 5
    healthy_threshold   = 3
    unhealthy_threshold = 2
    matcher             = "200-299"
  }
}

run "defaults" {
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].readonlyRootFilesystem
    error_message = "The root filesystem is read-only by default."
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].mountPoints == [{ sourceVolume = "scratch-0", containerPath = "/tmp", readOnly = false }]
    error_message = "By default /tmp alone is writable scratch space."
  }

  assert {
    condition     = [for v in aws_ecs_task_definition.this.volume : v.name] == ["scratch-0"]
    error_message = "Each scratch path has a task volume."
  }

  assert {
    condition     = !can(jsondecode(aws_ecs_task_definition.this.container_definitions)[0].secrets)
    error_message = "No secrets, no secrets key (ECS would drop an empty list and the plan would never settle)."
  }

  assert {
    condition     = length(aws_iam_role_policy.secrets) == 0
    error_message = "Without secrets the execution role gets no extra policy."
  }

  assert {
    condition     = aws_ecs_task_definition.this.task_role_arn == aws_iam_role.task[0].arn && aws_ecs_task_definition.this.task_role_arn != aws_ecs_task_definition.this.execution_role_arn
    error_message = "The task runs as its own role, not the execution role."
  }

  assert {
    condition     = length(aws_iam_role_policy_attachment.task) == 0
    error_message = "The created task role may do nothing unless task_role_policy_arns says so."
  }

  assert {
    condition     = keys(aws_vpc_security_group_egress_rule.this) == ["tcp-443-443-0.0.0.0/0"] && aws_vpc_security_group_egress_rule.this["tcp-443-443-0.0.0.0/0"].from_port == 443
    error_message = "By default tasks may only make HTTPS connections."
  }

  assert {
    condition     = aws_lb_target_group.this.deregistration_delay == "30"
    error_message = "The deregistration delay defaults to 30 s."
  }

  assert {
    condition     = aws_ecs_service.this.health_check_grace_period_seconds == 60
    error_message = "New tasks get 60 s before load balancer health checks count."
  }

  assert {
    condition     = aws_appautoscaling_target.this.resource_id == "service/shop-test/shop-test-blue"
    error_message = "Autoscaling addresses the service as service/CLUSTER/SERVICE."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 365 && aws_cloudwatch_log_group.this.kms_key_id == var.kms_key_arn
    error_message = "Logs are kept a year, encrypted with the given key."
  }
}

run "nginx_with_secrets_and_its_own_rules" {
  variables {
    scratch_paths                     = ["/tmp", "/var/cache/nginx", "/var/run"]
    deregistration_delay              = 5
    health_check_grace_period_seconds = 120
    log_retention_days                = 30
    task_role_policy_arns             = ["arn:aws:iam::123456789012:policy/shop-reads-s3"]
    secrets = {
      DB_PASSWORD = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/db-AbCdEf:password::"
      API_KEY     = "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/api-key"
    }
    secrets_kms_key_arns = ["arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"]
    egress_rules = [
      { protocol = "tcp", from_port = 443, to_port = 443, prefix_list_id = "pl-0123456789abcdef0" },
      { description = "DNS", protocol = "udp", from_port = 53, to_port = 53, cidr_ipv4 = "10.0.0.2/32" },
      { description = "Anything to the database", protocol = "-1", security_group_id = "sg-0fedcba9876543210" },
    ]
  }

  assert {
    condition     = [for m in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].mountPoints : m.containerPath] == ["/tmp", "/var/cache/nginx", "/var/run"]
    error_message = "Every scratch path is mounted writable."
  }

  assert {
    condition     = length(aws_ecs_task_definition.this.volume) == 3
    error_message = "One task volume per scratch path."
  }

  assert {
    condition = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].secrets == [
      { name = "API_KEY", valueFrom = "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/api-key" },
      { name = "DB_PASSWORD", valueFrom = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/db-AbCdEf:password::" },
    ]
    error_message = "Secrets reach the container as secrets, not environment."
  }

  assert {
    condition     = aws_iam_role_policy.secrets[0].role == "shop-test-exec"
    error_message = "The secrets policy is on the execution role (its name, from the ARN's last segment)."
  }

  assert {
    condition = toset(flatten([for s in data.aws_iam_policy_document.secrets[0].statement : tolist(s.resources)])) == toset([
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/db-AbCdEf",
      "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/api-key",
      "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555",
    ])
    error_message = "The execution role may read exactly the named secrets (the secret's ARN without its JSON key) and decrypt with the named key."
  }

  assert {
    condition     = length(aws_iam_role_policy_attachment.task) == 1
    error_message = "task_role_policy_arns are attached to the task role."
  }

  assert {
    condition     = toset(keys(aws_vpc_security_group_egress_rule.this)) == toset(["tcp-443-443-pl-0123456789abcdef0", "udp-53-53-10.0.0.2/32", "-1-all-all-sg-0fedcba9876543210"])
    error_message = "One security group rule per egress rule."
  }

  assert {
    condition     = aws_vpc_security_group_egress_rule.this["-1-all-all-sg-0fedcba9876543210"].from_port == null && aws_vpc_security_group_egress_rule.this["-1-all-all-sg-0fedcba9876543210"].referenced_security_group_id == "sg-0fedcba9876543210"
    error_message = "An all-traffic rule has no ports."
  }

  assert {
    condition     = aws_lb_target_group.this.deregistration_delay == "5" && aws_ecs_service.this.health_check_grace_period_seconds == 120 && aws_cloudwatch_log_group.this.retention_in_days == 30
    error_message = "deregistration_delay, health_check_grace_period_seconds and log_retention_days are the given ones."
  }
}

run "given_task_role_and_writable_root" {
  variables {
    task_role_arn            = "arn:aws:iam::123456789012:role/shop-app"
    readonly_root_filesystem = false
    scratch_paths            = []
  }

  assert {
    condition     = length(aws_iam_role.task) == 0 && aws_ecs_task_definition.this.task_role_arn == "arn:aws:iam::123456789012:role/shop-app"
    error_message = "A given task role is used, none created."
  }

  assert {
    condition     = !jsondecode(aws_ecs_task_definition.this.container_definitions)[0].readonlyRootFilesystem && !can(jsondecode(aws_ecs_task_definition.this.container_definitions)[0].mountPoints)
    error_message = "readonly_root_filesystem = false, and no scratch volumes."
  }
}

run "rejects_a_relative_scratch_path" {
  command = plan

  variables {
    scratch_paths = ["tmp"]
  }

  expect_failures = [var.scratch_paths]
}

run "rejects_a_secret_arn_without_its_suffix" {
  command = plan

  variables {
    secrets = { DB_PASSWORD = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/db" }
  }

  expect_failures = [var.secrets]
}

run "rejects_a_name_both_in_environment_and_secrets" {
  command = plan

  variables {
    environment = { API_KEY = "plain" }
    secrets     = { API_KEY = "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/api-key" }
  }

  expect_failures = [aws_ecs_task_definition.this]
}

run "rejects_an_egress_rule_with_two_destinations" {
  command = plan

  variables {
    egress_rules = [{ protocol = "tcp", from_port = 443, to_port = 443, cidr_ipv4 = "0.0.0.0/0", prefix_list_id = "pl-0123456789abcdef0" }]
  }

  expect_failures = [var.egress_rules]
}

run "rejects_ports_on_an_all_traffic_rule" {
  command = plan

  variables {
    egress_rules = [{ protocol = "-1", from_port = 0, to_port = 65535, cidr_ipv4 = "10.0.0.0/8" }]
  }

  expect_failures = [var.egress_rules]
}

run "rejects_a_deregistration_delay_over_an_hour" {
  command = plan

  variables {
    deregistration_delay = 3601
  }

  expect_failures = [var.deregistration_delay]
}

run "rejects_a_retention_cloudwatch_does_not_offer" {
  command = plan

  variables {
    log_retention_days = 10
  }

  expect_failures = [var.log_retention_days]
}

run "rejects_a_cluster_name_for_an_arn" {
  command = plan

  variables {
    cluster_arn = "shop-test"
  }

  expect_failures = [var.cluster_arn]
}
