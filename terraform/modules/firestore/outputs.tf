output "database" {
  description = "Name of the Firestore database."
  value       = google_firestore_database.database.name
}

output "index_count" {
  description = "Number of composite indexes created from the indexes file."
  value       = length(google_firestore_index.composite)
}

output "ttl_policies" {
  description = "Collection groups with a TTL policy, and its field."
  value       = { for name, f in google_firestore_field.ttl : name => f.field }
}
