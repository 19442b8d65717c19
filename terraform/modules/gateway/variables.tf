variable "project_id" {
  type        = string
  description = "Project of the API, its config and the gateway."
}

variable "region" {
  type        = string
  description = "Region of the gateway (an API Gateway location)."
}

variable "api_id" {
  type        = string
  description = "Id of the API Gateway API."
  default     = "taskman"
}

variable "openapi_template" {
  type        = string
  description = "OpenAPI document written by functions/scripts/export-openapi.ts, with `$${FUNCTION_URL_<NAME>}` placeholders for the backends."
}

variable "function_uris" {
  type        = map(string)
  description = "HTTPS endpoint of every function, by manifest name."
}

variable "services" {
  type        = map(string)
  description = "Cloud Run service of every function, by manifest name (the gateway's identity may invoke the HTTP ones)."
}

variable "http_functions" {
  type        = list(string)
  description = "Manifest names of the HTTP functions: the gateway's backends."
}

variable "labels" {
  type        = map(string)
  description = "Labels of the API, config and gateway."
  default     = {}
}
