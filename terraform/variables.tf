variable "project_id" {
  type        = string
  description = "Google Cloud project to deploy Taskman into."
}

variable "region" {
  type        = string
  description = "Region for functions, the gateway, the media bucket and Firestore (a Firestore location such as europe-west1 or nam5 works only if it is also a Cloud Functions region; see firestore_location)."
  default     = "europe-west1"
}

variable "firestore_location" {
  type        = string
  description = "Location of the (default) Firestore database; defaults to the region."
  default     = null
}

variable "media_bucket" {
  type        = string
  description = "Name of the media bucket (globally unique). Defaults to <project_id>-media, the name the code assumes when MEDIA_BUCKET is unset."
  default     = null
}

variable "firebase_api_key" {
  type        = string
  description = "The Firebase web API key (Firebase console, Project settings, General: Web API key). Stored as the first version of the FIREBASE_API_KEY secret in the same apply, so the sign-in functions start with it."
  sensitive   = true

  validation {
    condition     = length(trimspace(var.firebase_api_key)) > 0
    error_message = "firebase_api_key must not be empty: the sign-in functions read it at start."
  }
}

variable "cors_origins" {
  type        = list(string)
  description = "Origins of the web client, allowed by the media bucket's CORS policy (direct uploads with signed URLs) and by the functions' CORS headers."
  default     = ["*"]
}

variable "media" {
  type = object({
    sizes                    = optional(string, "thumb:200x200,small:640x640,medium:1280x1280")
    formats                  = optional(string, "auto")
    quality                  = optional(number, 82)
    include_paths            = optional(string, "")
    exclude_paths            = optional(string, "")
    cache_control            = optional(string, "private, max-age=31536000, immutable")
    delete_original          = optional(string, "never")
    failed_prefix            = optional(string, "failed/")
    failed_retention_days    = optional(number, 30)
    max_pixels               = optional(number, 100000000)
    max_upload_bytes         = optional(number, 26214400)
    max_multipart_bytes      = optional(number, 10485760)
    upload_url_ttl_seconds   = optional(number, 900)
    download_url_ttl_seconds = optional(number, 300)
    processing_lease_seconds = optional(number, 180)
    pending_retention_hours  = optional(number, 24)
  })
  description = "Media pipeline settings (the MEDIA_* variables of shared/src/media/media-config.ts) plus how long quarantined originals under failed_prefix are kept."
  default     = {}

  validation {
    condition     = contains(["never", "on-success", "always"], var.media.delete_original)
    error_message = "media.delete_original must be never, on-success or always."
  }
}

variable "rate_limits" {
  type = object({
    per_user_per_minute = optional(number, 600)
    max_json_body_bytes = optional(number, 262144)
  })
  description = "Per-user request limit (per instance; 0 turns it off) and the largest JSON body a function accepts."
  default     = {}
}

variable "retention" {
  type = object({
    audit_days            = optional(number, 365)
    idempotency_hours     = optional(number, 24)
    event_max_age_seconds = optional(number, 604800)
    dead_letter_days      = optional(number, 7)
    notification_days     = optional(number, 90)
    webhook_delivery_days = optional(number, 30)
  })
  description = "How long audit entries, idempotency records, dead letters (the handlers' store and the dead-letter topics alike), notifications and webhook delivery records are kept, and the age past which consumers drop events (a week: longer than any backlog takes to drain, see the README). They become AUDIT_RETENTION_DAYS, IDEMPOTENCY_TTL_HOURS, EVENT_MAX_AGE_SECONDS, DEAD_LETTER_RETENTION_DAYS, NOTIFICATION_RETENTION_DAYS and WEBHOOK_RETENTION_DAYS; Firestore's TTL policies delete the documents."
  default     = {}
}

variable "event_delivery" {
  type = object({
    max_delivery_attempts = optional(number, 10)
    minimum_backoff       = optional(string, "10s")
    maximum_backoff       = optional(string, "600s")
  })
  description = "Retry policy of the event subscriptions and the attempts after which a message goes to its dead-letter topic (5 to 100)."
  default     = {}
}

variable "log_level" {
  type        = string
  description = "LOG_LEVEL of every function."
  default     = "info"
}

variable "alert_email" {
  type        = string
  description = "Email address that receives the alerts (error rate, dead letters, upload failures)."
}

variable "labels" {
  type        = map(string)
  description = "Labels added to every resource that takes labels."
  default     = { app = "taskman" }
}
