/**
 * The Firestore database, its composite indexes (the same generated file the emulator and
 * the Firebase CLI read) and the TTL policies that delete expired idempotency records,
 * processed-event markers, audit entries, pending media whose bytes never arrived and drawn
 * rate-limit buckets.
 */

locals {
  indexes = {
    for index in jsondecode(file(var.indexes_file)).indexes :
    join("|", concat([index.collectionGroup, index.queryScope], [for f in index.fields : "${f.fieldPath}:${try(f.order, f.arrayConfig)}"])) => index
  }
}

resource "google_firestore_database" "database" {
  project                           = var.project_id
  name                              = var.database
  location_id                       = var.location
  type                              = "FIRESTORE_NATIVE"
  concurrency_mode                  = "OPTIMISTIC"
  point_in_time_recovery_enablement = var.point_in_time_recovery ? "POINT_IN_TIME_RECOVERY_ENABLED" : "POINT_IN_TIME_RECOVERY_DISABLED"
  delete_protection_state           = var.delete_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  deletion_policy                   = var.delete_protection ? "ABANDON" : "DELETE"
}

resource "google_firestore_index" "composite" {
  for_each = local.indexes

  project     = var.project_id
  database    = google_firestore_database.database.name
  collection  = each.value.collectionGroup
  query_scope = each.value.queryScope

  dynamic "fields" {
    for_each = each.value.fields

    content {
      field_path   = fields.value.fieldPath
      order        = try(fields.value.order, null)
      array_config = try(fields.value.arrayConfig, null)
    }
  }

  # A fresh project gets every index at once (Terraform runs 10 operations at a time).
  # Firestore answers concurrent index creations with 409 contention, which the provider
  # retries until this timeout; each index also waits here for its build.
  timeouts {
    create = "60m"
    delete = "60m"
  }
}

resource "google_firestore_field" "ttl" {
  for_each = toset(var.ttl_collections)

  project    = var.project_id
  database   = google_firestore_database.database.name
  collection = each.key
  field      = var.ttl_field

  ttl_config {}

  # A TTL field needs no single-field index: skip indexing it (cheaper writes).
  index_config {}
}
