#!/usr/bin/env bash
# The whole test suite: build everything, lint the formatting, run every test.
# `.ci/run` calls exactly this; it works from a clean clone on a fresh machine of this kind.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step says how long the one before it took, so a slow step shows in CI's log.
step() {
    if [ -n "${step_started:-}" ]; then echo "   ($((SECONDS - step_started)) s)"; fi
    step_started=$SECONDS
    echo "== $*"
}
# GRDB links the system SQLite; the headers come from Debian's package.
if ! dpkg -s libsqlite3-dev >/dev/null 2>&1; then
    step "installing libsqlite3-dev"
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q libsqlite3-dev >/dev/null
fi
# The PostgreSQL store's tests (conformance, replicas) start throw-away servers from Debian's binaries, and the
# replica test makes its certificates with the openssl command.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v openssl >/dev/null; then
    step "installing postgresql and openssl"
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql openssl >/dev/null
fi
# The suite's own Python environment: pinned packages in .venv-test, first on PATH for every script below
# (never the system Python's site-packages, which a stock Debian Python refuses to change anyway).
if [ ! -x .venv-test/bin/python ]; then
    step "creating the suite's Python venv (.venv-test)"
    python3 -m venv .venv-test 2>/dev/null || {
        apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null
        rm -rf .venv-test && python3 -m venv .venv-test
    }
fi
if ! cmp -s scripts/requirements-test.txt .venv-test/requirements-installed.txt; then
    step "installing the suite's Python packages (scripts/requirements-test.txt)"
    .venv-test/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv-test/bin/python -m pip install -q -r scripts/requirements-test.txt
    cp scripts/requirements-test.txt .venv-test/requirements-installed.txt
fi
export PATH="$PWD/.venv-test/bin:$PATH"
step "build"
swift build --build-tests
step "format lint (swift format, .swift-format)"
swift format lint --strict --recursive Sources Tests Benchmarks Package.swift
step "the AWS provider's schema for the plan gate's type and attribute check (from the plugin on this machine)"
scripts/catalogs/terraform-schema.sh || echo "SKIP: no Terraform AWS provider plugin here; PlanSchemaTests will be skipped"
step "tests"
swift test --skip-build --parallel
step "cloud catalogs: regenerated from their pinned upstream versions and compared"
python3 scripts/catalogs/check.py
step "CLI contract"
scripts/cli-contract.sh "$(swift build --show-bin-path)/brake"
step "agent hooks end to end"
python3 scripts/hook-e2e.py "$(swift build --show-bin-path)/brake"
step "checkpoints and brake undo end to end (a scripted session through the real hook)"
python3 scripts/undo-e2e.py "$(swift build --show-bin-path)/brake"
step "infrastructure plans end to end (real terraform)"
scripts/infra-e2e.sh "$(swift build --show-bin-path)/brake"
step "CloudFormation end to end (real aws CLI, local moto_server)"
scripts/cfn-e2e.sh "$(swift build --show-bin-path)/brake"
step "sign-off gate end to end (real git repositories)"
python3 scripts/gate-e2e.py "$(swift build --show-bin-path)/brake"
step "oversight end to end (observe mode, suggestions, reports, digest, sign-offs to the server)"
python3 scripts/report-e2e.py "$(swift build --show-bin-path)/brake"
step "MCP proxy end to end (official MCP Python SDK)"
python3 scripts/mcp-e2e.py "$(swift build --show-bin-path)/brake"
step "control plane end to end (brake serve, SQLite)"
python3 scripts/server-e2e.py "$(swift build --show-bin-path)/brake"
step "replicas: three brake serve on one PostgreSQL over HTTPS, one of them killed mid-burst"
python3 scripts/replica-e2e.py "$(swift build --show-bin-path)/brake"
step "deployment files: Kubernetes manifests, systemd unit, container definition; their configuration run"
python3 scripts/deploy-check.py "$(swift build --show-bin-path)/brake"
step "load: 20,000 idle connections and 300 waiting long-polls against brake serve"
python3 scripts/load-e2e.py "$(swift build --show-bin-path)/brake"
step "hostile agent: an unprivileged OS user tries to get past a system install and the server"
python3 scripts/hostile-e2e.py "$(swift build --show-bin-path)/brake"
step "API fuzzing from the OpenAPI document (schemathesis)"
scripts/api-fuzz.sh "$(swift build --show-bin-path)/brake"
step "containment (Landlock and a read-only mount namespace) as an unprivileged user"
python3 scripts/contain-e2e.py "$(swift build --show-bin-path)/brake"
step "approver's page in headless Chromium, webhooks, metrics"
if ! command -v chromedriver >/dev/null; then
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null
fi
python3 scripts/ui-e2e.py "$(swift build --show-bin-path)/brake"
# Timings need a quiet machine: a server, guard service, moto or browser an earlier test left behind is stopped
# (and named, since leaving one behind is a bug of that test).
quiet_machine() {
    local left
    # (zombies are skipped: they use nothing and cannot be killed)
    left=$(ps -eo pid=,stat=,args= | awk '$2 !~ /^Z/' |
        grep -E "$(swift build --show-bin-path)/brake |moto_server|chromedriver|chromium" | grep -v grep || true)
    if [ -n "$left" ]; then
        echo "   processes left behind by earlier tests (stopped before timing):"
        echo "$left" | sed 's/^/     /'
        echo "$left" | awk '{print $1}' | xargs -r kill 2>/dev/null || true
        sleep 1
    fi
    # The previous step's builds and benchmarks leave the machine busy for a while (writeback, lingering
    # children): let the one-minute load settle a little (at most 45 s) before timing.
    for _ in $(seq 9); do
        awk '{exit !($1 > 0.7)}' /proc/loadavg || break
        sleep 5
    done
    echo "   load average before timing: $(cut -d' ' -f1-3 /proc/loadavg)"
}
quiet_machine
step "speed goals (release build): the hook through the guard service, in-process decisions, batch, plan"
scripts/bench.sh --check --quick
step "speed goals with the server judging: the hook's allow path, every answer a 2xx, the audit log exact"
quiet_machine
scripts/bench-server.sh --check --quick
echo "   ($((SECONDS - step_started)) s)"
echo "all checks passed in $((SECONDS / 60)) min $((SECONDS % 60)) s"
