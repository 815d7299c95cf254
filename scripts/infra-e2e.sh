#!/usr/bin/env bash
# End to end with the real terraform binary (terraform_data needs no provider download):
# plan -> brake plan --request -> approve -> brake exec -- terraform apply tfplan succeeds;
# a new plan after the approval is refused; a destroy plan of everything is denied for an agent.
set -uo pipefail
BRAKE=${1:?usage: infra-e2e.sh PATH-TO-BRAKE}
if ! command -v terraform >/dev/null; then echo "FAIL terraform is not installed"; exit 1; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" BRAKE_HOME="$work/home/.brake" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
mkdir -p "$HOME/infra" && cd "$HOME/infra" && git init -q .
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
cat > main.tf <<'TF'
variable "release" { default = "1" }
resource "terraform_data" "db_config" { input = "v1" }
resource "terraform_data" "web" { triggers_replace = [var.release] }
resource "terraform_data" "worker" { input = "w" }
TF
terraform init -input=false >/dev/null 2>&1 || { bad "terraform init"; exit 1; }
terraform apply -input=false -auto-approve >/dev/null 2>&1 || { bad "initial apply"; exit 1; }

terraform plan -input=false -var release=2 -out=tfplan >/dev/null 2>&1 || bad "terraform plan"
"$BRAKE" plan tfplan --request --format json > plan.json; rc=$?
[ $rc = 1 ] && ok "brake plan on the binary plan asks (exit $rc)" || bad "brake plan exit $rc"
python3 - plan.json <<'PY' && ok "counts: 1 replace of terraform_data, availability only" || bad "plan JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["counts"]["replace"] == 1 and d["counts"]["delete"] == 0, d["counts"]
assert [c["data_loss"] for c in d["changes"] if c["action"] == "replace"] == ["availability"], d["changes"]
assert d["digest"].startswith("sha256:") and d["request"]
PY
id=$(python3 -c 'import json;print(json.load(open("plan.json"))["request"])')
"$BRAKE" exec -- terraform apply -input=false tfplan >/dev/null 2>&1; rc=$?
[ $rc = 75 ] && ok "apply of the plan before approval is held (75)" || bad "apply before approval exit $rc"
"$BRAKE" approve "$id" >/dev/null || bad "brake approve"
"$BRAKE" exec -- terraform apply -input=false tfplan >/dev/null 2>&1; rc=$?
[ $rc = 0 ] && ok "the approved plan applies through brake exec" || bad "approved apply exit $rc"
grep -q '"2"' terraform.tfstate && ok "...and terraform really applied it" || bad "state not updated"

# An agent's own `terraform apply PLANFILE` through its hook is bound to the same plan approval.
terraform plan -input=false -var release=4 -out=agent.plan >/dev/null 2>&1
payload() { printf '{"session_id":"tf","cwd":"%s","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"terraform apply -input=false agent.plan"},"tool_use_id":"t","permission_mode":"default"}' "$PWD"; }
payload | "$BRAKE" hook claude-code | grep -q '"permissionDecision":"ask"' && ok "the agent's apply of an unapproved plan is asked" || bad "agent apply not asked"
id=$("$BRAKE" plan agent.plan --request --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["request"])')
"$BRAKE" approve "$id" >/dev/null
[ -z "$(payload | "$BRAKE" hook claude-code)" ] && ok "after the plan is approved the agent's apply passes" || bad "agent apply after approval"

terraform plan -input=false -var release=3 -out=tfplan >/dev/null 2>&1
"$BRAKE" exec -- terraform apply -input=false tfplan >/dev/null 2>&1; rc=$?
[ $rc = 75 ] && ok "a new plan after the approval is refused" || bad "new plan exit $rc"

# State identity: a plan made against an older state than the last approved apply is flagged.
cp terraform.tfstate "$work/old.tfstate"
terraform plan -input=false -var release=5 -out=fresh.plan >/dev/null 2>&1
id=$("$BRAKE" plan fresh.plan --request --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["request"])')
"$BRAKE" approve "$id" >/dev/null && "$BRAKE" exec -- terraform apply -input=false fresh.plan >/dev/null 2>&1 || bad "apply fresh plan"
cp terraform.tfstate "$work/new.tfstate" && cp "$work/old.tfstate" terraform.tfstate
terraform plan -input=false -var release=6 -out=stale.plan >/dev/null 2>&1
cp "$work/new.tfstate" terraform.tfstate
"$BRAKE" plan stale.plan --format json > stale.json
python3 -c 'import json; d=json.load(open("stale.json")); assert d["state"]["warning"] and "stale" in d["state"]["warning"], d["state"]; assert any(r["rule"]=="plan.stale-or-foreign-state" for r in d["reasons"])' \
  && ok "a plan made against an older state than the last approved apply is flagged" || bad "stale state not flagged"
terraform plan -input=false -var release=6 -out=current.plan >/dev/null 2>&1
"$BRAKE" plan current.plan --format json > current.json
python3 -c 'import json; d=json.load(open("current.json")); assert d["state"]["warning"] is None, d["state"]' \
  && ok "a plan against the current state is not flagged" || bad "current state flagged"

terraform plan -input=false -destroy -out=destroy.plan >/dev/null 2>&1
"$BRAKE" plan destroy.plan --format json > destroy.json; rc=$?
[ $rc = 2 ] && ok "a destroy plan of everything is denied for an agent" || bad "destroy plan exit $rc"
python3 -c 'import json,sys; d=json.load(open("destroy.json")); assert d["destroy_mode"] and d["destroyed_fraction"]==1.0 and d["counts"]["delete"]==3, d' && ok "destroy plan: 3 deletes, 100 %, destroy mode" || bad "destroy plan JSON"
"$BRAKE" plan destroy.plan --actor human >/dev/null; rc=$?
[ $rc = 1 ] && ok "...and asked for a person" || bad "destroy plan for a person exit $rc"
printf '{"format_version":"1.2","resource_changes":[{"address":"a.b","type":"a","change":{"actions":["replace"]}}]}' > bad.json
"$BRAKE" plan bad.json >/dev/null 2>&1; rc=$?
[ $rc = 65 ] && ok "an invalid action list is exit 65, not a decision" || bad "invalid plan exit $rc"
terraform plan -input=false -json > stream.jsonl 2>/dev/null
"$BRAKE" plan stream.jsonl 2> err.txt >/dev/null; rc=$?
[ $rc = 65 ] && grep -q "terraform show -json" err.txt && ok "streaming plan output is rejected with the right command" || bad "stream exit $rc"
exit $fail
