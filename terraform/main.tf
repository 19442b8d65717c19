/**
 * Taskman on Google Cloud. Every function, trigger and subscription comes from
 * manifest.json (written by `npm run manifest` from functions/src/manifest.ts); nothing
 * here names a function.
 */

locals {
  manifest = jsondecode(file("${path.module}/manifest.json"))

  # The public event topics (shared/src/domain/event.schema.ts TOPICS) and the command
  # topics (shared/src/domain/command.schema.ts COMMAND_TOPICS). A test keeps them in step.
  event_topics   = ["task-events", "media-events", "user-events"]
  command_topics = ["media-optimize", "webhook-deliveries"]

  media_bucket = coalesce(var.media_bucket, "${var.project_id}-media")

  # The environment every function gets; names as shared/src/config and media-config read them.
  common_env = {
    GOOGLE_CLOUD_PROJECT           = var.project_id
    LOG_LEVEL                      = var.log_level
    CORS_ORIGINS                   = join(",", var.cors_origins)
    RATE_LIMIT_PER_MINUTE          = tostring(var.rate_limits.per_user_per_minute)
    MAX_JSON_BODY_BYTES            = tostring(var.rate_limits.max_json_body_bytes)
    IDEMPOTENCY_TTL_HOURS          = tostring(var.retention.idempotency_hours)
    EVENT_MAX_AGE_SECONDS          = tostring(var.retention.event_max_age_seconds)
    AUDIT_RETENTION_DAYS           = tostring(var.retention.audit_days)
    DEAD_LETTER_RETENTION_DAYS     = tostring(var.retention.dead_letter_days)
    NOTIFICATION_RETENTION_DAYS    = tostring(var.retention.notification_days)
    WEBHOOK_RETENTION_DAYS         = tostring(var.retention.webhook_delivery_days)
    MEDIA_BUCKET                   = local.media_bucket
    MEDIA_SIZES                    = var.media.sizes
    MEDIA_FORMATS                  = var.media.formats
    MEDIA_QUALITY                  = tostring(var.media.quality)
    MEDIA_INCLUDE_PATHS            = var.media.include_paths
    MEDIA_EXCLUDE_PATHS            = var.media.exclude_paths
    MEDIA_CACHE_CONTROL            = var.media.cache_control
    MEDIA_DELETE_ORIGINAL          = var.media.delete_original
    MEDIA_FAILED_PREFIX            = var.media.failed_prefix
    MEDIA_MAX_PIXELS               = tostring(var.media.max_pixels)
    MEDIA_MAX_UPLOAD_BYTES         = tostring(var.media.max_upload_bytes)
    MEDIA_MAX_MULTIPART_BYTES      = tostring(var.media.max_multipart_bytes)
    MEDIA_UPLOAD_URL_TTL_SECONDS   = tostring(var.media.upload_url_ttl_seconds)
    MEDIA_DOWNLOAD_URL_TTL_SECONDS = tostring(var.media.download_url_ttl_seconds)
    MEDIA_PROCESSING_LEASE_SECONDS = tostring(var.media.processing_lease_seconds)
    MEDIA_PENDING_RETENTION_HOURS  = tostring(var.media.pending_retention_hours)
  }

  services = [
    "apigateway.googleapis.com",
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "eventarc.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "identitytoolkit.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "servicecontrol.googleapis.com",
    "servicemanagement.googleapis.com",
    "storage.googleapis.com",
  ]
}

resource "google_project_service" "enabled" {
  for_each = toset(local.services)

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

module "firestore" {
  source = "./modules/firestore"

  project_id = var.project_id
  location   = coalesce(var.firestore_location, var.region)
  # The same file firebase.json names under firestore.indexes (a test checks it).
  indexes_file = "${path.module}/../emulator-config/firestore.indexes.json"
  # Every collection whose documents carry an `expiresAt` (a test reads the code for them).
  ttl_collections = [
    "idempotency", "processedEvents", "audit", "deadLetters", "notifications", "webhookDeliveries", "media",
    "rateLimits",
  ]

  depends_on = [google_project_service.enabled]
}

module "storage" {
  source = "./modules/storage"

  project_id   = var.project_id
  location     = var.region
  name         = local.media_bucket
  cors_origins = var.cors_origins
  quarantine = {
    prefix         = var.media.failed_prefix
    retention_days = var.media.failed_retention_days
  }
  labels = var.labels

  depends_on = [google_project_service.enabled]
}

module "functions" {
  source = "./modules/functions"

  project_id = var.project_id
  region     = var.region
  functions  = local.manifest.functions
  dist_dir   = "${path.module}/../dist/functions"
  buckets    = { media = module.storage.bucket_name }
  env        = local.common_env
  labels     = var.labels

  # A value for every secret a function exposes as an environment variable (`secrets`).
  secret_values = { FIREBASE_API_KEY = var.firebase_api_key }

  depends_on = [google_project_service.enabled]
}

module "pubsub" {
  source = "./modules/pubsub"

  project_id            = var.project_id
  region                = var.region
  functions             = local.manifest.functions
  event_topics          = local.event_topics
  command_topics        = local.command_topics
  endpoints             = module.functions.uris
  services              = module.functions.services
  publishers            = module.functions.publisher_service_accounts
  delivery              = var.event_delivery
  dead_letter_retention = "${var.retention.dead_letter_days * 86400}s"
  labels                = var.labels

  depends_on = [google_project_service.enabled]
}

module "gateway" {
  source = "./modules/gateway"

  # An explicit map replaces inheritance: every provider the module uses must be listed.
  providers = {
    google      = google
    google-beta = google-beta
  }

  project_id       = var.project_id
  region           = var.region
  openapi_template = "${path.module}/openapi.json"
  function_uris    = module.functions.uris
  http_functions   = module.functions.http_function_names
  services         = module.functions.services
  labels           = var.labels

  depends_on = [google_project_service.enabled]
}

module "monitoring" {
  source = "./modules/monitoring"

  project_id                = var.project_id
  alert_email               = var.alert_email
  dead_letter_subscriptions = module.pubsub.dead_letter_subscriptions

  depends_on = [google_project_service.enabled]
}
