/**
 * The media bucket: originals under uploads/, variants under variants/ (which the trigger
 * ignores), rejected originals under the quarantine prefix. Private, uniform access; the
 * web client reaches it only through signed URLs, hence the CORS policy.
 */

resource "google_storage_bucket" "media" {
  project                     = var.project_id
  name                        = var.name
  location                    = var.location
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy
  labels                      = var.labels

  cors {
    origin          = var.cors_origins
    method          = ["GET", "HEAD", "PUT", "POST", "OPTIONS"]
    response_header = ["Content-Type", "Content-Length", "Content-Range", "ETag", "x-goog-resumable", "x-goog-meta-*", "x-goog-content-length-range", "x-goog-if-generation-match"]
    max_age_seconds = 3600
  }

  dynamic "lifecycle_rule" {
    for_each = var.quarantine.prefix == "" ? [] : [var.quarantine]

    content {
      condition {
        age            = lifecycle_rule.value.retention_days
        matches_prefix = [lifecycle_rule.value.prefix]
      }
      action {
        type = "Delete"
      }
    }
  }

  # Unfinished resumable uploads (signed URL uploads a client abandoned).
  lifecycle_rule {
    condition {
      age = 7
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }
}
