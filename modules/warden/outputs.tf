output "function_name" {
  description = "The warden's Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the warden's Lambda function."
  value       = aws_lambda_function.this.arn
}

output "schedule_name" {
  description = "The EventBridge Scheduler schedule that invokes it."
  value       = aws_scheduler_schedule.this.name
}

output "log_group_name" {
  description = "Where its passes are logged."
  value       = aws_cloudwatch_log_group.this.name
}

output "errors_alarm_name" {
  description = "Alarm on the warden's own failures (a release it could not end fails its pass)."
  value       = aws_cloudwatch_metric_alarm.errors.alarm_name
}

output "role_arn" {
  description = "The function's execution role (least privilege: the table, the listeners, the alarms)."
  value       = aws_iam_role.function.arn
}
