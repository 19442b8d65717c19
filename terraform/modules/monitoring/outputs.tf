output "log_metrics" {
  description = "Log-based metric names, by purpose."
  value = {
    requests        = google_logging_metric.requests.name
    server_errors   = google_logging_metric.server_errors.name
    latency         = google_logging_metric.latency.name
    upload_failures = google_logging_metric.upload_failures.name
    dead_letters    = google_logging_metric.dead_letters.name
    expired_events  = google_logging_metric.expired_events.name
  }
}

output "alert_policies" {
  description = "Alert policy ids, by purpose."
  value = {
    error_rate      = google_monitoring_alert_policy.error_rate.name
    dead_letters    = google_monitoring_alert_policy.dead_letters.name
    upload_failures = google_monitoring_alert_policy.upload_failures.name
  }
}

output "notification_channel" {
  description = "The email notification channel."
  value       = google_monitoring_notification_channel.email.name
}
