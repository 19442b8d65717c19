/**
 * One Cloud Functions (2nd gen) function per manifest entry, each with its own service
 * account granted only what that function touches, its source archive named by content
 * hash (a code change uploads a new object and redeploys), and its trigger:
 *   - http: private; invoked by the API Gateway (the gateway module grants that).
 *   - pubsub: private; invoked by the push subscription the pubsub module creates, so the
 *     subscription carries a dead-letter topic and a retry policy.
 *   - storage: an Eventarc `google.cloud.storage.object.v1.<event>` trigger on the bucket,
 *     retried on failure.
 */

locals {
  functions = { for f in var.functions : f.name => f }

  # Cloud Run service names are lower case: camelCase names become kebab-case.
  ids = { for name in keys(local.functions) : name => lower(replace(name, "/([a-z0-9])([A-Z])/", "$1-$2")) }

  http    = { for name, f in local.functions : name => f if f.trigger.kind == "http" }
  storage = { for name, f in local.functions : name => f if f.trigger.kind == "storage" }

  # What each function touches.
  # - Firestore: all of them (the document store is every use case's first dependency).
  # - Cloud Storage: the bundles that import @google-cloud/storage (from the build's package.json).
  # - Publishing: the bundles that write to the transactional outbox (its collection name,
  #   "outbox", is in the bundle): they publish right after the commit, and the relay later.
  # - Firebase Auth, read (roles/firebaseauth.viewer: firebaseauth.users.get): every function
  #   that verifies an ID token, since verifyIdToken reads the account (getUser) for the
  #   current role and revocation: the HTTP functions with auth user or admin, and those
  #   holding the web API key (sign-in and refresh verify the token they obtain).
  # - Firebase Auth, write (roles/firebaseauth.admin): only the entries that write accounts
  #   (create users and set role claims, revoke refresh tokens, change a role).
  # - Bucket: by what the code does there. The public GET probe reads the bucket's metadata
  #   (legacyBucketReader: storage.buckets.get); the authenticated GET functions read and
  #   sign GET URLs (objectViewer); the others write objects (objectAdmin).
  # - Pub/Sub metadata (list topics): the public GET probes whose bundle carries the Pub/Sub
  #   client (the health check pings Pub/Sub; the static OpenAPI document does not).
  bundle_dependencies = {
    for name in keys(local.functions) :
    name => keys(try(jsondecode(file("${var.dist_dir}/${name}/package.json")).dependencies, {}))
  }
  uses_storage = [for name, deps in local.bundle_dependencies : name if contains(deps, "@google-cloud/storage")]
  publishes = [
    for name in keys(local.functions) : name
    if strcontains(try(file("${var.dist_dir}/${name}/index.js"), ""), "\"outbox\"")
  ]
  writes_users  = ["auth/register", "auth/logout", "users/set-role"]
  manages_users = [for name, f in local.http : name if contains(local.writes_users, f.entry)]
  reads_users = [
    for name, f in local.http : name
    if !contains(local.manages_users, name) && (coalesce(f.auth, "none") != "none" || contains(f.secrets, "FIREBASE_API_KEY"))
  ]
  probes_pubsub = [
    for name, f in local.http : name
    if f.trigger.method == "GET" && f.auth == "none" && contains(local.bundle_dependencies[name], "@google-cloud/pubsub")
  ]

  bucket_roles = {
    for name in local.uses_storage : name => (
      local.functions[name].trigger.kind == "http" && coalesce(local.functions[name].trigger.method, "-") == "GET"
      ? (coalesce(local.functions[name].auth, "none") == "none" ? "roles/storage.legacyBucketReader" : "roles/storage.objectViewer")
      : "roles/storage.objectAdmin"
    )
  }
  signs_urls = [for name, role in local.bucket_roles : name if role != "roles/storage.legacyBucketReader"]
  bucket_grants = {
    for pair in setproduct(local.uses_storage, keys(var.buckets)) : "${pair[0]}/${pair[1]}" => {
      function = pair[0], bucket = var.buckets[pair[1]], role = local.bucket_roles[pair[0]]
    }
  }
  # Cloud Functions sets LOG_EXECUTION_ID=true on every 2nd gen function (since June 2024);
  # declaring it keeps it from showing up as a change to undo.
  environment = { for name, f in local.functions : name => merge(var.env, f.env, { LOG_EXECUTION_ID = "true" }) }

  # Secrets: those exposed as environment variables (`secrets`) and the keyrings the code
  # reads by version through the API (`keyrings`: every version, so a key can rotate).
  # Each is created here and readable (secretAccessor) only by the functions that list it.
  secrets = toset(flatten([for f in var.functions : concat(f.secrets, f.keyrings)]))
  # Those read as environment variables at `latest`: each gets its version from secret_values.
  env_secrets = toset(flatten([for f in var.functions : f.secrets]))
  secret_grants = {
    for pair in flatten([for f in var.functions : [for s in concat(f.secrets, f.keyrings) : { function = f.name, secret = s }]]) :
    "${pair.function}/${pair.secret}" => pair
  }
}

# Source archives ------------------------------------------------------------------------

resource "google_storage_bucket" "sources" {
  project                     = var.project_id
  name                        = "${var.project_id}-function-sources"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true
  labels                      = var.labels

  # No age-based deletion: every archive here is a Terraform object the functions' build
  # config names (a rebuild reads it again). A code change replaces the object, and
  # Terraform deletes the old one itself.
}

# The functions' container images (Cloud Build pushes one per deploy), kept few: the newest
# versions of each function and nothing older than images.max_age_days.
resource "google_artifact_registry_repository" "images" {
  project                = var.project_id
  location               = var.region
  repository_id          = "taskman-functions"
  format                 = "DOCKER"
  description            = "Container images of the Taskman functions, built by Cloud Functions."
  labels                 = var.labels
  cleanup_policy_dry_run = false

  cleanup_policies {
    id     = "keep-newest"
    action = "KEEP"
    most_recent_versions {
      keep_count = var.images.keep_newest
    }
  }

  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      tag_state  = "ANY"
      older_than = "${var.images.max_age_days * 86400}s"
    }
  }
}

data "archive_file" "source" {
  for_each = local.functions

  type        = "zip"
  source_dir  = "${var.dist_dir}/${each.key}"
  output_path = "${path.module}/.build/${each.key}.zip"
}

resource "google_storage_bucket_object" "source" {
  for_each = local.functions

  bucket = google_storage_bucket.sources.name
  name   = "${each.key}-${data.archive_file.source[each.key].output_md5}.zip"
  source = data.archive_file.source[each.key].output_path
}

# Identities -----------------------------------------------------------------------------

resource "google_service_account" "function" {
  for_each = local.functions

  project      = var.project_id
  account_id   = trimsuffix(substr("fn-${local.ids[each.key]}", 0, 30), "-")
  display_name = "Taskman function ${each.key}"
  description  = "Runtime identity of ${each.key} (${each.value.entry}); granted only what it touches."
}

resource "google_project_iam_member" "firestore" {
  for_each = local.functions

  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.function[each.key].member
}

resource "google_storage_bucket_iam_member" "objects" {
  for_each = local.bucket_grants

  bucket = each.value.bucket
  role   = each.value.role
  member = google_service_account.function[each.value.function].member
}

# Signed URLs are signed through IAM (signBlob) by the function's own identity.
resource "google_service_account_iam_member" "sign_urls" {
  for_each = toset(local.signs_urls)

  service_account_id = google_service_account.function[each.key].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_service_account.function[each.key].member
}

resource "google_project_iam_member" "firebase_auth" {
  for_each = toset(local.manages_users)

  project = var.project_id
  role    = "roles/firebaseauth.admin"
  member  = google_service_account.function[each.key].member
}

# Verifying an ID token reads the account (getUser): its current role, its revocation.
resource "google_project_iam_member" "firebase_auth_viewer" {
  for_each = toset(local.reads_users)

  project = var.project_id
  role    = "roles/firebaseauth.viewer"
  member  = google_service_account.function[each.key].member
}

resource "google_project_iam_member" "pubsub_probe" {
  for_each = toset(local.probes_pubsub)

  project = var.project_id
  role    = "roles/pubsub.viewer"
  member  = google_service_account.function[each.key].member
}

# Secrets. Those the functions read as environment variables get their value here, in the
# same apply that creates them, so no function starts on a secret without a version. A
# keyring's versions are keys: add them with `gcloud secrets versions add` (see README), a
# new one to rotate, then run `npm run rotate-keys`.
resource "google_secret_manager_secret" "secret" {
  for_each = local.secrets

  project   = var.project_id
  secret_id = each.key
  labels    = var.labels

  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "value" {
  for_each = local.env_secrets

  secret      = google_secret_manager_secret.secret[each.key].id
  secret_data = var.secret_values[each.key]
}

resource "google_secret_manager_secret_iam_member" "access" {
  for_each = local.secret_grants

  project   = var.project_id
  secret_id = google_secret_manager_secret.secret[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.function[each.value.function].member
}

# Storage triggers: Eventarc needs the Cloud Storage service agent to publish, and an
# identity that may receive events and invoke the function.
data "google_storage_project_service_account" "gcs" {
  count = length(local.storage) > 0 ? 1 : 0

  project = var.project_id
}

resource "google_project_iam_member" "gcs_publishes" {
  count = length(local.storage) > 0 ? 1 : 0

  project = var.project_id
  role    = "roles/pubsub.publisher"
  member  = data.google_storage_project_service_account.gcs[0].member
}

resource "google_service_account" "eventarc" {
  count = length(local.storage) > 0 ? 1 : 0

  project      = var.project_id
  account_id   = "taskman-eventarc"
  display_name = "Taskman Eventarc triggers"
}

resource "google_project_iam_member" "eventarc_receiver" {
  count = length(local.storage) > 0 ? 1 : 0

  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = google_service_account.eventarc[0].member
}

# Functions ------------------------------------------------------------------------------

resource "google_cloudfunctions2_function" "function" {
  for_each = local.functions

  project     = var.project_id
  location    = var.region
  name        = local.ids[each.key]
  description = "${each.key} (${each.value.entry})"
  labels      = var.labels

  build_config {
    runtime           = var.runtime
    entry_point       = each.key
    docker_repository = google_artifact_registry_repository.images.id

    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.source[each.key].name
      }
    }
  }

  service_config {
    available_memory               = each.value.memory
    timeout_seconds                = each.value.timeoutSeconds
    max_instance_count             = var.scaling.max_instances
    min_instance_count             = var.scaling.min_instances
    service_account_email          = google_service_account.function[each.key].email
    all_traffic_on_latest_revision = true
    # HTTP functions are reached by the gateway over the internet (and still need IAM);
    # Pub/Sub pushes and Eventarc deliveries count as internal traffic.
    ingress_settings      = each.value.trigger.kind == "http" ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"
    environment_variables = local.environment[each.key]

    dynamic "secret_environment_variables" {
      for_each = toset(each.value.secrets)

      content {
        key        = secret_environment_variables.value
        project_id = var.project_id
        secret     = google_secret_manager_secret.secret[secret_environment_variables.value].secret_id
        version    = "latest"
      }
    }
  }

  dynamic "event_trigger" {
    for_each = each.value.trigger.kind == "storage" ? [each.value.trigger] : []

    content {
      trigger_region        = var.region
      event_type            = "google.cloud.storage.object.v1.${event_trigger.value.event}"
      retry_policy          = "RETRY_POLICY_RETRY"
      service_account_email = google_service_account.eventarc[0].email

      event_filters {
        attribute = "bucket"
        value     = var.buckets[event_trigger.value.bucket]
      }
    }
  }

  depends_on = [
    google_secret_manager_secret_iam_member.access,
    google_secret_manager_secret_version.value,
    google_project_iam_member.gcs_publishes,
    google_project_iam_member.eventarc_receiver,
  ]
}

resource "google_cloud_run_service_iam_member" "eventarc_invokes" {
  for_each = local.storage

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.function[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.eventarc[0].member
}
