output "load_balancer_arn" {
  description = "ARN of the load balancer."
  value       = aws_lb.this.arn
}

output "load_balancer_arn_suffix" {
  description = "ARN suffix of the load balancer, the LoadBalancer dimension of its metrics."
  value       = aws_lb.this.arn_suffix
}

output "load_balancer_dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "security_group_id" {
  description = "Security group of the load balancer; targets allow traffic from it."
  value       = aws_security_group.alb.id
}

output "listener_arn" {
  description = "Production listener, whose forward weights zdd shifts."
  value       = aws_lb_listener.production.arn
}

output "test_listener_arn" {
  description = "Test listener, which always forwards to the idle colour."
  value       = aws_lb_listener.test.arn
}
