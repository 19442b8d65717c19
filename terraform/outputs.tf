output "api_url" {
  description = "Base URL of the API Gateway (paths start with /v1)."
  value       = module.gateway.url
}

output "media_bucket" {
  description = "Name of the media bucket."
  value       = module.storage.bucket_name
}

output "topics" {
  description = "Every Pub/Sub topic by name."
  value       = module.pubsub.topics
}

output "dead_letter_subscriptions" {
  description = "Where each event function's dead letters are kept, by function."
  value       = module.pubsub.dead_letter_subscriptions
}

output "functions" {
  description = "HTTPS endpoint of every function by manifest name (private: callable with run.invoker only)."
  value       = module.functions.uris
}

output "function_service_accounts" {
  description = "Runtime identity of every function by manifest name."
  value       = module.functions.service_accounts
}

output "firestore_database" {
  description = "The Firestore database."
  value       = module.firestore.database
}
