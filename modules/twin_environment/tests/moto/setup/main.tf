# What a colour needs from the rest of a stack, created in moto_server for the test.

variable "vpc_id" {
  type        = string
  description = "VPC the test harness created in moto_server."
}

resource "aws_ecs_cluster" "this" {
  #checkov:skip=CKV_AWS_65: a throw-away cluster in an emulator.
  name = "zdd-moto-twin"
}

resource "aws_security_group" "alb" {
  #checkov:skip=CKV2_AWS_5: stands in for the load balancer's group, attached elsewhere in a stack.
  name_prefix = "zdd-moto-alb-"
  description = "Stands in for the load balancer's security group"
  vpc_id      = var.vpc_id
}

resource "aws_kms_key" "logs" {
  #checkov:skip=CKV2_AWS_64: the default key policy is enough in an emulator.
  description             = "zdd moto test: container logs"
  enable_key_rotation     = true
  deletion_window_in_days = 7
}

data "aws_iam_policy_document" "ecs_tasks" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name_prefix        = "zdd-moto-exec-"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks.json
}

resource "aws_secretsmanager_secret" "db" {
  #checkov:skip=CKV_AWS_149: the default key is enough in an emulator.
  #checkov:skip=CKV2_AWS_57: no rotation for a throw-away secret.
  name                    = "zdd-moto-twin-db"
  recovery_window_in_days = 0
}

output "cluster_arn" {
  value = aws_ecs_cluster.this.arn
}

output "alb_security_group_id" {
  value = aws_security_group.alb.id
}

output "kms_key_arn" {
  value = aws_kms_key.logs.arn
}

output "execution_role_arn" {
  value = aws_iam_role.execution.arn
}

output "secret_arn" {
  value = aws_secretsmanager_secret.db.arn
}
