#!/usr/bin/env bash
# Control-plane load benchmark; the README's server figures come from this script.
#   1. sustained decision-report throughput and latency: wrk (Debian's package) POSTing /v1/decisions
#      over 32 keep-alive connections for 15 s against a release `brake serve` on SQLite, loopback
#   2. the round trips a hook pays, each on a fresh connection (BrakeBenchmarks server-rtt)
#   3. whole `brake hook` processes with the server in the loop vs. local only
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; }
swift build -c release --product brake -Xswiftc -static-executable >/dev/null
swift build -c release --product BrakeBenchmarks >/dev/null
BIN=$(swift build -c release --show-bin-path)
tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN/brake" serve --data-dir "$tmp/server" --listen "127.0.0.1:$port" >"$tmp/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
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
echo "== 1. judged actions: wrk -t1 -c32 -d15s POST /v1/judge (the server parses and judges each raw action, records it group-committed with its audit event, and signs the answer; a reply only after commit)"
wrk -t1 -c32 -d15s --latency -s "$tmp/judge.lua" "http://127.0.0.1:$port/v1/judge" | grep -E "Requests/sec|Latency|50%|90%|99%|requests in|Non-2xx"
"$BIN/brake" audit verify | sed 's/^/  /'

echo "== 2. round trips a hook pays"
"$BIN/BrakeBenchmarks" server-rtt "http://127.0.0.1:$port" "$TOKEN" 2000 | sed 's/^/  /'

echo "== 3. whole process: brake hook claude-code (allow path), 200 runs each"
mkdir -p "$tmp/home/project" && git -C "$tmp/home/project" init -q
printf '{"session_id":"bench","cwd":"%s","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git status"},"tool_use_id":"t","permission_mode":"default"}' "$tmp/home/project" > "$tmp/payload.json"
hookrun() { local start end; start=$(date +%s%N); for _ in $(seq 200); do "$@" "$BIN/brake" hook claude-code < "$tmp/payload.json" >/dev/null; done; end=$(date +%s%N); echo $(( (end - start) / 200000 )); }
localonly=$(hookrun env HOME="$tmp/home" BRAKE_HOME="$tmp/home/.brake-local")
withserver=$(hookrun env HOME="$tmp/home" BRAKE_HOME="$tmp/home/.brake-server" BRAKE_SERVER="http://127.0.0.1:$port" BRAKE_TOKEN="$TOKEN" BRAKE_SERVER_KEY="$KEY")
truerun=$(hookrun /bin/true)
catrun=$(start=$(date +%s%N); for _ in $(seq 200); do /bin/cat < "$tmp/payload.json" >/dev/null; done; end=$(date +%s%N); echo $(( (end - start) / 200000 )))
echo "  /bin/true:               ${truerun} µs per call"
echo "  /bin/cat (reads the same stdin): ${catrun} µs per call"
echo "  local only:              ${localonly} µs per call"
echo "  with the server (judged there, answer signed and verified): ${withserver} µs per call"
