#!/usr/bin/env bash
# Control-plane benchmarks; the README's server figures come from this script.
#   scripts/bench-server.sh [--check] [--quick]   (--check: exit 1 when a goal is missed; --quick: a 5 s load
#   run whose answers and audit count are checked but not its rate — for the test command)
#   1. judged actions: wrk (Debian's package) POSTing raw actions to /v1/judge over 16 keep-alive connections
#      for 15 s against a release `brake serve` on SQLite, loopback; every answer must be a 2xx and the audit
#      log must grow by exactly wrk's request count. Goal: >= 5,000/s at p99 < 20 ms. Then 32 connections
#      (saturation: latency is queueing there, Little's law) for the record, without a goal.
#   2. the round trips a hook pays, each on a fresh connection (BrakeBenchmarks server-rtt)
#   3. the hook's allow path with the server judging: brake-hook through the guard service (as installed)
#      against /bin/true reading the same stdin, interleaved rounds. Goal: <= 3 x /bin/true (the best of up to
#      three attempts a few seconds apart: see ratio_attempts in bench_lib.sh), checked by full runs; --quick (CI,
#      on a shared host) checks a regression bound of 4 x and reports the goal.
#   1b. the same hook path over HTTPS (server restarted with a certificate from a private CA; the service pins the
#      CA): reported, with exactly one audit event per call checked.
#   5. decision reports on SQLite and on PostgreSQL with one and two replicas (scripts/bench-replicas.py). Goal
#      (full run): SQLite >= 7,000/s at p99 < 20 ms; PostgreSQL reported with where its time goes.
#   4. the oversight report over 1,000,000 audit events on SQLite (scripts/bench-report.py: a generated history
#      the server accepts as its own, GET /v1/reports?since=30d timed five times). Goal: median < 2 s (also in
#      --quick: the size is the goal's).
set -euo pipefail
cd "$(dirname "$0")/.."
CHECK=0
QUICK=0
for a in "$@"; do
  case "$a" in
    --check) CHECK=1 ;;
    --quick) QUICK=1 ;;
    *) echo "usage: scripts/bench-server.sh [--check] [--quick]" >&2; exit 64 ;;
  esac
done
DURATION=$([ "$QUICK" = 1 ] && echo 5s || echo 15s)
ROUNDS=9  # the hook rounds are short (100 calls each); a median of 9 holds up on a noisy 2-core VM
. scripts/bench_lib.sh
command -v wrk >/dev/null || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; }
swift build -c release --product brake -Xswiftc -static-executable >/dev/null
swift build -c release --product brake-hook -Xswiftc -static-executable >/dev/null
swift build -c release --product BrakeBenchmarks -Xswiftc -static-executable >/dev/null  # same flags: nothing rebuilt
BIN=$(swift build -c release --show-bin-path)
tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN/brake" serve --data-dir "$tmp/server" --listen "127.0.0.1:$port" >"$tmp/serve.log" 2>&1 &
pid=$!
daemon=""
trap 'if [ -n "$daemon" ]; then kill $daemon 2>/dev/null; fi; kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v1/health" >/dev/null && break; sleep 0.05; done
export BRAKE_HOME="$tmp/admin"
"$BIN/brake" login --person --server "http://127.0.0.1:$port" --token "$(cat "$tmp/server/admin-token")" >/dev/null
PERSON=$("$BIN/brake" users add bench --role mid --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
TOKEN=$(BRAKE_TOKEN="$PERSON" "$BIN/brake" tokens create --agent --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
KEY=$(curl -sf "http://127.0.0.1:$port/v1/audit/public-key" | python3 -c 'import json,sys; print(json.load(sys.stdin)["public_key"])')
export TOKEN

cat > "$tmp/judge.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"agent":"claude-code","session":"bench-%d","tool":"Bash","actions":[{"kind":"shell","command":"git status --short %d"}],"context":{"cwd":"/home/dev/project","home":"/home/dev"},"nonce":"bench-nonce-%016d"}', n % 500, n, n)
  return wrk.format(nil, nil, nil, body)
end
LUA
audit_events_tls() { env -u BRAKE_TOKEN -u BRAKE_SERVER -u BRAKE_SERVER_KEY BRAKE_HOME="$tmp/admin" BRAKE_SERVER="https://127.0.0.1:$port" BRAKE_CA_FILE="$tmp/ca.pem" BRAKE_TOKEN="$(cat "$tmp/server/admin-token")" "$BIN/brake" audit verify | grep -o "[0-9]* events" | grep -o "[0-9]*"; }
audit_events() { env -u BRAKE_TOKEN -u BRAKE_SERVER -u BRAKE_SERVER_KEY BRAKE_HOME="$tmp/admin" "$BIN/brake" audit verify | grep -o "[0-9]* events" | grep -o "[0-9]*"; }
echo "== 1. the hook's allow path with the server judging (a server at rest): $ROUNDS interleaved rounds of 100 calls"
mkdir -p "$tmp/home/project" && git -C "$tmp/home/project" init -q
printf '{"session_id":"bench","cwd":"%s","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git status"},"tool_use_id":"t","permission_mode":"default"}' "$tmp/home/project" > "$tmp/payload.json"
export HOME="$tmp/home" BRAKE_HOME="$tmp/home/.brake" BRAKE_SERVER="http://127.0.0.1:$port" BRAKE_TOKEN="$TOKEN" BRAKE_SERVER_KEY="$KEY"
"$BIN/brake" daemon 2> "$tmp/daemon.log" &
daemon=$!
for _ in $(seq 100); do [ -S "$BRAKE_HOME/guard.sock" ] && break; sleep 0.05; done
test "$("$BIN/brake-hook" claude-code < "$tmp/payload.json"; echo "rc=$?")" = "rc=0"
events0=$(audit_events)
ratio_attempts 3 "$ROUNDS" 100 "$tmp/payload.json" -- "$BIN/brake-hook" claude-code
events1=$(audit_events)
echo "  brake-hook claude-code, judged by the server (answer signed, verified): ${CMD_US} µs vs /bin/true ${BASE_US} µs: ${RATIO}x (rounds ${RATIO_MIN}–${RATIO_MAX}x; best of $ATTEMPTS attempt(s))"
calls=$((ATTEMPTS * ROUNDS * 100))
echo "  server audit log grew by $((events1 - events0)) events for $calls hook calls"
goal "server audit events per hook call (exactly one each)" "$((events1 - events0))" "==" $calls
# The 3x goal holds on a quiet host. On a busy shared one the three-process chain slows more than /bin/true does
# (commit 606dbc4 measured 2.5x on a quiet host and 3.9x on a busy one the same week), so CI's quick run checks a
# regression bound of 4x and reports the goal; a full --check run checks the goal itself.
if [ "$QUICK" = 1 ]; then
  if python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= 3 else 1)' "$RATIO"; then
    echo "  (the goal, checked by a full --check run: ${RATIO}x <= 3x, met here too)"
  else
    echo "  (the goal, checked by a full --check run on a quiet host: ${RATIO}x > 3x here, on a busy host)"
  fi
  goal "hook allow path with the server / /bin/true, CI's regression bound on a shared host" "$RATIO" "<=" 4
else
  goal "hook allow path with the server / /bin/true" "$RATIO" "<=" 3
fi
kill $daemon; wait $daemon 2>/dev/null || true; daemon=""
echo "   the same over HTTPS (the server restarted with --tls-cert/--tls-key; the service verifies the certificate"
echo "   against a pinned CA, a full TLS handshake per call: TLS sessions are not kept between calls)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/ca.key" -out "$tmp/ca.pem" \
  -days 2 -subj "/CN=bench CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/tls.key" -out "$tmp/tls.csr" \
  -subj "/CN=bench" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$tmp/tls.ext"
openssl x509 -req -in "$tmp/tls.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial -out "$tmp/tls.crt" \
  -days 2 -extfile "$tmp/tls.ext" 2>/dev/null
restart_server() {  # restart_server [TLS ARGS...]: the same data directory and port
  kill $pid; wait $pid 2>/dev/null || true
  "$BIN/brake" serve --data-dir "$tmp/server" --listen "127.0.0.1:$port" "$@" >"$tmp/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 200); do curl -sf --cacert "$tmp/ca.pem" "$SCHEME://127.0.0.1:$port/v1/health" >/dev/null && break; sleep 0.05; done
}
SCHEME=https restart_server --tls-cert "$tmp/tls.crt" --tls-key "$tmp/tls.key"
export BRAKE_SERVER="https://127.0.0.1:$port" BRAKE_CA_FILE="$tmp/ca.pem"
rm -f "$BRAKE_HOME/guard.sock"
"$BIN/brake" daemon 2> "$tmp/daemon.log" &
daemon=$!
for _ in $(seq 100); do [ -S "$BRAKE_HOME/guard.sock" ] && break; sleep 0.05; done
test "$("$BIN/brake-hook" claude-code < "$tmp/payload.json"; echo "rc=$?")" = "rc=0"
events0=$(audit_events_tls)
ratio 3 100 "$tmp/payload.json" -- "$BIN/brake-hook" claude-code
events1=$(audit_events_tls)
echo "  brake-hook claude-code, judged by the server over HTTPS: ${CMD_US} µs vs /bin/true ${BASE_US} µs: ${RATIO}x (rounds ${RATIO_MIN}–${RATIO_MAX}x)"
goal "server audit events per hook call over HTTPS (exactly one each)" "$((events1 - events0))" "==" 300
kill $daemon; wait $daemon 2>/dev/null || true; daemon=""
unset BRAKE_CA_FILE
export BRAKE_SERVER="http://127.0.0.1:$port"
SCHEME=http restart_server
if [ "$QUICK" = 0 ]; then  # the in-process fallback, for the record (no goal)
  ratio 3 100 "$tmp/payload.json" -- "$BIN/brake" hook claude-code
  echo "  brake hook claude-code in the agent's process (no service), judged by the server: ${CMD_US} µs vs /bin/true ${BASE_US} µs: ${RATIO}x"
  catrun=$(per_call_us 300 "$tmp/payload.json" /bin/cat)
  echo "  /bin/cat (reads the same stdin): ${catrun} µs per call"
fi
unset BRAKE_SERVER BRAKE_TOKEN BRAKE_SERVER_KEY
export HOME="$tmp" BRAKE_HOME="$tmp/admin"

echo "== 2. judged actions: wrk -t1 -c16 -d$DURATION POST /v1/judge (the server parses and judges each raw action, records it group-committed with its audit event, and signs the answer; a reply only after commit)"
events0=$(audit_events)
wrk -t1 -c16 -d$DURATION --latency -s "$tmp/judge.lua" "http://127.0.0.1:$port/v1/judge" > "$tmp/wrk.txt"
grep -E "Requests/sec|Latency|50%|90%|99%|requests in|Non-2xx|Socket errors" "$tmp/wrk.txt"
events1=$(audit_events)
"$BIN/brake" audit verify | sed 's/^/  /'
requests=$(grep -o '[0-9]* requests in' "$tmp/wrk.txt" | grep -o '^[0-9]*')
rps=$(grep 'Requests/sec' "$tmp/wrk.txt" | awk '{print $2}')
p99=$(grep -E '^ +99%' "$tmp/wrk.txt" | awk '{print $2}' | python3 -c 'import sys; v=sys.stdin.read().strip(); print(float(v[:-2]) if v.endswith("ms") else float(v[:-2])/1000 if v.endswith("us") else float(v[:-1])*1000)')
# wrk counts the requests it completed; a request in flight when the run ends may still be recorded: allow 16.
grew=$((events1 - events0))
echo "  audit log grew by $grew events for $requests completed requests"
goal "non-2xx answers" "$(grep -o 'Non-2xx or 3xx responses: [0-9]*' "$tmp/wrk.txt" | grep -o '[0-9]*$' || echo 0)" "<=" 0
goal "audit events beyond the completed requests (in flight at the end: at most 16)" "$((grew - requests))" "<=" 16
goal "...and none missing" "$((grew - requests))" ">=" 0
if [ "$QUICK" = 0 ]; then
  goal "judged actions per second" "$rps" ">=" 5000
  goal "p99 latency (ms)" "$p99" "<" 20
  echo "  saturation, for the record: wrk -t1 -c32 -d10s"
  wrk -t1 -c32 -d10s --latency -s "$tmp/judge.lua" "http://127.0.0.1:$port/v1/judge" | grep -E "Requests/sec|99%|Non-2xx" | sed 's/^/  /'
fi

if [ "$QUICK" = 0 ]; then
  echo "== 3. round trips a hook pays"
  "$BIN/BrakeBenchmarks" server-rtt "http://127.0.0.1:$port" "$TOKEN" 2000 | sed 's/^/  /'
fi

echo "== 4. the oversight report over 1,000,000 audit events (SQLite)"
# bench-report.py prints the figure and exits 1 when the goal is missed (or the report or its chain is wrong).
if python3 scripts/bench-report.py "$BIN/brake" --check; then
  echo "  GOAL met:    the oversight report over 1,000,000 audit events in under 2 s"
else
  echo "  GOAL MISSED: the oversight report over 1,000,000 audit events (above)"
  GOALS_FAILED=$((GOALS_FAILED + 1))
fi

echo "== 5. decision reports: SQLite and PostgreSQL (one and two replicas), with where the time goes"
if python3 scripts/bench-replicas.py "$BIN" $([ "$CHECK" = 1 ] && echo --check) $([ "$QUICK" = 1 ] && echo --quick); then
  :
else
  GOALS_FAILED=$((GOALS_FAILED + 1))
fi

finish_goals
