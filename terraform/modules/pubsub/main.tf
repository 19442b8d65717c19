/**
 * The Pub/Sub topology, the cloud twin of dev/src/topology.ts: every event and command
 * topic, every topic a function listens to, and one push subscription per pubsub-triggered
 * function (`<name>-push`, as locally), pushed to the function at `/projects/P/topics/T`,
 * which functions-framework turns into the `messagePublished` CloudEvent. Owning the
 * subscription (rather than letting Eventarc create it) is what lets it carry a retry
 * policy and a dead-letter topic. Scheduled triggers get a Cloud Scheduler job publishing
 * to their topic.
 */

locals {
  subscribed = { for f in var.functions : f.name => f if f.trigger.kind == "pubsub" }
  scheduled  = { for name, f in local.subscribed : name => f if f.trigger.schedule != null }
  topics     = toset(concat(var.event_topics, var.command_topics, [for f in local.subscribed : f.trigger.topic]))

  publisher_grants = {
    for pair in setproduct(keys(var.publishers), concat(var.event_topics, var.command_topics)) :
    "${pair[0]}/${pair[1]}" => { function = pair[0], topic = pair[1] }
  }

  pubsub_agent = "serviceAccount:service-${data.google_project.project.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

data "google_project" "project" {
  project_id = var.project_id
}

resource "google_pubsub_topic" "topic" {
  for_each = local.topics

  project = var.project_id
  name    = each.key
  labels  = var.labels
}

resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = local.publisher_grants

  project = var.project_id
  topic   = google_pubsub_topic.topic[each.value.topic].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${var.publishers[each.value.function]}"
}

# Dead letters -----------------------------------------------------------------------------

resource "google_pubsub_topic" "dead_letter" {
  for_each = local.subscribed

  project = var.project_id
  name    = "${each.key}-dead-letter"
  labels  = var.labels
}

# Keeps what was dead-lettered, for inspection and replay (`npm run reprocess`, or a seek).
resource "google_pubsub_subscription" "dead_letter" {
  for_each = local.subscribed

  project                    = var.project_id
  name                       = "${each.key}-dead-letter"
  topic                      = google_pubsub_topic.dead_letter[each.key].id
  message_retention_duration = var.dead_letter_retention
  ack_deadline_seconds       = 60
  labels                     = var.labels

  expiration_policy {
    ttl = ""
  }
}

resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = local.subscribed

  project = var.project_id
  topic   = google_pubsub_topic.dead_letter[each.key].name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each = local.subscribed

  project      = var.project_id
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

# Push subscriptions -----------------------------------------------------------------------

resource "google_service_account" "push" {
  project      = var.project_id
  account_id   = "taskman-pubsub-push"
  display_name = "Taskman Pub/Sub push"
  description  = "Signs the OIDC tokens of push deliveries to the event functions."
}

# Pub/Sub mints the push identity's tokens.
resource "google_service_account_iam_member" "push_token_creator" {
  service_account_id = google_service_account.push.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}

resource "google_cloud_run_service_iam_member" "push_invokes" {
  for_each = local.subscribed

  project  = var.project_id
  location = var.region
  service  = var.services[each.key]
  role     = "roles/run.invoker"
  member   = google_service_account.push.member
}

resource "google_pubsub_subscription" "push" {
  for_each = local.subscribed

  project = var.project_id
  name    = "${each.key}-push"
  topic   = google_pubsub_topic.topic[each.value.trigger.topic].id
  labels  = var.labels
  # An unacknowledged push is redelivered after this; let the function finish first.
  ack_deadline_seconds = min(600, max(10, each.value.timeoutSeconds))

  push_config {
    push_endpoint = "${var.endpoints[each.key]}/projects/${var.project_id}/topics/${each.value.trigger.topic}"

    oidc_token {
      service_account_email = google_service_account.push.email
      audience              = var.endpoints[each.key]
    }
  }

  retry_policy {
    minimum_backoff = var.delivery.minimum_backoff
    maximum_backoff = var.delivery.maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = var.delivery.max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [
    google_cloud_run_service_iam_member.push_invokes,
    google_pubsub_topic_iam_member.dead_letter_publisher,
  ]
}

# Schedules --------------------------------------------------------------------------------

resource "google_cloud_scheduler_job" "tick" {
  for_each = local.scheduled

  project     = var.project_id
  region      = var.region
  name        = "${each.key}-tick"
  description = "Publishes a tick to ${each.value.trigger.topic} for ${each.key}."
  schedule    = each.value.trigger.schedule
  time_zone   = "Etc/UTC"

  pubsub_target {
    topic_name = google_pubsub_topic.topic[each.value.trigger.topic].id
    # functions-framework ignores a push without data, so the tick carries some.
    data = base64encode(jsonencode({ schedule = each.value.trigger.schedule, source = "cloud-scheduler" }))
  }
}
