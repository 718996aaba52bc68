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
  description = "Period of every alarm, a multiple of 60: ALB metrics are published once a minute."

  validation {
    condition     = var.period_seconds >= 60 && var.period_seconds % 60 == 0
    error_message = "The period_seconds must be a multiple of 60 (60, 120, 300...): ALB metrics have one-minute resolution."
  }
}

variable "evaluation_periods" {
  type        = number
  description = "Periods each alarm evaluates."

  validation {
    condition     = var.evaluation_periods >= 1 && floor(var.evaluation_periods) == var.evaluation_periods
    error_message = "The evaluation_periods must be a whole number, 1 or more."
  }
}

variable "datapoints_to_alarm" {
  type        = number
  description = "Breaching datapoints (M of N) that fire an alarm; null means all of them."
  default     = null

  validation {
    condition     = var.datapoints_to_alarm == null || (coalesce(var.datapoints_to_alarm, 1) >= 1 && floor(coalesce(var.datapoints_to_alarm, 1)) == coalesce(var.datapoints_to_alarm, 1))
    error_message = "The datapoints_to_alarm must be a whole number, 1 or more, or null."
  }
}

variable "error_rate_percent" {
  type        = number
  description = "Share of requests answered 5xx by the targets that fires the rate alarm."

  validation {
    condition     = var.error_rate_percent > 0 && var.error_rate_percent <= 100
    error_message = "The error_rate_percent must be above 0 and at most 100."
  }
}

variable "p99_latency_seconds" {
  type        = number
  description = "p99 target response time that fires the latency alarm."

  validation {
    condition     = var.p99_latency_seconds > 0
    error_message = "The p99_latency_seconds must be above 0."
  }
}

variable "unhealthy_hosts" {
  type        = number
  description = "Unhealthy targets that fire the health alarm."

  validation {
    condition     = var.unhealthy_hosts >= 1
    error_message = "The unhealthy_hosts must be 1 or more."
  }
}

variable "alarm_actions" {
  type        = list(string)
  description = "SNS topics notified when an alarm fires (ALARM) and when it clears (OK); zdd polls the state itself."
  default     = []

  validation {
    condition     = alltrue([for arn in var.alarm_actions : can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]{1,256}$", arn))])
    error_message = "Each of alarm_actions must be an SNS topic ARN."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every alarm."
  default     = {}
}
