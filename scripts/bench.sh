#!/usr/bin/env bash
# Benchmarks for the hot paths; the figures in the README come from this script.
#   1. in-process decision time (BrakeBenchmarks, release build)
#   2. `brake check --batch` over 10,000 commands (the labelled tables, repeated)
#   3. whole-process time of one `brake check` against /bin/true (the process-start floor)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product brake -Xswiftc -static-executable >/dev/null
swift build -c release --product BrakeBenchmarks >/dev/null
BIN=$(swift build -c release --show-bin-path)

echo "== 1. in-process"
"$BIN/BrakeBenchmarks"

echo "== 2. brake check --batch, 10,000 commands"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat Tests/BrakeCoreTests/Resources/cases/*.jsonl Tests/BrakeCoreTests/Resources/corpus.jsonl \
  | python3 -c 'import json,sys
lines=[json.dumps({"command":json.loads(l)["command"]}) for l in sys.stdin if l.strip()]
out=(lines*(10000//len(lines)+1))[:10000]
print("\n".join(out))' > "$tmp/batch.jsonl"
wc -l < "$tmp/batch.jsonl" | xargs echo "  lines:"
for i in 1 2 3; do
  /usr/bin/time -f "  run $i: %e s wall, %M KB max RSS" "$BIN/brake" check --batch "$tmp/batch.jsonl" > "$tmp/out.jsonl"
done
test "$(wc -l < "$tmp/out.jsonl")" -eq 10000

echo "== 3. whole process: brake check vs /bin/true (200 runs each)"
run() { local start end; start=$(date +%s%N); for _ in $(seq 200); do "$@" >/dev/null || true; done; end=$(date +%s%N); echo $(( (end - start) / 200000 )); }
floor=$(run /bin/true)
check=$(run "$BIN/brake" check "git status")
echo "  /bin/true:               ${floor} µs per run"
echo "  brake check 'git status': ${check} µs per run"
python3 -c "print('  ratio: %.1fx' % ($check / max($floor, 1)))"

echo "== 4. whole process: brake hook claude-code, allow path (200 runs)"
mkdir -p "$tmp/home/project" && git -C "$tmp/home/project" init -q
printf '{"session_id":"bench","cwd":"%s","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git status"},"tool_use_id":"t","permission_mode":"default"}' "$tmp/home/project" > "$tmp/payload.json"
hookrun() { local start end; start=$(date +%s%N); for _ in $(seq 200); do HOME="$tmp/home" BRAKE_HOME="$tmp/home/.brake" "$BIN/brake" hook claude-code < "$tmp/payload.json" >/dev/null; done; end=$(date +%s%N); echo $(( (end - start) / 200000 )); }
truerun() { local start end; start=$(date +%s%N); for _ in $(seq 200); do /bin/true < "$tmp/payload.json" >/dev/null; done; end=$(date +%s%N); echo $(( (end - start) / 200000 )); }
floor=$(truerun)
hook=$(hookrun)
echo "  /bin/true < payload:          ${floor} µs per run"
echo "  brake hook claude-code (allow, audit appended): ${hook} µs per run"
python3 -c "print('  ratio: %.1fx' % ($hook / max($floor, 1)))"
test "$(wc -l < "$tmp/home/.brake/audit.jsonl")" -ge 200

echo "== 5. brake plan on a generated 10,000-resource plan vs python3 json.load of the same file"
python3 - "$tmp/plan10k.json" <<'PY'
import json, sys
types = ["aws_instance", "aws_db_instance", "aws_s3_bucket", "aws_security_group", "aws_dynamodb_table", "terraform_data"]
rcs, res = [], []
for i in range(10000):
    t = types[i % len(types)]
    acts = [["no-op"], ["update"], ["delete", "create"], ["delete"], ["create"]][i % 5]
    before = {"id": f"id-{i}", "name": f"res-{i}", "tags": {"Environment": "staging", "Team": "core"},
              "skip_final_snapshot": False, "force_destroy": False, "size": i}
    rcs.append({"address": f"module.m{i % 50}.{t}.r{i}", "module_address": f"module.m{i % 50}", "mode": "managed",
                "type": t, "name": f"r{i}", "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {"actions": acts, "before": None if acts == ["create"] else before,
                           "after": None if acts == ["delete"] else before, "after_unknown": {}}})
    res.append({"address": f"{t}.r{i}", "mode": "managed", "type": t, "name": f"r{i}", "values": before})
json.dump({"format_version": "1.2", "terraform_version": "1.11.0", "resource_changes": rcs,
           "prior_state": {"format_version": "1.0", "values": {"root_module": {"resources": res}}}}, open(sys.argv[1], "w"))
PY
ls -l "$tmp/plan10k.json" | awk '{print "  plan size: " $5 " bytes"}'
for i in 1 2 3; do
  /usr/bin/time -f "  brake plan --format json: %e s, %M KB" "$BIN/brake" plan "$tmp/plan10k.json" --format json > /dev/null || true
  /usr/bin/time -f "  python3 json.load only:   %e s, %M KB" python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$tmp/plan10k.json"
done

echo "== 6. brake gate over a generated 10,000-commit range"
repo="$tmp/gate-repo"
mkdir -p "$repo" && git -C "$repo" init -q -b main
python3 - "$repo" <<'PY'
import subprocess, sys
repo = sys.argv[1]
lines = []
for i in range(10000):
    msg = f"change {i}\n" + ("\nCo-authored-by: Claude <noreply@anthropic.com>\n" if i % 2 else "")
    data = f"line {i}\n"
    lines.append(f"commit refs/heads/main\nmark :{i + 1}\nauthor Dev {i % 7} <dev{i % 7}@acme.io> {1700000000 + i} +0000\n"
                 f"committer Dev {i % 7} <dev{i % 7}@acme.io> {1700000000 + i} +0000\ndata {len(msg.encode())}\n{msg}\n"
                 + (f"from :{i}\n" if i else "") + f"M 644 inline src/f{i % 50}.txt\ndata {len(data.encode())}\n{data}\n")
subprocess.run(["git", "-C", repo, "fast-import", "--quiet"], input="".join(lines).encode(), check=True)
PY
git -C "$repo" checkout -q main
printf 'version: 1\npeople:\n  - {name: Dev, emails: [dev0@acme.io], level: senior}\npaths:\n  - {pattern: "src/f1*", owners: [dev0@acme.io], risk: high}\n' > "$repo/team.yaml"
first=$(git -C "$repo" rev-list --max-parents=0 HEAD)
for i in 1 2 3; do
  ( cd "$repo" && /usr/bin/time -f "  brake gate, 10,000 commits: %e s, %M KB" "$BIN/brake" gate --range "$first..HEAD" --format json > "$tmp/gate.json" ) || true
done
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print('  commits judged:', len(d['commits']), ' failing:', sum(not c['passed'] for c in d['commits']))" "$tmp/gate.json"
( cd "$repo" && /usr/bin/time -f "  git log alone (same format): %e s" git log --reverse -z --name-only --format=%H "$first..HEAD" > /dev/null )

echo "== 7. brake mcp: added latency per allowed tools/call (300 sequential calls, proxy vs direct)"
python3 scripts/mcp-e2e.py "$BIN/brake" | grep "median per tools/call"
