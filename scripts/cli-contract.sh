#!/usr/bin/env bash
# End-to-end checks of the `brake` command-line contract: exit statuses, JSON keys, batch mode, policy files.
set -uo pipefail
BRAKE=${1:?usage: cli-contract.sh PATH-TO-BRAKE}
HERE=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
expect_status() {  # expect_status WANT DESCRIPTION -- CMD...
  local want=$1 what=$2; shift 3
  "$@" >"$work/out" 2>"$work/err"; local got=$?
  if [ "$got" != "$want" ]; then echo "FAIL $what: exit $got, want $want"; cat "$work/out" "$work/err"; fail=1; else echo "ok   $what"; fi
}
mkdir -p "$work/repo" && git -C "$work/repo" init -q
cd "$work/repo"
export HOME="$work/home"; mkdir -p "$HOME"
expect_status 0 "allow exits 0" -- "$BRAKE" check "git status"
expect_status 1 "ask exits 1" -- "$BRAKE" check "git push --force origin main"
expect_status 2 "deny exits 2" -- "$BRAKE" check "rm -rf /"
expect_status 64 "usage error exits 64" -- "$BRAKE" check --format yaml "ls"
expect_status 64 "unknown option exits 64" -- "$BRAKE" check --frmat json "ls"
expect_status 64 "missing command exits 64" -- "$BRAKE" check --format json
expect_status 2 "-- before the command" -- "$BRAKE" check --format=json -- "rm -rf /"
expect_status 0 "check --help goes through the general parser" -- "$BRAKE" check --help
grep -q -- "--batch" "$work/out" && echo "ok   check --help lists --batch" || { echo "FAIL check --help"; fail=1; }
expect_status 65 "unreadable policy exits 65" -- "$BRAKE" check --policy "$work/missing.yaml" "ls"
printf 'rules:\n  - id: x\n    decison: ask\n' > "$work/bad.yaml"
expect_status 65 "invalid policy exits 65" -- "$BRAKE" check --policy "$work/bad.yaml" "ls"
grep -q "bad.yaml:3:5" "$work/err" && echo "ok   policy error names file:line:column" || { echo "FAIL policy error location"; cat "$work/err"; fail=1; }
"$BRAKE" check --format json "rm -rf ~/x" > "$work/json"
python3 - "$work/json" <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
assert d["decision"] == "ask", d
assert set(["decision", "reasons", "labels", "commands", "digest"]) <= set(d), d
assert d["digest"].startswith("sha256:") and len(d["digest"]) == 71
assert all(set(r) == {"rule", "message"} for r in d["reasons"])
print("ok   JSON decision keys")
PY
printf '%s\n' '{"command": "ls"}' 'not json' '{"command": "rm -rf /", "cwd": "/tmp"}' '{"cwd": "/tmp"}' '{"command": "echo $X", "env": {"X": "1"}}' > "$work/batch.jsonl"
expect_status 0 "batch exits 0 when every line was processed" -- "$BRAKE" check --batch "$work/batch.jsonl"
python3 - "$work/out" <<'PY' || fail=1
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 5, lines
assert lines[0]["decision"] == "allow" and "error" in lines[1] and lines[2]["decision"] == "deny" and "error" in lines[3] and lines[4]["decision"] == "allow", lines
print("ok   batch output: one line per input line, errors in place")
PY
mkdir -p .brake && printf 'overrides:\n  - rule: git.force-push\n    decision: deny\n' > .brake/policy.yaml
expect_status 2 "repository policy tightens" -- "$BRAKE" check "git push --force origin main"
printf 'overrides:\n  - rule: fs.wipe-root-or-home\n    decision: allow\n' > .brake/policy.yaml
expect_status 65 "repository cannot loosen a critical deny" -- "$BRAKE" check "ls"
rm -rf .brake
expect_status 0 "policy test passes" -- "$BRAKE" policy test
expect_status 0 "policy show" -- "$BRAKE" policy show
grep -q "fs.wipe-root-or-home" "$work/out" && echo "ok   policy show lists rules" || { echo "FAIL policy show"; fail=1; }
expect_status 0 "explain" -- "$BRAKE" explain "bash -c 'rm -rf ~/proj'"
grep -q "effective commands" "$work/out" && grep -q "fs.delete-outside-project" "$work/out" && echo "ok   explain shows commands and rules" || { echo "FAIL explain"; cat "$work/out"; fail=1; }
# brake exec: the command's own streams and exit status, or 75/77 when it may not run
expect_status 7 "exec passes the exit status through" -- "$BRAKE" exec -- sh -c 'exit 7'
[ "$(echo piped | "$BRAKE" exec -- cat)" = "piped" ] && echo "ok   exec forwards stdin and stdout" || { echo "FAIL exec streams"; fail=1; }
expect_status 77 "exec refuses a denied command" -- "$BRAKE" exec -- rm -rf /
expect_status 75 "exec holds a command that needs approval" -- "$BRAKE" exec -- rm -rf "$HOME/elsewhere"
id=$(grep -o 'brake approve [a-z0-9]*' "$work/err" | awk '{print $3}')
"$BRAKE" approve "$id" >/dev/null
mkdir -p "$HOME/elsewhere"
expect_status 0 "exec runs it once approved" -- "$BRAKE" exec -- rm -rf "$HOME/elsewhere"
[ ! -e "$HOME/elsewhere" ] && echo "ok   ...and the command really ran" || { echo "FAIL approved exec did not run"; fail=1; }
expect_status 75 "the approval was single-use" -- "$BRAKE" exec -- rm -rf "$HOME/elsewhere"

# brake install never writes a build directory into an agent's configuration (a hook that cannot start
# fails open in Claude Code); an installed copy, or --command, is what agents run.
mkdir -p .claude .cursor .gemini .codex
expect_status 64 "install from a build directory is refused (no build path in an agent's configuration)" -- \
  env PATH=/usr/bin:/bin "$BRAKE" install claude-code
mkdir -p "$work/bin" && cp "$BRAKE" "$work/bin/brake"
INSTALLED="$work/bin/brake"
"$INSTALLED" install claude-code --dry-run | grep -q "$work/bin/brake' hook claude-code\|$work/bin/brake hook claude-code" \
  && echo "ok   an installed brake writes its own stable path" || { echo "FAIL install path"; fail=1; }
env PATH="$work/bin:/usr/bin:/bin" "$BRAKE" install claude-code --dry-run | grep -q "$work/bin/brake" \
  && echo "ok   from a build directory, the installed brake on PATH is written instead" || { echo "FAIL install PATH lookup"; fail=1; }
# brake hook never fails open: a misconfigured hook answers deny (exit 2, or the agent's own deny)
echo '{}' | "$BRAKE" hook claude >/dev/null 2>&1; [ $? = 2 ] && echo "ok   brake hook with an unknown agent name blocks (exit 2)" || { echo "FAIL hook unknown agent"; fail=1; }
echo '{}' | "$BRAKE" hook >/dev/null 2>&1; [ $? = 2 ] && echo "ok   brake hook without an agent name blocks (exit 2)" || { echo "FAIL hook no agent"; fail=1; }
out=$(echo '{"tool_name":"Bash","tool_input":{"command":"ls"}}' | "$BRAKE" hook claude-code --bogus 2>/dev/null)
echo "$out" | grep -q '"permissionDecision":"deny"' && echo "ok   brake hook claude-code with a bad option answers deny in Claude Code's protocol" || { echo "FAIL hook bad option: $out"; fail=1; }
for agent in claude-code cursor gemini codex copilot kiro; do
  echo '{}' | BRAKE_HOOK_TEST_CRASH=1 "$BRAKE" hook $agent >/dev/null 2>"$work/crash"; rc=$?
  [ $rc = 2 ] && grep -q "crashed" "$work/crash" && echo "ok   a crashing brake hook $agent blocks (exit 2, reason on stderr)" || { echo "FAIL crash $agent: exit $rc"; fail=1; }
done
out=$(echo '{"tool_name":"Bash","tool_input":{"command":"ls"}}' | "$BRAKE" hook claude-code --wait soon 2>/dev/null)
echo "$out" | grep -q '"permissionDecision":"deny"' && echo "ok   brake hook with a bad --wait answers deny" || { echo "FAIL hook bad wait: $out"; fail=1; }
# brake doctor: a hook that runs a build directory is a failure; reinstalled from the installed copy it is fine
"$INSTALLED" install claude-code --command "$BRAKE" >/dev/null
"$INSTALLED" doctor > "$work/doctor" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "runs a build directory" "$work/doctor" && echo "ok   brake doctor reports a hook that runs a build directory (exit 1)" || { echo "FAIL doctor build dir: $rc"; cat "$work/doctor"; fail=1; }
"$INSTALLED" install claude-code >/dev/null
"$INSTALLED" doctor --format json > "$work/doctor.json"; rc=$?
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ok"] and any("claude-code hook in" in f["what"] for f in d["findings"]), d' "$work/doctor.json" && [ $rc = 0 ] \
  && echo "ok   after reinstalling from the installed brake, brake doctor is satisfied (exit 0, JSON findings)" || { echo "FAIL doctor after reinstall"; fail=1; }
"$INSTALLED" uninstall claude-code >/dev/null
mkdir -p .gemini && printf '{"hooksConfig": {"disabled": ["brake"]}}\n' > .gemini/settings.json
"$INSTALLED" doctor > "$work/doctor" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "hooksConfig.disabled" "$work/doctor" && echo "ok   brake doctor reports a Gemini setting that switches Brake off" || { echo "FAIL doctor gemini disabled"; fail=1; }
rm -f .gemini/settings.json
# Gemini CLI runs no hooks in a folder the person has not trusted (longest rule wins, TRUST_PARENT covers the parent).
"$INSTALLED" install gemini >/dev/null
"$INSTALLED" doctor > "$work/doctor" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "Gemini CLI does not trust" "$work/doctor" && echo "ok   brake doctor reports a folder Gemini CLI does not trust" || { echo "FAIL doctor gemini untrusted: $rc"; cat "$work/doctor"; fail=1; }
mkdir -p "$HOME/.gemini"
printf '{"%s": "TRUST_PARENT"}\n' "$PWD/sub" > "$HOME/.gemini/trustedFolders.json"
"$INSTALLED" doctor > "$work/doctor" 2>&1
! grep -q "Gemini CLI does not trust" "$work/doctor" && echo "ok   ...and not once TRUST_PARENT on a child trusts it" || { echo "FAIL doctor gemini trusted"; cat "$work/doctor"; fail=1; }
printf '{"%s": "TRUST_FOLDER", "%s": "DO_NOT_TRUST"}\n' "$(dirname "$PWD")" "$PWD" > "$HOME/.gemini/trustedFolders.json"
"$INSTALLED" doctor > "$work/doctor" 2>&1
grep -q "Gemini CLI does not trust.*DO_NOT_TRUST" "$work/doctor" && echo "ok   ...while the longest rule, DO_NOT_TRUST, wins over a trusted parent" || { echo "FAIL doctor gemini longest rule"; cat "$work/doctor"; fail=1; }
GEMINI_CLI_TRUST_WORKSPACE=true "$INSTALLED" doctor > "$work/doctor" 2>&1
! grep -q "Gemini CLI does not trust" "$work/doctor" && echo "ok   ...and GEMINI_CLI_TRUST_WORKSPACE=true overrides the file" || { echo "FAIL doctor gemini env"; fail=1; }
rm -f "$HOME/.gemini/trustedFolders.json"; "$INSTALLED" uninstall gemini >/dev/null; rm -f .gemini/settings.json
# Claude Code: with allowManagedHooksOnly in managed settings, a project-level hook never runs.
mkdir -p "$work/managed/etc/claude-code" && printf '{"allowManagedHooksOnly": true}\n' > "$work/managed/etc/claude-code/managed-settings.json"
"$INSTALLED" install claude-code >/dev/null
BRAKE_SYSTEM_ROOT="$work/managed" "$INSTALLED" doctor > "$work/doctor" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "allows managed hooks only" "$work/doctor" && echo "ok   brake doctor reports a project hook that managed-hooks-only switches off" || { echo "FAIL doctor managed only: $rc"; cat "$work/doctor"; fail=1; }
"$INSTALLED" uninstall claude-code >/dev/null
mkdir -p "$work/managed/etc/codex" && printf 'allow_managed_hooks_only = true\n' > "$work/managed/etc/codex/requirements.toml"
"$INSTALLED" install codex >/dev/null
BRAKE_SYSTEM_ROOT="$work/managed" "$INSTALLED" doctor > "$work/doctor" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "Codex allows managed hooks only" "$work/doctor" && echo "ok   ...and one that Codex's allow_managed_hooks_only switches off" || { echo "FAIL doctor codex managed only: $rc"; cat "$work/doctor"; fail=1; }
"$INSTALLED" uninstall codex >/dev/null
# brake install / uninstall round trip on configuration files that hold other hooks
printf '{\n  "permissions": {"allow": ["Bash(ls)"]},\n  "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "python3 guard.py"}]}]}\n}\n' > .claude/settings.json
printf '{"version": 1, "hooks": {"beforeShellExecution": [{"command": "./audit.sh"}]}}\n' > .cursor/hooks.json
printf '{"theme": "dark"}\n' > .gemini/settings.json
for agent in claude-code cursor gemini codex copilot kiro; do
  case $agent in claude-code) f=.claude/settings.json;; cursor) f=.cursor/hooks.json;; gemini) f=.gemini/settings.json;; codex) f=.codex/hooks.json;; copilot) f=.github/hooks/brake.json;; kiro) f=.kiro/hooks/brake.json;; esac
  before=$(cat "$f" 2>/dev/null | python3 -c 'import json,sys; t=sys.stdin.read(); print(json.dumps(json.loads(t), sort_keys=True) if t.strip() else "")')
  "$INSTALLED" install $agent --dry-run > "$work/dry" && [ "$(cat "$f" 2>/dev/null | python3 -c 'import json,sys; t=sys.stdin.read(); print(json.dumps(json.loads(t), sort_keys=True) if t.strip() else "")')" = "$before" ] && grep -q "hook $agent" "$work/dry" \
    && echo "ok   install $agent --dry-run shows the change and writes nothing" || { echo "FAIL install $agent --dry-run"; fail=1; }
  "$INSTALLED" install $agent >/dev/null && cp "$f" "$work/once" && "$INSTALLED" install $agent >/dev/null
  grep -q "hook $agent" "$f" && cmp -s "$f" "$work/once" && echo "ok   install $agent adds the hook once (idempotent)" || { echo "FAIL install $agent is not idempotent"; fail=1; }
  "$BRAKE" uninstall $agent >/dev/null
  after=$(cat "$f" 2>/dev/null | python3 -c 'import json,sys; t=sys.stdin.read(); print(json.dumps(json.loads(t), sort_keys=True) if t.strip() else "")')
  [ "$after" = "$before" ] && echo "ok   uninstall $agent restores the file" || { echo "FAIL uninstall $agent: $before -> $after"; fail=1; }
done
# Amazon Q CLI and Kiro 2.x read hooks only from agent files: brake install kiro adds its hook there and removes it
mkdir -p .kiro/agents .amazonq/cli-agents
printf '{"name": "dev", "tools": ["*"], "hooks": {"preToolUse": [{"matcher": "fs_write", "command": "./lint.sh"}]}}\n' > .kiro/agents/dev.json
printf '{"name": "ops", "description": "ops agent"}\n' > .amazonq/cli-agents/ops.json
canon() { python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), sort_keys=True))' "$1"; }
k0=$(canon .kiro/agents/dev.json); q0=$(canon .amazonq/cli-agents/ops.json)
"$INSTALLED" install kiro >/dev/null
python3 - <<'PY' && echo "ok   install kiro adds a preToolUse hook to every Q / Kiro 2.x agent file, keeping theirs" || { echo "FAIL install kiro agent files"; fail=1; }
import json
for f in [".kiro/agents/dev.json", ".amazonq/cli-agents/ops.json"]:
    pre = json.load(open(f))["hooks"]["preToolUse"]
    assert sum(" hook kiro" in h["command"] for h in pre) == 1 and pre[-1]["timeout_ms"] == 30000, (f, pre)
assert json.load(open(".kiro/agents/dev.json"))["hooks"]["preToolUse"][0]["command"] == "./lint.sh"
PY
"$INSTALLED" install kiro >/dev/null
[ "$(python3 -c 'import json; print(sum(" hook kiro" in h["command"] for h in json.load(open(".kiro/agents/dev.json"))["hooks"]["preToolUse"]))')" = 1 ] \
  && echo "ok   install kiro twice keeps one hook per agent file" || { echo "FAIL install kiro twice"; fail=1; }
"$INSTALLED" uninstall kiro >/dev/null
[ "$(canon .kiro/agents/dev.json)" = "$k0" ] && [ "$(canon .amazonq/cli-agents/ops.json)" = "$q0" ] \
  && echo "ok   uninstall kiro restores every agent file" || { echo "FAIL uninstall kiro agent files"; fail=1; }
rm -rf .kiro/agents .amazonq
# MCP servers: wrapped behind brake mcp and restored exactly
printf '{"mcpServers": {"mail": {"command": "python3", "args": ["mail.py"], "env": {"X": "1"}}, "remote": {"url": "https://mcp.example/mcp"}}}\n' > .mcp.json
mkdir -p .cursor && printf '{"mcpServers": {"db": {"command": "npx", "args": ["-y", "db-mcp"]}}}\n' > .cursor/mcp.json
printf '{"theme": "dark", "mcpServers": {"fs": {"command": "fs-mcp"}}}\n' > .gemini/settings.json
for pair in claude-code:.mcp.json cursor:.cursor/mcp.json gemini:.gemini/settings.json; do
  agent=${pair%%:*}; f=${pair#*:}
  before=$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), sort_keys=True))' "$f")
  "$INSTALLED" install mcp-servers $agent >/dev/null
  grep -q '"--name"' "$f" && python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["mcpServers"]; assert all(s.get("args",[""])[0]=="mcp" for s in d.values() if "command" in s), d' "$f" \
    && echo "ok   install mcp-servers $agent wraps every stdio server in brake mcp" || { echo "FAIL install mcp-servers $agent"; fail=1; }
  "$BRAKE" uninstall mcp-servers $agent >/dev/null
  after=$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), sort_keys=True))' "$f")
  [ "$after" = "$before" ] && echo "ok   uninstall mcp-servers $agent restores them" || { echo "FAIL uninstall mcp-servers $agent"; fail=1; }
done
printf '{broken' > .gemini/settings.json
expect_status 65 "install refuses a configuration file that is not JSON" -- "$INSTALLED" install gemini
grep -q '{broken' .gemini/settings.json && echo "ok   ...and leaves it untouched" || { echo "FAIL broken file was changed"; fail=1; }
# Copilot's cloud agent: the hook runs /usr/local/bin/brake, and the setup steps put a checked download there.
"$INSTALLED" install copilot --cloud >/dev/null
python3 - "$PWD/.github/hooks/brake.json" "$PWD/.github/workflows/copilot-setup-steps.yml" <<'PY' && echo "ok   install copilot --cloud: the hook runs /usr/local/bin/brake and copilot-setup-steps installs it there" || { echo "FAIL install copilot --cloud"; fail=1; }
import json, sys
hook = json.load(open(sys.argv[1]))
assert hook["hooks"]["preToolUse"][0]["bash"] == "/usr/local/bin/brake hook copilot", hook
wf = open(sys.argv[2]).read()
assert "\n  copilot-setup-steps:\n" in wf and "sha256sum -c" in wf and "BRAKE_INSTALL_DIR: /usr/local/bin" in wf, wf
PY
# The install step itself, run here against a local download: a wrong digest installs nothing.
python3 - "$PWD/.github/workflows/copilot-setup-steps.yml" > "$work/setup-step.sh" <<'PY'
import sys
text = open(sys.argv[1]).read()
body = text.split("run: |\n", 1)[1]
print("\n".join(line[10:] for line in body.splitlines()))
PY
mkdir -p "$work/dl" "$work/cloudbin" && cp "$INSTALLED" "$work/dl/brake"
(cd "$work/dl" && python3 -m http.server 0 --bind 127.0.0.1 > "$work/http.log" 2>&1 & echo $! > "$work/http.pid")
for _ in $(seq 50); do port=$(grep -o 'port [0-9]*' "$work/http.log" | grep -o '[0-9]*'); [ -n "$port" ] && break; sleep 0.1; done
sum=$(sha256sum "$work/dl/brake" | cut -d' ' -f1)
BRAKE_DOWNLOAD_URL="http://127.0.0.1:$port/brake" BRAKE_SHA256=0000 BRAKE_INSTALL_DIR="$work/cloudbin" bash "$work/setup-step.sh" >/dev/null 2>&1
[ $? != 0 ] && [ ! -e "$work/cloudbin/brake" ] && echo "ok   the setup step refuses a download whose digest is wrong" || { echo "FAIL setup step wrong digest"; fail=1; }
BRAKE_DOWNLOAD_URL="http://127.0.0.1:$port/brake" BRAKE_SHA256="$sum" BRAKE_INSTALL_DIR="$work/cloudbin" bash "$work/setup-step.sh" >/dev/null 2>&1
[ $? = 0 ] && [ -x "$work/cloudbin/brake" ] && echo "ok   ...and installs the checked one" || { echo "FAIL setup step install"; fail=1; }
kill "$(cat "$work/http.pid")" 2>/dev/null
"$INSTALLED" uninstall copilot >/dev/null; rm -f .github/workflows/copilot-setup-steps.yml
# Managed, system-wide configuration (root only; below a test BRAKE_SYSTEM_ROOT)
if [ "$(id -u)" = 0 ]; then
  sysroot="$work/sysroot"
  for pair in claude-code:etc/claude-code/managed-settings.d/brake.json cursor:etc/cursor/hooks.json \
              gemini:etc/gemini-cli/settings.json copilot:etc/github-copilot/policy.d/brake.json; do
    agent=${pair%%:*}; f="$sysroot/${pair#*:}"
    BRAKE_SYSTEM_ROOT="$sysroot" "$INSTALLED" install $agent --system >/dev/null
    mode=$(stat -c '%a %U' "$f" 2>/dev/null)
    grep -q "$work/bin/brake" "$f" 2>/dev/null && [ "$mode" = "644 root" ] \
      && echo "ok   install $agent --system writes $f (root, 0644)" || { echo "FAIL install $agent --system ($mode)"; fail=1; }
    BRAKE_SYSTEM_ROOT="$sysroot" "$INSTALLED" uninstall $agent --system >/dev/null
    { [ ! -e "$f" ] || ! grep -q brake "$f"; } && echo "ok   uninstall $agent --system removes it" || { echo "FAIL uninstall $agent --system"; fail=1; }
  done
  grep -q allowManagedHooksOnly <(BRAKE_SYSTEM_ROOT="$sysroot" "$INSTALLED" install claude-code --system --dry-run) \
    && echo "ok   Claude Code's managed drop-in allows managed hooks only" || { echo "FAIL allowManagedHooksOnly"; fail=1; }
  # Codex's system layer is TOML: Brake's block goes beside the operator's own settings and hooks, and comes out whole.
  mkdir -p "$sysroot/etc/codex"
  printf 'model = "o3"\n\n[mcp_servers.docs]\ncommand = "docs-mcp"\n\n[[hooks.PreToolUse]]\nmatcher = "Bash"\n\n[[hooks.PreToolUse.hooks]]\ntype = "command"\ncommand = "audit-hook"\n' > "$sysroot/etc/codex/config.toml"
  cp "$sysroot/etc/codex/config.toml" "$work/codex-before.toml"
  printf 'allowed_sandbox_modes = ["read-only"]\n' > "$sysroot/etc/codex/requirements.toml"
  BRAKE_SYSTEM_ROOT="$sysroot" "$INSTALLED" install codex --system >/dev/null
  python3 - "$sysroot/etc/codex/config.toml" "$work/bin/brake" <<'PY' && echo "ok   install codex --system adds a managed [[hooks.PreToolUse]] to /etc/codex/config.toml, keeping the rest" || { echo "FAIL install codex --system"; cat "$sysroot/etc/codex/config.toml"; fail=1; }
import sys, tomllib
t = tomllib.load(open(sys.argv[1], "rb"))
pre = t["hooks"]["PreToolUse"]
assert t["model"] == "o3" and t["mcp_servers"]["docs"]["command"] == "docs-mcp", t
assert pre[0]["hooks"][0]["command"] == "audit-hook", pre
ours = [h for g in pre for h in g["hooks"] if sys.argv[2] in h["command"] and h["command"].endswith("codex")]
assert len(ours) == 1 and ours[0]["timeout"] == 30 and ours[0]["type"] == "command", pre
PY
  [ "$(stat -c '%a %U' "$sysroot/etc/codex/config.toml")" = "644 root" ] && echo "ok   ...root-owned, 0644" || { echo "FAIL codex system file mode"; fail=1; }
  python3 -c 'import sys, tomllib; t = tomllib.load(open(sys.argv[1], "rb")); assert t["features"]["hooks"] is True and t["allowed_sandbox_modes"] == ["read-only"], t' "$sysroot/etc/codex/requirements.toml" \
    && echo "ok   ...and hooks are pinned on in requirements.toml, beside the operator's requirements" || { echo "FAIL codex requirements pin"; cat "$sysroot/etc/codex/requirements.toml"; fail=1; }
  BRAKE_SYSTEM_ROOT="$sysroot" "$INSTALLED" install codex --system | grep -q "already installed" \
    && echo "ok   installing again changes nothing" || { echo "FAIL codex --system twice"; fail=1; }
  BRAKE_SYSTEM_ROOT="$sysroot" "$INSTALLED" uninstall codex --system >/dev/null
  cmp -s "$sysroot/etc/codex/config.toml" "$work/codex-before.toml" \
    && echo "ok   uninstall codex --system leaves the operator's file exactly as it was" || { echo "FAIL uninstall codex --system"; diff "$work/codex-before.toml" "$sysroot/etc/codex/config.toml"; fail=1; }
  [ "$(cat "$sysroot/etc/codex/requirements.toml")" = 'allowed_sandbox_modes = ["read-only"]' ] \
    && echo "ok   ...and its requirements file too" || { echo "FAIL codex requirements unpin"; cat "$sysroot/etc/codex/requirements.toml"; fail=1; }
  printf '[features]\nhooks = false\n' > "$sysroot/etc/codex/requirements.toml"
  expect_status 65 "install codex --system refuses requirements that pin hooks off" -- env BRAKE_SYSTEM_ROOT="$sysroot" "$INSTALLED" install codex --system
  printf '[features]\nweb_search = true\n\n[sandbox]\nx = 1\n' > "$sysroot/etc/codex/requirements.toml"
  BRAKE_SYSTEM_ROOT="$sysroot" "$INSTALLED" install codex --system >/dev/null
  python3 -c 'import sys, tomllib; t = tomllib.load(open(sys.argv[1], "rb")); assert t["features"] == {"web_search": True, "hooks": True} and t["sandbox"] == {"x": 1}, t' "$sysroot/etc/codex/requirements.toml" \
    && echo "ok   ...and adds hooks = true to an existing [features] table" || { echo "FAIL codex features table"; cat "$sysroot/etc/codex/requirements.toml"; fail=1; }
  BRAKE_SYSTEM_ROOT="$sysroot" "$INSTALLED" uninstall codex --system >/dev/null
  [ "$(cat "$sysroot/etc/codex/requirements.toml")" = "$(printf '[features]\nweb_search = true\n\n[sandbox]\nx = 1')" ] \
    && echo "ok   ...which uninstall takes out again" || { echo "FAIL codex features unpin"; cat "$sysroot/etc/codex/requirements.toml"; fail=1; }
  rm -f "$sysroot/etc/codex/requirements.toml"
  printf '[hooks.PreToolUse]\nmatcher = "x"\n' > "$sysroot/etc/codex/config.toml"
  expect_status 65 "install codex --system refuses a file that declares PreToolUse as a plain table" -- env BRAKE_SYSTEM_ROOT="$sysroot" "$INSTALLED" install codex --system
  expect_status 64 "install kiro --system says Kiro has no system configuration" -- env BRAKE_SYSTEM_ROOT="$sysroot" "$INSTALLED" install kiro --system
fi
# Units for the two long-running services: the control plane as its own user, the guard service as root.
"$INSTALLED" serve --unit --listen 127.0.0.1:9000 > "$work/server.unit"
grep -q '^User=brake$' "$work/server.unit" && grep -q "^ExecStart=.*$work/bin/brake.* serve --data-dir /var/lib/brake-server --listen 127.0.0.1:9000$" "$work/server.unit" \
  && grep -q '^StateDirectoryMode=0700$' "$work/server.unit" \
  && echo "ok   serve --unit runs the control plane as its own user with a private data directory" || { echo "FAIL serve --unit"; cat "$work/server.unit"; fail=1; }
"$INSTALLED" daemon --unit > "$work/guard.unit"
grep -q "^ExecStart=.*$work/bin/brake.* daemon$" "$work/guard.unit" && ! grep -q '^User=' "$work/guard.unit" \
  && echo "ok   daemon --unit runs the guard service as root" || { echo "FAIL daemon --unit"; cat "$work/guard.unit"; fail=1; }
# Every command and subcommand answers --help with its usage (commands that pass a command through included).
subcommands() { "$BRAKE" $1 --help 2>/dev/null | awk '/^SUBCOMMANDS:/{on=1; next} on && /^  [a-z]/{print $1} on && /^$/{n++} n>1{exit}'; }
helped=0
for c in $(subcommands ""); do
  for s in "" $(subcommands "$c"); do
    out=$("$BRAKE" $c $s --help 2>&1); rc=$?
    if [ $rc -ne 0 ] || ! echo "$out" | grep -q "^USAGE: brake $c"; then echo "FAIL brake $c $s --help: exit $rc: $(echo "$out" | head -2)"; fail=1; fi
    helped=$((helped + 1))
  done
done
[ "$helped" -gt 40 ] && echo "ok   --help answers with the usage for all $helped commands and subcommands" || { echo "FAIL only $helped commands found"; fail=1; }
[ "$("$BRAKE" --version)" = "$(grep -o 'current = "[^"]*"' "$HERE/../Sources/BrakeCore/Control/Vocabulary.swift" 2>/dev/null | cut -d'"' -f2)" ] \
  && echo "ok   brake --version comes from the one version source" || { echo "FAIL version: $("$BRAKE" --version)"; fail=1; }
"$BRAKE" signoff --help | grep -c "default: HEAD" | grep -qx 1 && echo "ok   signoff --help names its default once" || { echo "FAIL signoff help"; fail=1; }
# The log reads as times a person understands; JSON carries an ISO 8601 time.
"$BRAKE" check "git status" >/dev/null; "$BRAKE" exec --actor human -- true >/dev/null 2>&1
"$BRAKE" log | tail -1 | grep -Eq '^(just now|[0-9]+ s ago) ' && echo "ok   brake log shows how long ago" || { echo "FAIL log times: $("$BRAKE" log | tail -1)"; fail=1; }
"$BRAKE" log --format json | tail -1 | python3 -c 'import json,sys,re; r=json.loads(sys.stdin.read()); sys.exit(0 if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["at"]) else 1)' \
  && echo "ok   brake log --format json has an ISO 8601 time" || { echo "FAIL log json"; fail=1; }
# brake wait on this machine's own state: still pending → 75 with a progress line; approved → 0.
git remote add origin /nonexistent 2>/dev/null
"$BRAKE" exec --no-contain -- git push --force origin main > /dev/null 2> "$work/ask.err"
rid=$(grep -o 'brake approve [A-Za-z0-9_]*' "$work/ask.err" | head -1 | cut -d' ' -f3)
expect_status 75 "brake wait on a pending local request gives up with 75" -- "$BRAKE" wait "$rid" --timeout 1
grep -q "waiting for request $rid" "$work/err" && echo "ok   ...saying what it waited for" || { echo "FAIL wait progress"; cat "$work/err"; fail=1; }
"$BRAKE" approve "$rid" > /dev/null 2>&1
expect_status 0 "brake wait returns 0 once the request is approved" -- "$BRAKE" wait "$rid" --timeout 5
expect_status 65 "brake wait on an unknown request is an error" -- "$BRAKE" wait nosuchreq --timeout 1
# The README's example payloads, one per agent, are read by the hook (none is "could not read").
python3 - "$BRAKE" "$HERE/../README.md" <<'PY' || fail=1
import json, re, subprocess, sys
brake, readme = sys.argv[1], open(sys.argv[2]).read()
block = readme.split("```jsonc", 1)[1].split("```", 1)[0]
agents = {"Claude Code": "claude-code", "Cursor": "cursor", "Gemini CLI": "gemini", "Copilot CLI": "copilot", "Kiro": "kiro"}
agent, seen, bad, payload = None, 0, 0, ""
for line in block.splitlines():
    if not line.strip():
        continue
    if line.startswith("//"):
        agent = next(v for k, v in agents.items() if line[3:].startswith(k))
        payload = ""
        continue
    payload += line
    try:
        json.loads(payload)
    except ValueError:
        continue
    r = subprocess.run([brake, "hook", agent], input=payload, capture_output=True, text=True)
    seen += 1
    if "could not read" in r.stdout + r.stderr or r.returncode not in (0, 2):
        print(f"FAIL README payload for {agent}: {r.stdout}{r.stderr}"); bad += 1
print(f"ok   the README's {seen} example payloads are read by the hook" if seen == 5 and not bad else f"FAIL README payloads: {seen} seen, {bad} bad")
sys.exit(1 if bad or seen != 5 else 0)
PY
# Plan output says the decision and the requirement consistently; a file that is not a plan says what is expected.
tf="$HERE/../Tests/BrakeCoreTests/Resources/fixtures/terraform"
"$BRAKE" plan "$tf/strata-danger-rds-replace.json" --request > "$work/plan.txt" 2>&1
grep -q "^DENY" "$work/plan.txt" && grep -q "cannot be approved (no request was opened)" "$work/plan.txt" && ! grep -q "brake approve" "$work/plan.txt" \
  && echo "ok   a denied plan opens no request and says it cannot be approved" || { echo "FAIL deny plan text"; cat "$work/plan.txt"; fail=1; }
"$BRAKE" plan "$tf/tf-showjson-basic-delete.json" --request > "$work/plan.txt" 2>&1
grep -q "^ASK" "$work/plan.txt" && grep -Eq "needs approval by [0-9]+ × [a-z]+: request [a-z0-9]+ — they run .brake approve" "$work/plan.txt" \
  && echo "ok   an asked plan names who must approve and the request" || { echo "FAIL ask plan text"; cat "$work/plan.txt"; fail=1; }
echo "hello" > "$work/notaplan.json"
expect_status 65 "a text file given as a plan exits 65" -- "$BRAKE" plan "$work/notaplan.json"
grep -q 'text, not JSON (it starts with "hello").*terraform show -json' "$work/err" \
  && echo "ok   ...and says what it is and what input is expected" || { echo "FAIL plan text error"; cat "$work/err"; fail=1; }
exit $fail
