/**
 * API Gateway in front of the private HTTP functions. The config is the generated OpenAPI
 * document with each backend placeholder replaced by its function's URL; a new document
 * makes a new config (named by its hash) that replaces the old one without downtime.
 */

locals {
  placeholders = {
    for name in var.http_functions :
    # `$${1}_`, not `$1_`: in a replacement, `$1_` names a group called "1_" (empty).
    "FUNCTION_URL_${upper(replace(name, "/([a-z0-9])([A-Z])/", "$${1}_$${2}"))}" => var.function_uris[name]
  }
  document = templatefile(var.openapi_template, local.placeholders)
}

resource "google_service_account" "gateway" {
  project      = var.project_id
  account_id   = "taskman-gateway"
  display_name = "Taskman API Gateway"
  description  = "Identity the gateway calls the private HTTP functions with."
}

resource "google_cloud_run_service_iam_member" "gateway_invokes" {
  for_each = toset(var.http_functions)

  project  = var.project_id
  location = var.region
  service  = var.services[each.key]
  role     = "roles/run.invoker"
  member   = google_service_account.gateway.member
}

resource "google_api_gateway_api" "api" {
  provider = google-beta

  project      = var.project_id
  api_id       = var.api_id
  display_name = "Taskman API"
  labels       = var.labels
}

resource "google_api_gateway_api_config" "config" {
  provider = google-beta

  project       = var.project_id
  api           = google_api_gateway_api.api.api_id
  api_config_id = "${var.api_id}-${substr(sha256(local.document), 0, 12)}"
  display_name  = "Taskman API ${substr(sha256(local.document), 0, 12)}"
  labels        = var.labels

  openapi_documents {
    document {
      path     = "openapi.json"
      contents = base64encode(local.document)
    }
  }

  gateway_config {
    backend_config {
      google_service_account = google_service_account.gateway.email
    }
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [google_cloud_run_service_iam_member.gateway_invokes]
}

resource "google_api_gateway_gateway" "gateway" {
  provider = google-beta

  project      = var.project_id
  region       = var.region
  gateway_id   = var.api_id
  api_config   = google_api_gateway_api_config.config.id
  display_name = "Taskman"
  labels       = var.labels
}
