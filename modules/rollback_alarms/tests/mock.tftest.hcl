# Fast checks with a mocked AWS provider: `terraform test` (no account, no network).
# The run against moto_server is in tests/moto/ (terraform test -test-directory=tests/moto).

mock_provider "aws" {}

variables {
  name                     = "shop-test-green"
  load_balancer_arn_suffix = "app/shop-test/0123456789abcdef"
  target_group_arn_suffix  = "targetgroup/shop-test-green/0000000000000002"
  period_seconds           = 60
  evaluation_periods       = 3
  datapoints_to_alarm      = 2
  error_rate_percent       = 5
  p99_latency_seconds      = 1.5
  unhealthy_hosts          = 1
}

run "names_and_thresholds" {
  assert {
    condition     = output.alarm_names == ["shop-test-green-5xx-rate", "shop-test-green-p99-latency", "shop-test-green-unhealthy-hosts"]
    error_message = "zdd derives the alarm names from the prefix, in this order."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.error_rate.threshold == 5 && aws_cloudwatch_metric_alarm.error_rate.comparison_operator == "GreaterThanThreshold" && aws_cloudwatch_metric_alarm.error_rate.treat_missing_data == "notBreaching"
    error_message = "The 5xx rate alarm fires above the percentage; no traffic is no error."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.p99_latency.threshold == 1.5 && aws_cloudwatch_metric_alarm.p99_latency.extended_statistic == "p99"
    error_message = "The latency alarm watches p99 against the given seconds."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.unhealthy_hosts.comparison_operator == "GreaterThanOrEqualToThreshold" && aws_cloudwatch_metric_alarm.unhealthy_hosts.treat_missing_data == "breaching"
    error_message = "Silence from the health metric counts as breaching."
  }

  assert {
    condition     = alltrue([for a in [aws_cloudwatch_metric_alarm.error_rate, aws_cloudwatch_metric_alarm.p99_latency, aws_cloudwatch_metric_alarm.unhealthy_hosts] : a.evaluation_periods == 3 && a.datapoints_to_alarm == 2])
    error_message = "Every alarm fires on 2 of 3 periods."
  }

  assert {
    condition     = alltrue([for q in aws_cloudwatch_metric_alarm.error_rate.metric_query : q.metric[0].dimensions == tomap({ LoadBalancer = var.load_balancer_arn_suffix, TargetGroup = var.target_group_arn_suffix }) if length(q.metric) > 0])
    error_message = "The metrics are this colour's target group behind this load balancer."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.error_rate.alarm_actions) == 0 && length(aws_cloudwatch_metric_alarm.error_rate.ok_actions) == 0
    error_message = "No notifications unless asked."
  }
}

run "notifies_on_alarm_and_on_ok" {
  variables {
    alarm_actions       = ["arn:aws:sns:eu-west-1:123456789012:shop-releases"]
    datapoints_to_alarm = null
  }

  assert {
    condition = alltrue([
      for a in [aws_cloudwatch_metric_alarm.error_rate, aws_cloudwatch_metric_alarm.p99_latency, aws_cloudwatch_metric_alarm.unhealthy_hosts] :
      a.alarm_actions == toset(var.alarm_actions) && a.ok_actions == toset(var.alarm_actions)
    ])
    error_message = "The topics hear when an alarm fires and when it clears."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.error_rate.datapoints_to_alarm == 3
    error_message = "Without datapoints_to_alarm every evaluated period must breach."
  }
}

run "rejects_a_sub_minute_period" {
  command = plan

  variables {
    period_seconds = 30
  }

  expect_failures = [var.period_seconds]
}

run "rejects_a_period_not_a_multiple_of_60" {
  command = plan

  variables {
    period_seconds = 90
  }

  expect_failures = [var.period_seconds]
}

run "rejects_more_datapoints_than_periods" {
  command = plan

  variables {
    datapoints_to_alarm = 4
  }

  expect_failures = [aws_cloudwatch_metric_alarm.error_rate]
}

run "rejects_evaluating_more_than_a_day" {
  command = plan

  variables {
    period_seconds     = 3600
    evaluation_periods = 25
  }

  expect_failures = [aws_cloudwatch_metric_alarm.error_rate]
}

run "rejects_an_action_that_is_not_a_topic" {
  command = plan

  variables {
    alarm_actions = ["arn:aws:lambda:eu-west-1:123456789012:function:page-me"]
  }

  expect_failures = [var.alarm_actions]
}

run "rejects_an_error_rate_over_100_percent" {
  command = plan

  variables {
    error_rate_percent = 150
  }

  expect_failures = [var.error_rate_percent]
}
