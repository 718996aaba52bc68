# Created once per account, before any environment: an S3 bucket for Terraform state
# and a DynamoDB table for its locks. Environments then set
# `state: {bucket: shop-terraform-state, lock_table: shop-terraform-locks}`.

module "state_backend" {
  source = "../../"

  bucket            = "shop-terraform-state"
  lock_table        = "shop-terraform-locks"
  access_log_bucket = "shop-access-logs"

  tags = {
    team = "platform"
  }
}

output "bucket" {
  description = "state.bucket of the environments."
  value       = module.state_backend.bucket
}

output "lock_table" {
  description = "state.lock_table of the environments."
  value       = module.state_backend.lock_table
}
