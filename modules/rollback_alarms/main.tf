locals {
  dimensions = {
    LoadBalancer = var.load_balancer_arn_suffix
    TargetGroup  = var.target_group_arn_suffix
  }
  datapoints = var.datapoints_to_alarm == null ? var.evaluation_periods : var.datapoints_to_alarm
}

# 5xx answered by the targets, as a percentage of requests. With no requests
# (a colour at weight 0) the expression has no data: that is not an error.
resource "aws_cloudwatch_metric_alarm" "error_rate" {
  alarm_name          = "${var.name}-5xx-rate"
  alarm_description   = "zdd rollback: target 5xx above ${var.error_rate_percent}% of requests"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.error_rate_percent
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = local.datapoints
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags

  lifecycle {
    precondition {
      condition     = local.datapoints <= var.evaluation_periods
      error_message = "The datapoints_to_alarm cannot exceed evaluation_periods (M of N)."
    }

    precondition {
      condition     = var.period_seconds * var.evaluation_periods <= 86400
      error_message = "CloudWatch evaluates at most one day: period_seconds x evaluation_periods must be 86400 or less."
    }
  }

  metric_query {
    id          = "rate"
    expression  = "IF(requests > 0, 100 * errors / requests, 0)"
    label       = "Target 5xx rate (%)"
    return_data = true
  }

  metric_query {
    id = "errors"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = local.dimensions
      period      = var.period_seconds
      stat        = "Sum"
    }
  }

  metric_query {
    id = "requests"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = local.dimensions
      period      = var.period_seconds
      stat        = "Sum"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "p99_latency" {
  alarm_name          = "${var.name}-p99-latency"
  alarm_description   = "zdd rollback: p99 target response time above ${var.p99_latency_seconds}s"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = local.dimensions
  extended_statistic  = "p99"
  period              = var.period_seconds
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.p99_latency_seconds
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = local.datapoints
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}

# The ALB reports host counts for every attached target group each minute, at
# any weight; silence means zdd cannot see health, so it counts as breaching.
resource "aws_cloudwatch_metric_alarm" "unhealthy_hosts" {
  alarm_name          = "${var.name}-unhealthy-hosts"
  alarm_description   = "zdd rollback: ${var.unhealthy_hosts} or more unhealthy targets"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = local.dimensions
  statistic           = "Maximum"
  period              = var.period_seconds
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.unhealthy_hosts
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = local.datapoints
  treat_missing_data  = "breaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}
