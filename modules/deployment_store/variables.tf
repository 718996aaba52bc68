variable "table_name" {
  type        = string
  description = "Name of the DynamoDB table holding zdd's journals and listener locks."
}

variable "create_kms_key" {
  type        = bool
  description = "Create a KMS key for the journal alone (then kms_key_arn is not used); false to use kms_key_arn."
  default     = true
}

variable "kms_key_arn" {
  type        = string
  description = "Existing KMS key encrypting the table, used with create_kms_key = false."
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "The kms_key_arn must be a KMS key ARN, or null."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Whether AWS refuses to delete the table (the journal and the listener locks)."
  default     = true
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to the table."
  default     = {}
}
