variable "bucket" {
  type        = string
  description = "Name of the S3 bucket holding Terraform state (one key per environment)."
}

variable "lock_table" {
  type        = string
  description = "Name of the DynamoDB table Terraform uses for state locking."
}

variable "access_log_bucket" {
  type        = string
  description = "Existing bucket that receives the state bucket's access logs."
}

variable "noncurrent_version_days" {
  type        = number
  description = "Days a superseded state version is kept."
  default     = 90
}

variable "deletion_protection" {
  type        = bool
  description = "Whether AWS refuses to delete the lock table (Terraform also refuses: prevent_destroy)."
  default     = true
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every resource."
  default     = {}
}
