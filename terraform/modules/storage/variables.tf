variable "project_id" {
  type        = string
  description = "Project of the media bucket."
}

variable "location" {
  type        = string
  description = "Bucket location: the functions' region, so the Eventarc storage trigger can live there."
}

variable "name" {
  type        = string
  description = "Globally unique name of the media bucket."
}

variable "cors_origins" {
  type        = list(string)
  description = "Origins of the web client allowed to upload with signed URLs and read variants."
  default     = ["*"]
}

variable "quarantine" {
  type = object({
    prefix         = optional(string, "failed/")
    retention_days = optional(number, 30)
  })
  description = "Where the pipeline copies rejected originals (MEDIA_FAILED_PREFIX) and how long they are kept; an empty prefix turns the lifecycle rule off."
  default     = {}
}

variable "force_destroy" {
  type        = bool
  description = "Let `terraform destroy` delete a bucket that still holds media."
  default     = false
}

variable "labels" {
  type        = map(string)
  description = "Labels of the bucket."
  default     = {}
}
