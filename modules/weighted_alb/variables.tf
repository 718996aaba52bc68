variable "name" {
  type        = string
  description = "Name of the load balancer (at most 32 characters)."
}

variable "internal" {
  type        = bool
  description = "Whether the load balancer is internal rather than internet-facing."
  default     = false
}

variable "vpc_id" {
  type        = string
  description = "VPC of the load balancer and its security group."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Subnets in at least two availability zones."
}

variable "allowed_cidrs" {
  type        = list(string)
  description = "CIDR blocks allowed to reach the listeners."
}

variable "protocol" {
  type        = string
  description = "Protocol of the production and test listeners: HTTP or HTTPS."

  validation {
    condition     = contains(["HTTP", "HTTPS"], var.protocol)
    error_message = "The protocol must be HTTP or HTTPS."
  }
}

variable "port" {
  type        = number
  description = "Port of the production listener."
}

variable "test_listener_port" {
  type        = number
  description = "Port of the test listener, which always forwards to the idle colour."
}

variable "redirect_http_port" {
  type        = number
  description = "With HTTPS, a port on which plain HTTP is redirected to HTTPS; null for none."
  default     = null
}

variable "certificate_arn" {
  type        = string
  description = "ACM certificate of the HTTPS listeners; null with HTTP."
  default     = null
}

variable "ssl_policy" {
  type        = string
  description = "TLS negotiation policy of the HTTPS listeners."
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "deletion_protection" {
  type        = bool
  description = "Whether the load balancer is protected against deletion."
  default     = true
}

variable "idle_timeout" {
  type        = number
  description = "Connection idle timeout in seconds."
  default     = 60
}

variable "access_logs" {
  type = object({
    enabled = bool
    bucket  = string
    prefix  = string
  })
  description = "Access logs in S3; bucket may be null when disabled."
  default = {
    enabled = false
    bucket  = null
    prefix  = ""
  }
}

variable "target_group_arns" {
  type        = map(string)
  description = "Target group ARN of each colour: keys blue and green."
}

variable "live_colour" {
  type        = string
  description = "Colour that takes all production traffic when the listener is created."

  validation {
    condition     = contains(["blue", "green"], var.live_colour)
    error_message = "The live colour must be blue or green."
  }
}

variable "stickiness" {
  type = object({
    enabled          = bool
    duration_seconds = number
  })
  description = "Target group stickiness of the weighted forward action."
  default = {
    enabled          = false
    duration_seconds = 3600
  }
}

variable "web_acl_arn" {
  type        = string
  description = "WAFv2 web ACL to associate with the load balancer; null for none."
  default     = null
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every resource."
  default     = {}
}
