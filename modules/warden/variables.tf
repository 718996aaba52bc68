variable "name" {
  type        = string
  description = "Name of the warden's function, roles, schedule, log group and alarm (e.g. shop-staging-zdd-warden)."

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,52}$", var.name))
    error_message = "The name must be 1-52 letters, digits, hyphens or underscores (role names add a suffix)."
  }
}

variable "package_path" {
  type        = string
  description = "Path of the Lambda zip built by `make warden-zip` (zdd and its dependencies)."
}

variable "table_name" {
  type        = string
  description = "DynamoDB table of zdd's journals and listener locks (store.url dynamodb://NAME) the warden watches."
}

variable "table_kms_key_arn" {
  type        = string
  description = "KMS key encrypting the table (the deployment_store module's kms_key_arn); null for an AWS-owned key."
  default     = null
}

variable "listener_arns" {
  type        = list(string)
  description = "Listeners whose weights the warden may move back (production listeners of the watched services)."

  validation {
    condition     = length(var.listener_arns) > 0
    error_message = "Give at least one listener ARN: the warden moves weights on nothing else."
  }
}

variable "alarm_name_prefixes" {
  type        = list(string)
  description = "Name prefixes of the alarms guarding the colours (e.g. shop-staging-), read when the warden resumes a release."
  default     = []
}

variable "notify_topic_arns" {
  type        = list(string)
  description = "SNS topics of the environments' notifications (webhooks.sns_topic_arns) the warden publishes to."
  default     = []
}

variable "notify_bus_arns" {
  type        = list(string)
  description = "EventBridge buses of the environments' notifications (webhooks.eventbridge_buses)."
  default     = []
}

variable "schedule_expression" {
  type        = string
  description = "How often the warden makes a pass: an EventBridge Scheduler expression."
  default     = "rate(1 minute)"
}

variable "timeout_seconds" {
  type        = number
  description = "Longest pass; a resumed release bakes within it, so keep it above the longest bake."
  default     = 900

  validation {
    condition     = var.timeout_seconds >= 10 && var.timeout_seconds <= 900
    error_message = "Lambda runs 10-900 seconds."
  }
}

variable "log_retention_days" {
  type        = number
  description = "How long the warden's logs are kept."
  default     = 365
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key for the warden's logs and environment variables; null for AWS-managed keys."
  default     = null
}

variable "alarm_actions" {
  type        = list(string)
  description = "Where the alarm on the warden's own failures notifies (SNS topic ARNs)."
  default     = []
}

variable "tags" {
  type        = map(string)
  description = "Tags on every resource."
  default     = {}
}
