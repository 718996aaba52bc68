# The three alarms that guard one colour: zdd rolls a release back when one fires.
# The dimensions are the ARN suffixes of the load balancer and of the colour's target group.

module "alarms_green" {
  source = "../../"

  name                     = "shop-prod-green"
  load_balancer_arn_suffix = "app/shop-prod/0123456789abcdef"
  target_group_arn_suffix  = "targetgroup/shop-prod-green/0123456789abcdef"
  period_seconds           = 60
  evaluation_periods       = 3
  datapoints_to_alarm      = 2
  error_rate_percent       = 1
  p99_latency_seconds      = 0.8
  unhealthy_hosts          = 1
  alarm_actions            = ["arn:aws:sns:eu-west-1:123456789012:shop-oncall"]
}

output "alarm_names" {
  description = "What zdd watches for this colour (the stack's alarm_names output)."
  value       = module.alarms_green.alarm_names
}
