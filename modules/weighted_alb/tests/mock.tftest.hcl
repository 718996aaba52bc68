# Fast checks with a mocked AWS provider: `terraform test` (no account, no network).
# The run against moto_server is in tests/moto/ (terraform test -test-directory=tests/moto).

mock_provider "aws" {
  mock_data "aws_vpc" {
    defaults = {
      cidr_block      = "10.42.0.0/16"
      ipv6_cidr_block = "2001:db8:42::/56"
      cidr_block_associations = [
        { association_id = "vpc-cidr-assoc-1", cidr_block = "10.42.0.0/16", state = "associated" },
        { association_id = "vpc-cidr-assoc-2", cidr_block = "100.64.0.0/20", state = "associated" },
      ]
    }
  }

  mock_resource "aws_lb" {
    defaults = {
      arn        = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop-test/0123456789abcdef"
      arn_suffix = "app/shop-test/0123456789abcdef"
      dns_name   = "shop-test-1.eu-west-1.elb.amazonaws.com"
    }
  }
}

variables {
  name               = "shop-test"
  vpc_id             = "vpc-0123456789abcdef0"
  subnet_ids         = ["subnet-0123456789abcdef1", "subnet-0123456789abcdef2"]
  allowed_cidrs      = ["10.0.0.0/8"]
  protocol           = "HTTP"
  port               = 80
  test_listener_port = 8080
  live_colour        = "blue"
  target_group_arns = {
    blue  = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-test-blue/0000000000000001"
    green = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-test-green/0000000000000002"
  }
}

run "blue_live" {
  assert {
    condition = {
      for tg in aws_lb_listener.production.default_action[0].forward[0].target_group : tg.arn => tg.weight
      } == {
      (var.target_group_arns.blue)  = 100
      (var.target_group_arns.green) = 0
    }
    error_message = "The production listener starts with all weight on the live colour."
  }

  assert {
    condition     = aws_lb_listener.test.default_action[0].target_group_arn == var.target_group_arns.green
    error_message = "The test listener forwards to the idle colour."
  }

  assert {
    condition     = toset(keys(aws_vpc_security_group_ingress_rule.listener)) == toset(["80-10.0.0.0/8", "8080-10.42.0.0/16", "8080-100.64.0.0/20"])
    error_message = "Production from allowed_cidrs; the test listener only from the VPC's own CIDR blocks."
  }

  assert {
    condition     = length(aws_wafv2_web_acl_association.this) == 0 && length(aws_lb_listener.redirect) == 0
    error_message = "No web ACL and no redirect unless asked."
  }
}

# zdd owns the weights after creation: a changed live_colour (or a shift zdd made)
# is never undone by Terraform.
run "weights_are_ignored_after_creation" {
  variables {
    live_colour = "green"
  }

  assert {
    condition = {
      for tg in aws_lb_listener.production.default_action[0].forward[0].target_group : tg.arn => tg.weight
      } == {
      (var.target_group_arns.blue)  = 100
      (var.target_group_arns.green) = 0
    }
    error_message = "Terraform left the listener's weights alone (lifecycle.ignore_changes)."
  }

  assert {
    condition     = aws_lb_listener.test.default_action[0].target_group_arn == var.target_group_arns.green
    error_message = "Terraform left the test listener's target alone too."
  }
}

run "https_with_redirect_waf_and_a_test_allow_list" {
  variables {
    protocol            = "HTTPS"
    port                = 443
    test_listener_port  = 8443
    redirect_http_port  = 80
    certificate_arn     = "arn:aws:acm:eu-west-1:123456789012:certificate/0f2a8c3e-1b4d-4e6f-9a7b-5c3d2e1f0a9b"
    allowed_cidrs       = ["0.0.0.0/0"]
    test_listener_cidrs = ["192.0.2.0/24"]
    web_acl_arn         = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shop/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
  }

  assert {
    condition     = toset(keys(aws_vpc_security_group_ingress_rule.listener)) == toset(["443-0.0.0.0/0", "80-0.0.0.0/0", "8443-192.0.2.0/24"])
    error_message = "The test listener is open to test_listener_cidrs only, not to allowed_cidrs."
  }

  assert {
    condition     = aws_lb_listener.production.ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06" && aws_lb_listener.redirect[0].default_action[0].redirect[0].protocol == "HTTPS"
    error_message = "HTTPS with TLS 1.2+ and an HTTP redirect."
  }

  assert {
    condition     = aws_wafv2_web_acl_association.this[0].web_acl_arn == var.web_acl_arn
    error_message = "The web ACL is associated with the load balancer."
  }
}

run "ipv6_clients_with_dualstack" {
  variables {
    ip_address_type = "dualstack"
    allowed_cidrs   = ["0.0.0.0/0", "::/0"]
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.listener["80-::/0"].cidr_ipv6 == "::/0" && aws_vpc_security_group_ingress_rule.listener["80-::/0"].cidr_ipv4 == null
    error_message = "An IPv6 CIDR becomes an IPv6 rule."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.listener["8080-2001:db8:42::/56"].cidr_ipv6 == "2001:db8:42::/56"
    error_message = "With dualstack the test listener is open to the VPC's IPv6 block too."
  }

  assert {
    condition     = aws_lb.this.ip_address_type == "dualstack"
    error_message = "The load balancer takes IPv6 clients."
  }
}

run "rejects_ipv6_without_dualstack" {
  command = plan

  variables {
    allowed_cidrs = ["2001:db8::/32"]
  }

  expect_failures = [aws_lb.this]
}

run "rejects_what_is_not_a_cidr" {
  command = plan

  variables {
    allowed_cidrs = ["10.0.0.0/33"]
  }

  expect_failures = [var.allowed_cidrs]
}

run "rejects_a_single_subnet" {
  command = plan

  variables {
    subnet_ids = ["subnet-0123456789abcdef1"]
  }

  expect_failures = [var.subnet_ids]
}

run "rejects_a_global_web_acl" {
  command = plan

  variables {
    web_acl_arn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/shop/a1b2c3d4"
  }

  expect_failures = [var.web_acl_arn]
}
