output "topics" {
  description = "Every topic by name (event, command and trigger topics)."
  value       = { for name, t in google_pubsub_topic.topic : name => t.id }
}

output "push_subscriptions" {
  description = "Push subscription of every pubsub-triggered function, by manifest name."
  value       = { for name, s in google_pubsub_subscription.push : name => s.name }
}

output "dead_letter_topics" {
  description = "Dead-letter topic of every push subscription, by manifest name."
  value       = { for name, t in google_pubsub_topic.dead_letter : name => t.name }
}

output "dead_letter_subscriptions" {
  description = "Subscriptions that keep the dead letters, by manifest name."
  value       = { for name, s in google_pubsub_subscription.dead_letter : name => s.name }
}

output "scheduler_jobs" {
  description = "Cloud Scheduler job of every scheduled function, by manifest name."
  value       = { for name, j in google_cloud_scheduler_job.tick : name => j.name }
}
