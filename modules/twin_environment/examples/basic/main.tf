# One colour of a service: its target group, ECS service, task definition, logs and
# autoscaling. zdd renders two of these (blue and green) behind one weighted_alb.

locals {
  # From the load balancer (module weighted_alb) and the shared resources of the stack.
  cluster_arn           = "arn:aws:ecs:eu-west-1:123456789012:cluster/shop-prod"
  alb_security_group_id = "sg-0123456789abcdef0"
  listener_arn          = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop-prod/0123456789abcdef/0123456789abcdef"
  execution_role_arn    = "arn:aws:iam::123456789012:role/shop-prod-exec"
  kms_key_arn           = "arn:aws:kms:eu-west-1:123456789012:key/0f2a8c3e-1b4d-4e6f-9a7b-5c3d2e1f0a9b"
}

module "green" {
  source = "../../"

  name                  = "shop-prod-green"
  colour                = "green"
  target_group_name     = "shop-prod-green"
  cluster_arn           = local.cluster_arn
  vpc_id                = "vpc-0123456789abcdef0"
  subnet_ids            = ["subnet-0123456789abcdef1", "subnet-0123456789abcdef2"]
  alb_security_group_id = local.alb_security_group_id
  listener_arn          = local.listener_arn
  execution_role_arn    = local.execution_role_arn
  kms_key_arn           = local.kms_key_arn
  log_retention_days    = 365

  image          = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop"
  image_tag      = "1.4.2"
  container_port = 8080
  cpu            = 512
  memory         = 1024
  environment    = { LOG_LEVEL = "info" }

  desired_count      = 2
  min_capacity       = 2
  max_capacity       = 6
  cpu_target_percent = 60

  health_check = {
    path                = "/healthz"
    interval_seconds    = 15
    timeout_seconds     = 5
    healthy_threshold   = 3
    unhealthy_threshold = 3
    matcher             = "200-299"
  }
}

output "target_group_arn" {
  description = "Goes into weighted_alb's target_group_arns."
  value       = module.green.target_group_arn
}
