# A managed Kubernetes cluster (EKS) and a managed Redis (ElastiCache) for FlashMM, on AWS.
# terraform init && terraform apply -var region=eu-west-1; then deploy/kubernetes (docs/deploy.md).
terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = "flashmm"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}
