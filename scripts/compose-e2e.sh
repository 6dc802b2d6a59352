#!/usr/bin/env bash
# `pnpm test:e2e:compose`: the chaos scenarios against the docker compose project, killing
# containers with `docker kill`. Where no Docker engine answers, it uses the container environment
# beside the repository (../shared/container-env/setup: podman behind a Docker-compatible socket).
# Arguments go to Jest (e.g. `pnpm test:e2e:compose readme-demo` runs one file).
# Exit 78, with a line starting "SKIPPED compose e2e:", when no container environment can be had.
set -uo pipefail
cd "$(dirname "$0")/.."

skip() {
  echo "SKIPPED compose e2e: $*"
  exit 78
}

if ! docker info >/dev/null 2>&1; then
  setup=$PWD/../shared/container-env/setup
  [ -x "$setup" ] || skip "no Docker engine answers and there is no $setup to provide one"
  # From /: the podman service it may start keeps its working directory, and once a checkout it
  # was started in is deleted, every container start fails ("write child: broken pipe").
  exports=$(cd / && "$setup") || skip "$setup failed"
  eval "$exports"
  docker info >/dev/null 2>&1 || skip "the container environment from $setup does not answer"
  # Nothing can be pulled here, and no Jaeger image can be built: the observability profile's jaeger
  # runs e2e/jaeger-standin (OTLP in, Jaeger's query API out, as the official image) unless told otherwise.
  if [ -z "${JAEGER_IMAGE:-}" ]; then
    jaeger_standin=localhost/shop-jaeger-standin:e2e
    export JAEGER_IMAGE=$jaeger_standin
  fi
fi
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || skip "neither docker-compose nor docker compose is installed"

compose() { if docker compose version >/dev/null 2>&1; then docker compose "$@"; else docker-compose "$@"; fi; }
project=${E2E_COMPOSE_PROJECT:-shop-e2e}
checks_passed=0
checks_failed=0
check() { # check NAME COMMAND...: one line per check, its output only when it fails
  local out; out=$(mktemp)
  if "${@:2}" >"$out" 2>&1; then checks_passed=$((checks_passed + 1)); echo "ok: $1"
  else checks_failed=$((checks_failed + 1)); echo "FAILED: $1"; tail -n 40 "$out"; fi
  rm -f "$out"
}

# Every combination README documents must parse.
for files in docker-compose.yml docker-compose.yml,docker-compose.cluster.yml docker-compose.yml,docker-compose.e2e.yml; do
  check "docker-compose config ($files)" compose $(printf -- '-f %s ' ${files//,/ }) config -q
done
# The observability profile (Jaeger), which the scenarios below also run, with every span exported to
# it (its content: test/integration/compose-observability.spec.ts).
check "docker-compose --profile observability config (docker-compose.yml)" compose -f docker-compose.yml --profile observability config -q

if [ -n "${jaeger_standin:-}" ]; then
  check "the Jaeger stand-in builds ($jaeger_standin)" \
    docker build --build-arg "NODE_IMAGE=${NODE_IMAGE:-node:24-bookworm-slim}" -t "$jaeger_standin" e2e/jaeger-standin
fi

# Every image the compose files name, built as README's first command builds it, from the tracked
# files only (a copy of the tree: nothing ignored or untracked can stand in for a missing file). The
# layer cache stays on: a layer is reused only for the same instruction over the same files' content,
# so no layer can stand in for a file the copy lacks, and the images share the workspace's install
# stage instead of installing it once each (with the cache off, six times). The scenarios then run
# these very images.
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
tree=$(git stash create) # the tracked files as they are now, committed or not
git archive "${tree:-HEAD}" | tar -x -C "$context"
# docker-compose.cluster.yml adds no image of its own today; built with it, one it adds would be built too.
check "every image of docker-compose.yml and docker-compose.cluster.yml builds from a clean copy of the tree" \
  bash -c "cd '$context' && $(declare -f compose) && compose -p '$project' -f docker-compose.yml -f docker-compose.cluster.yml build"

mkdir -p .test-results
rm -f .test-results/e2e-compose.json
if [ "$checks_failed" -eq 0 ]; then
  E2E_DRIVER=compose E2E_COMPOSE_PROJECT="$project" E2E_COMPOSE_BUILD=0 pnpm --filter @shop/e2e exec jest --runInBand --json --outputFile="$PWD/.test-results/e2e-compose.json" "$@"
  status=$?
else
  echo "compose e2e: not run, an image does not build"
  status=1
fi
node -e '
  let passed = Number(process.argv[2]), failed = Number(process.argv[3]);
  try {
    const r = require(process.argv[1]);
    passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
  } catch {
    failed += process.argv[3] === "0" ? 1 : 0;
  }
  console.log(`${passed} passed, ${failed} failed`);' "$PWD/.test-results/e2e-compose.json" "$checks_passed" "$checks_failed"
[ "$checks_failed" -eq 0 ] || exit 1
exit "$status"
