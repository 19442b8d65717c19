variable "project_id" {
  type        = string
  description = "Project the functions run in."
}

variable "region" {
  type        = string
  description = "Region of the functions (and of their Eventarc storage triggers: the bucket's region)."
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
    keyrings       = optional(list(string), [])
    env            = map(string)
    auth           = optional(string)
  }))
  description = "The `functions` list of terraform/manifest.json, as written by `npm run manifest`."

  validation {
    condition     = alltrue([for f in var.functions : contains(["http", "pubsub", "storage"], f.trigger.kind)])
    error_message = "Every trigger kind must be http, pubsub or storage."
  }
}

variable "dist_dir" {
  type        = string
  description = "Directory holding one built function per sub-directory (`npm run build` writes dist/functions/<name>/index.js and package.json)."
}

variable "buckets" {
  type        = map(string)
  description = "Real bucket names by the manifest's bucket keys (storage triggers name `media`)."
}

variable "env" {
  type        = map(string)
  description = "Environment variables every function gets (the manifest's own env is merged over it)."
  default     = {}
}

variable "runtime" {
  type        = string
  description = "Cloud Functions runtime (Node major matching the bundles' esbuild target and engines; functions/scripts/terraform/runtime-lifecycle.ts holds Google's schedule)."
  default     = "nodejs22"
}

variable "images" {
  type = object({
    keep_newest  = optional(number, 3)
    max_age_days = optional(number, 30)
  })
  description = "Cleanup of the functions' container images: the newest versions of each function are kept, other versions are deleted at this age."
  default     = {}
}

variable "scaling" {
  type = object({
    max_instances = optional(number, 20)
    min_instances = optional(number, 0)
  })
  description = "Instance bounds applied to every function."
  default     = {}
}

variable "secret_values" {
  type        = map(string)
  description = "The value of each secret the functions expose as environment variables (the manifest's `secrets`): Terraform creates its first version in the same apply."
  sensitive   = true
}

variable "labels" {
  type        = map(string)
  description = "Labels of the functions and the source bucket."
  default     = {}
}
