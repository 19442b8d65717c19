output "url" {
  description = "Base URL of the API (the paths start with /v1)."
  value       = "https://${google_api_gateway_gateway.gateway.default_hostname}"
}

output "api_config" {
  description = "Id of the API config the gateway serves."
  value       = google_api_gateway_api_config.config.api_config_id
}

output "service_account" {
  description = "Identity the gateway invokes the functions with."
  value       = google_service_account.gateway.email
}
