/**
 * Log-based metrics over the functions' pino lines (Cloud Logging lifts `httpRequest` out
 * of the JSON payload; the other fields stay under jsonPayload), and alert policies on the
 * error rate, dead letters and upload failures, sent to one email channel.
 */

locals {
  run_logs = "resource.type=\"cloud_run_revision\""
  requests = "${local.run_logs} AND jsonPayload.event=\"request.completed\""
  window   = "${var.thresholds.window_seconds}s"
}

resource "google_logging_metric" "requests" {
  project     = var.project_id
  name        = "${var.metric_prefix}_requests"
  description = "HTTP requests completed by the functions."
  filter      = local.requests

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    labels {
      key        = "function"
      value_type = "STRING"
    }
    labels {
      key        = "status"
      value_type = "INT64"
    }
  }
  label_extractors = {
    function = "EXTRACT(resource.labels.service_name)"
    status   = "EXTRACT(httpRequest.status)"
  }
}

resource "google_logging_metric" "server_errors" {
  project     = var.project_id
  name        = "${var.metric_prefix}_requests_5xx"
  description = "HTTP requests the functions answered with a 5xx status."
  filter      = "${local.requests} AND httpRequest.status>=500"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    labels {
      key        = "function"
      value_type = "STRING"
    }
  }
  label_extractors = {
    function = "EXTRACT(resource.labels.service_name)"
  }
}

resource "google_logging_metric" "latency" {
  project     = var.project_id
  name        = "${var.metric_prefix}_request_latency"
  description = "Latency of the functions' HTTP requests, in seconds, from the request.completed line."
  filter      = local.requests

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "DISTRIBUTION"
    unit        = "s"
    labels {
      key        = "function"
      value_type = "STRING"
    }
  }
  value_extractor = "REGEXP_EXTRACT(httpRequest.latency, \"([0-9.]+)s\")"
  label_extractors = {
    function = "EXTRACT(resource.labels.service_name)"
  }

  bucket_options {
    exponential_buckets {
      num_finite_buckets = 32
      growth_factor      = 1.5
      scale              = 0.005
    }
  }
}

resource "google_logging_metric" "upload_failures" {
  project     = var.project_id
  name        = "${var.metric_prefix}_upload_failures"
  description = "Uploads the media pipeline rejected or failed to process (media.pipeline, outcome failed)."
  filter      = "${local.run_logs} AND jsonPayload.event=\"media.pipeline\" AND jsonPayload.outcome=\"failed\""

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    labels {
      key        = "reason"
      value_type = "STRING"
    }
  }
  label_extractors = {
    reason = "EXTRACT(jsonPayload.reason)"
  }
}

resource "google_logging_metric" "dead_letters" {
  project     = var.project_id
  name        = "${var.metric_prefix}_dead_letters"
  description = "Events a consumer refused (poison or non-retryable) and kept in its dead-letter store."
  filter      = "${local.run_logs} AND jsonPayload.event=\"event.dead_lettered\""

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    labels {
      key        = "consumer"
      value_type = "STRING"
    }
  }
  label_extractors = {
    consumer = "EXTRACT(jsonPayload.consumer)"
  }
}

resource "google_logging_metric" "expired_events" {
  project     = var.project_id
  name        = "${var.metric_prefix}_expired_events"
  description = "Events dropped for being older than EVENT_MAX_AGE_SECONDS (event age)."
  filter      = "${local.run_logs} AND jsonPayload.event=\"event.expired\""

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
  }
}

# Cloud Monitoring knows a new log-based metric only some minutes after Logging created it;
# an alert policy created in between fails with 404 "Cannot find metric(s) … it could take
# up to 10 minutes to become available". The policies name the metrics through this wait,
# which runs again whenever a metric is replaced.
resource "time_sleep" "metrics_visible" {
  create_duration = var.metric_propagation
  triggers = {
    requests        = google_logging_metric.requests.name
    server_errors   = google_logging_metric.server_errors.name
    upload_failures = google_logging_metric.upload_failures.name
    dead_letters    = google_logging_metric.dead_letters.name
  }
}

resource "google_monitoring_notification_channel" "email" {
  project      = var.project_id
  display_name = "Taskman alerts"
  type         = "email"
  labels = {
    email_address = var.alert_email
  }
}

resource "google_monitoring_alert_policy" "error_rate" {
  project               = var.project_id
  display_name          = "Taskman: 5xx error rate"
  combiner              = "OR"
  notification_channels = [google_monitoring_notification_channel.email.id]

  conditions {
    display_name = "Share of requests answered 5xx above ${var.thresholds.error_ratio}"
    condition_prometheus_query_language {
      query               = "sum(rate(logging_googleapis_com:user_${time_sleep.metrics_visible.triggers["server_errors"]}[${local.window}])) / sum(rate(logging_googleapis_com:user_${time_sleep.metrics_visible.triggers["requests"]}[${local.window}])) > ${var.thresholds.error_ratio}"
      duration            = "0s"
      evaluation_interval = "60s"
    }
  }

  alert_strategy {
    auto_close = "${var.thresholds.auto_close_seconds}s"
  }
}

resource "google_monitoring_alert_policy" "dead_letters" {
  project               = var.project_id
  display_name          = "Taskman: dead letters"
  combiner              = "OR"
  notification_channels = [google_monitoring_notification_channel.email.id]

  conditions {
    display_name = "A consumer dead-lettered an event"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${time_sleep.metrics_visible.triggers["dead_letters"]}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = local.window
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  dynamic "conditions" {
    for_each = length(var.dead_letter_subscriptions) > 0 ? [1] : []

    content {
      display_name = "Messages waiting in a dead-letter subscription"
      condition_threshold {
        filter          = "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND resource.type=\"pubsub_subscription\" AND resource.label.subscription_id=one_of(${join(",", [for s in values(var.dead_letter_subscriptions) : "\"${s}\""])})"
        comparison      = "COMPARISON_GT"
        threshold_value = 0
        duration        = "0s"
        aggregations {
          alignment_period     = local.window
          per_series_aligner   = "ALIGN_MAX"
          cross_series_reducer = "REDUCE_MAX"
        }
      }
    }
  }

  alert_strategy {
    auto_close = "${var.thresholds.auto_close_seconds}s"
  }
}

resource "google_monitoring_alert_policy" "upload_failures" {
  project               = var.project_id
  display_name          = "Taskman: upload failures"
  combiner              = "OR"
  notification_channels = [google_monitoring_notification_channel.email.id]

  conditions {
    display_name = "More than ${var.thresholds.upload_failures} failed uploads in ${local.window}"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${time_sleep.metrics_visible.triggers["upload_failures"]}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.thresholds.upload_failures
      duration        = "0s"
      aggregations {
        alignment_period     = local.window
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  alert_strategy {
    auto_close = "${var.thresholds.auto_close_seconds}s"
  }
}
