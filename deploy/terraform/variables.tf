variable "region" {
  description = "AWS region; pick the one closest to the venue's validators."
  type        = string
}

variable "environment" {
  description = "Deployment name, used in every resource name (e.g. testnet, production)."
  type        = string
  default     = "production"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.environment))
    error_message = "environment must be lower-case letters, digits and dashes, 2 to 21 characters."
  }
}

variable "vpc_cidr" {
  description = "Address range of the VPC."
  type        = string
  default     = "10.40.0.0/16"
}

variable "availability_zones" {
  description = "Zones for the nodes and the Redis replicas (at least two, for failover)."
  type        = list(string)
  default     = []
}

variable "kubernetes_version" {
  description = "EKS control-plane version (deploy/kubernetes is validated against it)."
  type        = string
  default     = "1.31"
}

variable "node_instance_type" {
  description = "Instance type of the nodes; compute-optimised, one daemon per node (anti-affinity)."
  type        = string
  default     = "c6i.large"
}

variable "node_count" {
  description = "Nodes: at least the number of market shards (Deployment replicas) plus one for drains."
  type        = number
  default     = 3

  validation {
    condition     = var.node_count >= 2
    error_message = "node_count must be at least 2, so that a drained node's daemon has somewhere to go."
  }
}

variable "redis_node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.t4g.small"
}

variable "redis_engine_version" {
  description = "Redis engine version (streams and AOF-equivalent durability need >= 7)."
  type        = string
  default     = "7.1"
}

variable "redis_replicas" {
  description = "Read replicas beside the primary (automatic failover needs at least one)."
  type        = number
  default     = 1
}
