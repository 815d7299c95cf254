#!/usr/bin/env bash
# The whole test suite: build everything, lint the formatting, run every test.
# `.ci/run` calls exactly this; it works from a clean clone on a fresh machine of this kind.
set -euo pipefail
cd "$(dirname "$0")/.."
# GRDB links the system SQLite; the headers come from Debian's package.
if ! dpkg -s libsqlite3-dev >/dev/null 2>&1; then
    echo "== installing libsqlite3-dev"
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q libsqlite3-dev >/dev/null
fi
echo "== build"
swift build --build-tests
echo "== format lint (swift format, .swift-format)"
swift format lint --strict --recursive Sources Tests Benchmarks Package.swift
echo "== tests"
swift test --skip-build --parallel
echo "== CLI contract"
scripts/cli-contract.sh "$(swift build --show-bin-path)/brake"
echo "== agent hooks end to end"
python3 scripts/hook-e2e.py "$(swift build --show-bin-path)/brake"
echo "== infrastructure plans end to end (real terraform)"
scripts/infra-e2e.sh "$(swift build --show-bin-path)/brake"
echo "== CloudFormation end to end (real aws CLI, local moto_server)"
scripts/cfn-e2e.sh "$(swift build --show-bin-path)/brake"
echo "== sign-off gate end to end (real git repositories)"
python3 scripts/gate-e2e.py "$(swift build --show-bin-path)/brake"
echo "== MCP proxy end to end (official MCP Python SDK)"
python3 scripts/mcp-e2e.py "$(swift build --show-bin-path)/brake"
echo "== control plane end to end (brake serve, SQLite)"
python3 -c 'import openapi_spec_validator, yaml' 2>/dev/null || python3 -m pip install -q openapi-spec-validator pyyaml >/dev/null 2>&1
python3 scripts/server-e2e.py "$(swift build --show-bin-path)/brake"
echo "== hostile agent: an unprivileged OS user tries to get past a system install and the server"
python3 scripts/hostile-e2e.py "$(swift build --show-bin-path)/brake"
echo "== API fuzzing from the OpenAPI document (schemathesis)"
scripts/api-fuzz.sh "$(swift build --show-bin-path)/brake"
echo "== approver's page in headless Chromium, webhooks, metrics"
if ! command -v chromedriver >/dev/null; then
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null
fi
python3 -c 'import selenium, prometheus_client' 2>/dev/null || python3 -m pip install -q selenium prometheus-client >/dev/null 2>&1
python3 scripts/ui-e2e.py "$(swift build --show-bin-path)/brake"
echo "all checks passed"
