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
  description = "Subnets of the load balancer, in at least two availability zones (public ones when internet-facing); independent of the tasks' subnets."

  validation {
    condition     = length(var.subnet_ids) >= 2 && length(distinct(var.subnet_ids)) == length(var.subnet_ids)
    error_message = "An Application Load Balancer needs at least two distinct subnets, in different availability zones."
  }
}

variable "allowed_cidrs" {
  type        = list(string)
  description = "CIDR blocks (IPv4, or IPv6 with ip_address_type = dualstack) allowed to reach the production listener and the HTTP redirect."

  validation {
    condition     = alltrue([for cidr in var.allowed_cidrs : can(cidrhost(cidr, 0))])
    error_message = "Each of allowed_cidrs must be a CIDR block, such as 10.0.0.0/8 or 2001:db8::/32."
  }
}

variable "test_listener_cidrs" {
  type        = list(string)
  description = "CIDR blocks allowed to reach the test listener (always the idle colour); null means the VPC's own CIDR blocks, closed to the outside."
  default     = null

  validation {
    condition     = var.test_listener_cidrs == null || alltrue([for cidr in coalesce(var.test_listener_cidrs, []) : can(cidrhost(cidr, 0))])
    error_message = "Each of test_listener_cidrs must be a CIDR block, such as 10.0.0.0/16."
  }
}

variable "ip_address_type" {
  type        = string
  description = "ipv4, or dualstack to take IPv6 clients too (the subnets need IPv6 CIDR blocks)."
  default     = "ipv4"

  validation {
    condition     = contains(["ipv4", "dualstack"], var.ip_address_type)
    error_message = "The ip_address_type must be ipv4 or dualstack."
  }
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
  description = "WAFv2 web ACL (regional) to associate with the load balancer; null for none."
  default     = null

  validation {
    condition     = var.web_acl_arn == null || can(regex("^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/.+$", var.web_acl_arn))
    error_message = "The web_acl_arn must be the ARN of a regional WAFv2 web ACL, or null."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every resource."
  default     = {}
}
