#!/usr/bin/env bash
# `pnpm test:e2e:compose`: the chaos scenarios against the docker compose project, killing
# containers with `docker kill`. Where no Docker engine answers, it uses the container environment
# beside the repository (../shared/container-env/setup: podman behind a Docker-compatible socket).
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
fi
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || skip "neither docker-compose nor docker compose is installed"

mkdir -p .test-results
E2E_DRIVER=compose pnpm --filter @shop/e2e exec jest --runInBand --json --outputFile="$PWD/.test-results/e2e-compose.json"
status=$?
node -e '
  try {
    const r = require(process.argv[1]);
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests + r.numRuntimeErrorTestSuites} failed`);
  } catch {
    console.log("0 passed, 1 failed");
  }' "$PWD/.test-results/e2e-compose.json"
exit "$status"
