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
