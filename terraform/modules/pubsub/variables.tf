variable "project_id" {
  type        = string
  description = "Project of the topics and subscriptions."
}

variable "region" {
  type        = string
  description = "Region of the Cloud Scheduler jobs."
}

variable "functions" {
  type = list(object({
    name  = string
    entry = string
    trigger = object({
      kind     = string
      method   = optional(string)
      path     = optional(string)
      topic    = optional(string)
      schedule = optional(string)
      event    = optional(string)
      bucket   = optional(string)
    })
    memory         = string
    timeoutSeconds = number
    secrets        = list(string)
    env            = map(string)
    auth           = optional(string)
  }))
  description = "The `functions` list of terraform/manifest.json, as written by `npm run manifest`."

  validation {
    condition     = alltrue([for f in var.functions : contains(["http", "pubsub", "storage"], f.trigger.kind)])
    error_message = "Every trigger kind must be http, pubsub or storage."
  }
}

variable "event_topics" {
  type        = list(string)
  description = "The public event topics (TOPICS of shared/src/domain/event.schema.ts)."
}

variable "command_topics" {
  type        = list(string)
  description = "The command topics (COMMAND_TOPICS of shared/src/domain/command.schema.ts)."
}

variable "endpoints" {
  type        = map(string)
  description = "HTTPS endpoint of every function by manifest name; pubsub-triggered ones get a push subscription to theirs."
}

variable "services" {
  type        = map(string)
  description = "Cloud Run service of every function by manifest name, for the push identity's run.invoker grant."
}

variable "publishers" {
  type        = map(string)
  description = "Service account email by manifest name of the functions that publish to the event and command topics."
}

variable "delivery" {
  type = object({
    max_delivery_attempts = optional(number, 10)
    minimum_backoff       = optional(string, "10s")
    maximum_backoff       = optional(string, "600s")
  })
  description = "Retry backoff of the push subscriptions and the delivery attempts after which a message is dead-lettered."
  default     = {}
}

variable "dead_letter_retention" {
  type        = string
  description = "How long dead-lettered messages are kept in their subscription (a duration such as 604800s)."
  default     = "604800s"
}

variable "labels" {
  type        = map(string)
  description = "Labels of topics and subscriptions."
  default     = {}
}
