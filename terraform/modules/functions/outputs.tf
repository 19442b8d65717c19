output "uris" {
  description = "HTTPS endpoint of every function, by manifest name."
  value       = { for name, f in google_cloudfunctions2_function.function : name => f.service_config[0].uri }
}

output "services" {
  description = "Cloud Run service behind every function, by manifest name (for run.invoker grants)."
  value       = { for name, f in google_cloudfunctions2_function.function : name => f.service_config[0].service }
}

output "http_function_names" {
  description = "Manifest names of the HTTP functions (served through the gateway)."
  value       = sort(keys(local.http))
}

output "service_accounts" {
  description = "Runtime service account email of every function, by manifest name."
  value       = { for name, sa in google_service_account.function : name => sa.email }
}

output "publisher_service_accounts" {
  description = "Service account email, by manifest name, of the functions that publish events or commands."
  value       = { for name in local.publishes : name => google_service_account.function[name].email }
}

output "source_bucket" {
  description = "Bucket holding the content-addressed source archives."
  value       = google_storage_bucket.sources.name
}
