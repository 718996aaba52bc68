output "target_group_arn" {
  description = "ARN of this colour's target group."
  value       = aws_lb_target_group.this.arn
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the target group, the TargetGroup dimension of its metrics."
  value       = aws_lb_target_group.this.arn_suffix
}

output "service_name" {
  description = "Name of the ECS service."
  value       = aws_ecs_service.this.name
}

output "security_group_id" {
  description = "Security group of the tasks."
  value       = aws_security_group.tasks.id
}

output "image" {
  description = "Image reference (repository:tag) of this colour's task definition."
  value       = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].image
}

output "task_definition_arn" {
  description = "Task definition revision Terraform last applied."
  value       = aws_ecs_task_definition.this.arn
}

output "task_role_arn" {
  description = "Role the application runs as: task_role_arn, or the one the module created."
  value       = local.task_role_arn
}
