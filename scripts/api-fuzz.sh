#!/usr/bin/env bash
# Property-based fuzzing of the control-plane API from its own OpenAPI document (schemathesis from PyPI):
# every generated request, valid or not, must get an answer that is not a server error. The long poll
# (/v1/approvals/{id}/wait) is left out: a generated timeout may legitimately hold the request for minutes.
set -euo pipefail
BRAKE="$1"
command -v st >/dev/null || { echo 'schemathesis is missing: run through scripts/test.sh (it installs .venv-test)'; exit 1; }
tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BRAKE" serve --data-dir "$tmp/server" --listen "127.0.0.1:$port" >"$tmp/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v1/health" >/dev/null && break; sleep 0.05; done
token=$(cat "$tmp/server/admin-token")
st run "http://127.0.0.1:$port/v1/openapi.yaml" --url "http://127.0.0.1:$port" \
  -H "Authorization: Bearer $token" --checks not_a_server_error --max-examples 30 \
  --exclude-path-regex '/wait$' --request-timeout 20 2>&1 | tail -12
kill -0 $pid  # the server is still up
