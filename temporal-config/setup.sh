#!/bin/sh
# Prepares a Temporal server for AutoDark: waits for the frontend, makes sure the namespace exists
# with the configured retention, and registers the search attributes the product filters on.
# Idempotent, so it runs on every start: from the dev launcher against `temporal server start-dev`,
# and as the one-shot temporal-admin-tools service in docker-compose.yml. Plain POSIX sh because
# the official admin-tools image is Alpine (busybox sh, no bash, no jq).
#
# Settings (environment):
#   TEMPORAL_ADDRESS      frontend host:port                    (default: localhost:7233)
#   TEMPORAL_NAMESPACE    namespace to prepare                  (default: default)
#   TEMPORAL_RETENTION    closed-workflow retention: 7d, 72h, 90m or 3600s  (default: 7d)
#   TEMPORAL_CLI          temporal binary (default: `temporal` on PATH, else the repo's .venv/bin/temporal)
#   TEMPORAL_SETUP_WAIT_S how long to wait for the frontend     (default: 120)
set -eu

ADDRESS="${TEMPORAL_ADDRESS:-localhost:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${TEMPORAL_RETENTION:-7d}"
WAIT_S="${TEMPORAL_SETUP_WAIT_S:-120}"

# name:type of every search attribute AutoDark writes (workflows set them, the api queries them).
SEARCH_ATTRIBUTES="AutoDarkOperation:Keyword AutoDarkStatus:Keyword AutoDarkProcessor:Keyword AutoDarkIdRoteiro:Int"

log() { echo "[temporal-setup] $*"; }
die() { echo "[temporal-setup] ERROR: $*" >&2; exit 1; }

if [ -n "${TEMPORAL_CLI:-}" ]; then
  CLI="$TEMPORAL_CLI"
elif command -v temporal >/dev/null 2>&1; then
  CLI=temporal
else
  CLI="$(cd "$(dirname "$0")/.." && pwd)/.venv/bin/temporal"
fi
[ -x "$CLI" ] || command -v "$CLI" >/dev/null 2>&1 || die "temporal CLI not found at '$CLI' (set TEMPORAL_CLI)"

# Every CLI call goes to the configured frontend.
tcli() { "$CLI" "$@" --address "$ADDRESS"; }

# tcli, printing its output. A namespace created a moment ago stays unknown to some frontend calls
# until the namespace cache refreshes (about 10 s), so "not found" is retried; any other error
# (a type clash, the SQL visibility limit on attributes per type) is final.
tcli_retry() {
  tries=0
  while :; do
    if out="$(tcli "$@" 2>&1)"; then
      printf '%s\n' "$out"
      return 0
    fi
    case "$out" in
      *"not found"* | *NotFound*) ;;
      *) printf '%s\n' "$out" && return 1 ;;
    esac
    tries=$((tries + 1))
    [ "$tries" -lt 30 ] || { printf '%s\n' "$out" && return 1; }
    sleep 1
  done
}

# Retention in whole seconds, or nothing when the value is not N followed by d, h, m or s.
retention_seconds() {
  number="${1%?}"
  unit="${1#"$number"}"
  case "$number" in '' | *[!0-9]*) return 0 ;; esac
  case "$unit" in
    d) echo $((number * 86400)) ;;
    h) echo $((number * 3600)) ;;
    m) echo $((number * 60)) ;;
    s) echo "$number" ;;
  esac
}
WANT_RETENTION_S="$(retention_seconds "$RETENTION")"
[ -n "$WANT_RETENTION_S" ] || die "TEMPORAL_RETENTION='$RETENTION' must look like 7d, 72h, 90m or 3600s"

wait_for_frontend() {
  waited=0
  until tcli operator cluster health >/dev/null 2>&1; do
    [ "$waited" -lt "$WAIT_S" ] || die "Temporal frontend at $ADDRESS not serving after ${WAIT_S}s"
    sleep 2
    waited=$((waited + 2))
  done
  log "frontend $ADDRESS is serving"
}

ensure_namespace() {
  if ! tcli operator namespace describe -n "$NAMESPACE" >/dev/null 2>&1; then
    if out="$(tcli operator namespace create -n "$NAMESPACE" --retention "$RETENTION" 2>&1)"; then
      log "namespace $NAMESPACE created (retention $RETENTION)"
      return 0
    fi
    # A namespace created moments ago (or by a concurrent run) can be missing from describe.
    case "$out" in
      *"already exists"*) ;;
      *) die "could not create namespace $NAMESPACE: $out" ;;
    esac
  fi
  described="$(tcli_retry operator namespace describe -n "$NAMESPACE" -o json)" ||
    die "could not describe namespace $NAMESPACE: $described"
  have_s="$(printf '%s\n' "$described" | sed -n 's/.*"workflowExecutionRetentionTtl": *"\([0-9]*\)s".*/\1/p')"
  if [ "$have_s" = "$WANT_RETENTION_S" ]; then
    log "namespace $NAMESPACE exists (retention $RETENTION)"
  else
    out="$(tcli operator namespace update -n "$NAMESPACE" --retention "$RETENTION" 2>&1)" ||
      die "could not set retention $RETENTION on namespace $NAMESPACE: $out"
    log "namespace $NAMESPACE retention set to $RETENTION (was ${have_s:-unknown}s)"
  fi
}

ensure_search_attributes() {
  existing="$(tcli_retry operator search-attribute list -n "$NAMESPACE")" ||
    die "could not list search attributes of namespace $NAMESPACE: $existing"
  for entry in $SEARCH_ATTRIBUTES; do
    name="${entry%%:*}"
    type="${entry#*:}"
    have="$(printf '%s\n' "$existing" | awk -v n="$name" '$1 == n { print $2 }')"
    if [ -z "$have" ]; then
      out="$(tcli_retry operator search-attribute create -n "$NAMESPACE" --name "$name" --type "$type")" ||
        die "could not register search attribute $name ($type): $out"
      log "search attribute $name ($type) registered"
    elif [ "$have" = "$type" ]; then
      log "search attribute $name ($type) already registered"
    else
      die "search attribute $name exists as $have, AutoDark needs $type: remove it or use another namespace"
    fi
  done
}

wait_for_frontend
ensure_namespace
ensure_search_attributes
log "done: namespace $NAMESPACE ready at $ADDRESS"
