variable "name" {
  type        = string
  description = "Prefix of this colour's resources, e.g. shop-prod-blue."
}

variable "colour" {
  type        = string
  description = "Colour of this environment: blue or green."

  validation {
    condition     = contains(["blue", "green"], var.colour)
    error_message = "The colour must be blue or green."
  }
}

variable "target_group_name" {
  type        = string
  description = "Name of the target group (at most 32 characters)."
}

variable "cluster_arn" {
  type        = string
  description = "ECS cluster that runs both colours."
}

variable "vpc_id" {
  type        = string
  description = "VPC of the service."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Subnets of the tasks (private subnets with a route to the image registry)."
}

variable "alb_security_group_id" {
  type        = string
  description = "Security group of the load balancer, the only source of inbound traffic."
}

variable "listener_arn" {
  type        = string
  description = "Production listener; the service is created after it so the target group is attached."
}

variable "image" {
  type        = string
  description = "Image repository without tag."
}

variable "image_tag" {
  type        = string
  description = "Image tag this colour runs."
}

variable "container_port" {
  type        = number
  description = "Port the container listens on."
}

variable "cpu" {
  type        = number
  description = "Fargate CPU units of a task."
}

variable "memory" {
  type        = number
  description = "Fargate memory of a task, MiB."
}

variable "environment" {
  type        = map(string)
  description = "Environment variables of the container."
  default     = {}
}

variable "desired_count" {
  type        = number
  description = "Tasks at creation; autoscaling owns the count afterwards."
}

variable "min_capacity" {
  type        = number
  description = "Autoscaling minimum."
}

variable "max_capacity" {
  type        = number
  description = "Autoscaling maximum."
}

variable "cpu_target_percent" {
  type        = number
  description = "Target CPU utilisation of the autoscaling policy."
  default     = 60
}

variable "health_check" {
  type = object({
    path                = string
    interval_seconds    = number
    timeout_seconds     = number
    healthy_threshold   = number
    unhealthy_threshold = number
    matcher             = string
  })
  description = "Target group health check."
}

variable "execution_role_arn" {
  type        = string
  description = "Role ECS uses to pull the image and write logs."
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the container log group."
  default     = 365
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key encrypting the container log group."
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every resource."
  default     = {}
}
