variable "project_id" {
  type        = string
  description = "Project of the metrics, alert policies and notification channel."
}

variable "alert_email" {
  type        = string
  description = "Email address the alerts go to."
}

variable "metric_prefix" {
  type        = string
  description = "Prefix of the log-based metric names."
  default     = "taskman"
}

variable "dead_letter_subscriptions" {
  type        = map(string)
  description = "Subscriptions holding dead-lettered Pub/Sub messages, by function; any backlog there alerts."
  default     = {}
}

variable "metric_propagation" {
  type        = string
  description = "How long the alert policies wait after their log-based metrics are created (Cloud Monitoring says up to 10 minutes); a duration such as 10m."
  default     = "10m"
}

variable "thresholds" {
  type = object({
    error_ratio        = optional(number, 0.05)
    upload_failures    = optional(number, 5)
    window_seconds     = optional(number, 300)
    auto_close_seconds = optional(number, 86400)
  })
  description = "Alert thresholds: share of requests answered 5xx, failed uploads per window, the window, and when an incident closes itself once quiet."
  default     = {}
}
