# The DynamoDB table zdd keeps its journals and listener locks in, shared by every CI
# runner that shifts traffic (`store: {url: dynamodb://shop-zdd}` in the environment).

# The table gets a KMS key of its own (create_kms_key); AWS refuses to delete it
# while deletion_protection is on (the default).
module "deployment_store" {
  source = "../../"

  table_name = "shop-zdd"

  tags = {
    team = "platform"
  }
}

output "table_name" {
  description = "Use it as store.url: dynamodb://NAME."
  value       = module.deployment_store.table_name
}
