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

  # Autoscaling addresses the service as service/CLUSTER/SERVICE, CLUSTER taken from here.
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9_-]{1,255}$", var.cluster_arn))
    error_message = "The cluster_arn must be an ECS cluster ARN: arn:aws:ecs:REGION:ACCOUNT:cluster/NAME."
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC of the service."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Subnets of the tasks: private ones with a route to the image registry, not necessarily the load balancer's."

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "Give at least one subnet for the tasks."
  }
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

variable "command" {
  type        = list(string)
  description = "Container command, overriding the image's CMD; null keeps the image's own."
  default     = null
}

variable "entry_point" {
  type        = list(string)
  description = "Container entry point, overriding the image's ENTRYPOINT; null keeps the image's own."
  default     = null
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
  description = "Retention of the container log group, in days (0: never expire)."
  default     = 365

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The log_retention_days must be a value CloudWatch Logs accepts: 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
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

variable "deregistration_delay" {
  type        = number
  description = "Seconds the target group lets a deregistered task finish its requests (0-3600)."
  default     = 30

  validation {
    condition     = var.deregistration_delay >= 0 && var.deregistration_delay <= 3600 && floor(var.deregistration_delay) == var.deregistration_delay
    error_message = "The deregistration_delay must be a whole number of seconds from 0 to 3600."
  }
}

variable "health_check_grace_period_seconds" {
  type        = number
  description = "Seconds ECS ignores the load balancer's health checks of a new task while it starts."
  default     = 60

  validation {
    condition     = var.health_check_grace_period_seconds >= 0 && var.health_check_grace_period_seconds <= 2147483647 && floor(var.health_check_grace_period_seconds) == var.health_check_grace_period_seconds
    error_message = "The health_check_grace_period_seconds must be a whole number of seconds, 0 or more."
  }
}

variable "readonly_root_filesystem" {
  type        = bool
  description = "Whether the container's root filesystem is read-only; give it writable scratch_paths."
  default     = true
}

variable "scratch_paths" {
  type        = list(string)
  description = "Container paths mounted as writable, empty, per-task volumes, e.g. /tmp, /var/cache/nginx and /var/run for nginx."
  default     = ["/tmp"]

  validation {
    condition     = alltrue([for path in var.scratch_paths : can(regex("^/[^/]", path)) && !endswith(path, "/")]) && length(distinct(var.scratch_paths)) == length(var.scratch_paths)
    error_message = "Each of scratch_paths must be a distinct absolute path other than / with no trailing slash, such as /tmp."
  }
}

variable "task_role_arn" {
  type        = string
  description = "IAM role the application runs as; null creates one per colour, allowed only task_role_policy_arns."
  default     = null

  validation {
    condition     = var.task_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.task_role_arn))
    error_message = "The task_role_arn must be an IAM role ARN, or null."
  }
}

variable "task_role_policy_arns" {
  type        = list(string)
  description = "Managed policies attached to the task role the module creates (ignored with task_role_arn)."
  default     = []

  validation {
    condition     = alltrue([for arn in var.task_role_policy_arns : can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", arn))])
    error_message = "Each of task_role_policy_arns must be an IAM policy ARN."
  }
}

variable "secrets" {
  type        = map(string)
  description = "Container environment variables read at start from Secrets Manager or SSM Parameter Store: name -> ARN. The execution role may read exactly these."
  default     = {}

  validation {
    condition     = alltrue([for name in keys(var.secrets) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", name))])
    error_message = "Each name in secrets must be an environment variable name: letters, digits and _, not starting with a digit."
  }

  # A complete Secrets Manager ARN ends in -XXXXXX (6 characters AWS adds), then
  # optionally :json-key:version-stage:version-id; IAM needs that complete ARN.
  validation {
    condition = alltrue([
      for arn in values(var.secrets) :
      can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}(:[^:]*:[^:]*:[^:]*)?$", arn))
      || can(regex("^arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/.+$", arn))
    ])
    error_message = "Each value in secrets must be a complete Secrets Manager secret ARN (ending in -XXXXXX, optionally :json-key:stage:version) or an SSM parameter ARN."
  }
}

variable "secrets_kms_key_arns" {
  type        = list(string)
  description = "Customer managed KMS keys encrypting the secrets; the execution role may decrypt with them. Not needed for AWS managed keys."
  default     = []

  validation {
    condition     = alltrue([for arn in var.secrets_kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", arn))])
    error_message = "Each of secrets_kms_key_arns must be a KMS key ARN."
  }
}

variable "egress_rules" {
  type = list(object({
    description       = optional(string)
    protocol          = optional(string, "tcp")
    from_port         = optional(number)
    to_port           = optional(number)
    cidr_ipv4         = optional(string)
    cidr_ipv6         = optional(string)
    prefix_list_id    = optional(string)
    security_group_id = optional(string)
  }))
  description = "Where tasks may connect: protocol (tcp, udp, icmp or -1 for all), port range, and one destination (cidr_ipv4, cidr_ipv6, prefix_list_id or security_group_id)."
  default = [{
    description = "HTTPS out, to pull images and reach AWS APIs"
    protocol    = "tcp"
    from_port   = 443
    to_port     = 443
    cidr_ipv4   = "0.0.0.0/0"
  }]

  validation {
    condition     = alltrue([for rule in var.egress_rules : contains(["tcp", "udp", "icmp", "-1"], rule.protocol)])
    error_message = "The protocol of each egress rule must be tcp, udp, icmp or -1 (all)."
  }

  validation {
    condition = alltrue([
      for rule in var.egress_rules :
      rule.protocol == "-1" ? rule.from_port == null && rule.to_port == null : (
        rule.from_port != null && rule.to_port != null
        ? rule.from_port >= -1 && rule.to_port <= 65535 && rule.from_port <= rule.to_port
        : false
      )
    ])
    error_message = "Each egress rule needs from_port <= to_port within 0-65535 (ICMP: type and code), and none with protocol -1."
  }

  validation {
    condition = alltrue([
      for rule in var.egress_rules :
      length([for d in [rule.cidr_ipv4, rule.cidr_ipv6, rule.prefix_list_id, rule.security_group_id] : d if d != null]) == 1
    ])
    error_message = "Each egress rule needs exactly one destination: cidr_ipv4, cidr_ipv6, prefix_list_id or security_group_id."
  }

  validation {
    condition = alltrue([
      for rule in var.egress_rules :
      (rule.cidr_ipv4 == null || can(cidrnetmask(rule.cidr_ipv4)))
      && (rule.cidr_ipv6 == null || (can(cidrhost(rule.cidr_ipv6, 0)) && can(regex(":", rule.cidr_ipv6))))
    ])
    error_message = "An egress rule's cidr_ipv4 must be an IPv4 CIDR block and its cidr_ipv6 an IPv6 one."
  }
}
