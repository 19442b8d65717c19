variable "project_id" {
  type        = string
  description = "Project of the database."
}

variable "location" {
  type        = string
  description = "Firestore location (a region such as europe-west1 or a multi-region such as eur3)."
}

variable "database" {
  type        = string
  description = "Database id; the code uses the (default) database."
  default     = "(default)"
}

variable "indexes_file" {
  type        = string
  description = "Composite indexes in the Firebase CLI format (the file firebase.json names, written by `npm run indexes`)."
}

variable "ttl_collections" {
  type        = list(string)
  description = "Collection groups whose documents carry an `expiresAt` timestamp and are deleted by a TTL policy after it."
}

variable "ttl_field" {
  type        = string
  description = "Field of the TTL policies."
  default     = "expiresAt"
}

variable "point_in_time_recovery" {
  type        = bool
  description = "Keep 7 days of versions for point-in-time recovery."
  default     = true
}

variable "delete_protection" {
  type        = bool
  description = "Refuse to delete the database (turn off before `terraform destroy`)."
  default     = true
}
