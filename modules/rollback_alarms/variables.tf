variable "name" {
  type        = string
  description = "Prefix of the alarm names, e.g. shop-prod-blue; zdd derives the names from it."
}

variable "load_balancer_arn_suffix" {
  type        = string
  description = "LoadBalancer dimension (the ARN suffix of the ALB)."
}

variable "target_group_arn_suffix" {
  type        = string
  description = "TargetGroup dimension (the ARN suffix of this colour's target group)."
}

variable "period_seconds" {
  type        = number
  description = "Period of every alarm: 10, 20, 30 or a multiple of 60."
}

variable "evaluation_periods" {
  type        = number
  description = "Periods each alarm evaluates."
}

variable "datapoints_to_alarm" {
  type        = number
  description = "Breaching datapoints (M of N) that fire an alarm; null means all of them."
  default     = null
}

variable "error_rate_percent" {
  type        = number
  description = "Share of requests answered 5xx by the targets that fires the rate alarm."
}

variable "p99_latency_seconds" {
  type        = number
  description = "p99 target response time that fires the latency alarm."
}

variable "unhealthy_hosts" {
  type        = number
  description = "Unhealthy targets that fire the health alarm."
}

variable "alarm_actions" {
  type        = list(string)
  description = "ARNs notified when an alarm fires (SNS topics); zdd polls the state itself."
  default     = []
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every alarm."
  default     = {}
}
