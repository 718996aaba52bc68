# `zdd warden` in the account: EventBridge Scheduler invokes a Lambda function every
# minute; each invocation is one pass over the journal table (see the README for why a
# Lambda function and not an ECS task). Nothing else runs, so nothing else is allowed.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
  arn     = "arn:${data.aws_partition.current.partition}"
  table   = "${local.arn}:dynamodb:${data.aws_region.current.name}:${local.account}:table/${var.table_name}"
  # A listener's rules live under listener-rule/app/..., beside its listener/app/...
  rules = [for arn in var.listener_arns : replace("${arn}/*", ":listener/", ":listener-rule/")]
  alarms = [
    for prefix in var.alarm_name_prefixes :
    "${local.arn}:cloudwatch:${data.aws_region.current.name}:${local.account}:alarm:${prefix}*"
  ]
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158: encrypted with kms_key_arn when one is given; AWS-managed otherwise.
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "assume_lambda" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  name               = "${var.name}-fn"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
  tags               = var.tags
}

data "aws_iam_policy_document" "function" {
  #checkov:skip=CKV_AWS_356: Describe* and GetMetricData take no resource-level permissions.
  #checkov:skip=CKV_AWS_111: writes are limited to the table, the listeners and the log group.
  statement {
    sid = "Journal"
    actions = [
      "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Scan",
      "dynamodb:BatchGetItem", "dynamodb:TransactWriteItems", "dynamodb:DescribeTable",
    ]
    resources = [local.table]
  }

  statement {
    sid       = "MoveWeightsBack"
    actions   = ["elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyRule"]
    resources = concat(var.listener_arns, local.rules)
  }

  statement {
    sid = "Read"
    actions = [
      "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules",
      "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeTargetGroups",
      "cloudwatch:GetMetricData",
    ]
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = length(local.alarms) > 0 ? [1] : []
    content {
      sid       = "Alarms"
      actions   = ["cloudwatch:DescribeAlarms"]
      resources = local.alarms
    }
  }

  dynamic "statement" {
    for_each = var.table_kms_key_arn != null ? [1] : []
    content {
      sid       = "JournalKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [var.table_kms_key_arn]
    }
  }

  dynamic "statement" {
    for_each = length(var.notify_topic_arns) > 0 ? [1] : []
    content {
      sid       = "NotifyTopics"
      actions   = ["sns:Publish"]
      resources = var.notify_topic_arns
    }
  }

  dynamic "statement" {
    for_each = length(var.notify_bus_arns) > 0 ? [1] : []
    content {
      sid       = "NotifyBuses"
      actions   = ["events:PutEvents"]
      resources = var.notify_bus_arns
    }
  }

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  statement {
    sid       = "Traces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "function" {
  name   = "zdd-warden"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116: invoked by a schedule; a failed pass is retried by the next tick and alarmed on.
  #checkov:skip=CKV_AWS_117: talks to AWS APIs only; a VPC would need endpoints or a NAT for each.
  #checkov:skip=CKV_AWS_272: the zip is built from locked wheels by `make warden-zip`, not signed.
  #checkov:skip=CKV_AWS_173: environment variables hold the table name only, no secret.
  function_name                  = var.name
  role                           = aws_iam_role.function.arn
  runtime                        = "python3.11"
  handler                        = "generator.rollout.warden.handler"
  filename                       = var.package_path
  source_code_hash               = filebase64sha256(var.package_path)
  timeout                        = var.timeout_seconds
  memory_size                    = 512
  reserved_concurrent_executions = 1 # one pass at a time; the lease would sort out two anyway
  kms_key_arn                    = var.kms_key_arn
  tags                           = var.tags

  environment {
    variables = {
      ZDD_WARDEN_STORE = "dynamodb://${var.table_name}"
    }
  }

  tracing_config {
    mode = "Active"
  }

  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.function]
}

data "aws_iam_policy_document" "assume_scheduler" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.name}-sched"
  assume_role_policy = data.aws_iam_policy_document.assume_scheduler.json
  tags               = var.tags
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.this.arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "invoke-zdd-warden"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule" "this" {
  #checkov:skip=CKV_AWS_297: encrypted with kms_key_arn when one is given; the schedule holds no secret.
  name                = var.name
  kms_key_arn         = var.kms_key_arn
  schedule_expression = var.schedule_expression

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_lambda_function.this.arn
    role_arn = aws_iam_role.scheduler.arn

    retry_policy {
      maximum_retry_attempts = 0 # the next tick is the retry
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "${var.name}-errors"
  alarm_description   = "zdd warden: a pass failed; an orphaned release may still be split."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  tags                = var.tags
}
