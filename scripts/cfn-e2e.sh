#!/usr/bin/env bash
# End to end with the real aws CLI against a local moto_server: a change set that removes a DynamoDB table is
# classified by brake plan; execute-change-set runs only after that change set is approved; delete-stack through
# brake exec is held and the stack survives until a person approves.
set -uo pipefail
BRAKE=${1:?usage: cfn-e2e.sh PATH-TO-BRAKE}
command -v moto_server >/dev/null || { echo 'moto_server is missing: run through scripts/test.sh (it installs .venv-test)'; exit 1; }
command -v aws >/dev/null || { echo 'the aws CLI is missing: run through scripts/test.sh (it installs .venv-test)'; exit 1; }
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null; rm -rf "$work"' EXIT
export HOME="$work/home" BRAKE_HOME="$work/home/.brake" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
  AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true
mkdir -p "$HOME/stack" && cd "$HOME/stack" && git init -q .
for _ in $(seq 50); do curl -s "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.2; done
EP="--endpoint-url http://127.0.0.1:$port"
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
cat > v1.yaml <<'Y'
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties: {TopicName: orders-topic}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
Y
cat > v2.yaml <<'Y'
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties: {TopicName: orders-topic}
Y
aws $EP cloudformation create-stack --stack-name orders --template-body file://v1.yaml >/dev/null || { bad "create-stack"; exit 1; }
aws $EP cloudformation create-change-set --stack-name orders --change-set-name drop-table --change-set-type UPDATE --template-body file://v2.yaml >/dev/null || bad "create-change-set"
aws $EP cloudformation describe-change-set --stack-name orders --change-set-name drop-table > cs.json || bad "describe-change-set"
"$BRAKE" plan cs.json --format json > plan.json; rc=$?
[ $rc = 2 ] && ok "brake plan denies the change set for an agent (exit $rc)" || bad "brake plan exit $rc"
python3 - plan.json <<'PY' && ok "the DynamoDB table removal is classified irrecoverable" || bad "classification"
import json, sys
d = json.load(open(sys.argv[1]))
t = [c for c in d["changes"] if c["type"] == "AWS::DynamoDB::Table"]
assert t and t[0]["action"] == "delete" and t[0]["data_loss"] == "irrecoverable", d["changes"]
assert d["counts"]["delete"] == 1
PY
"$BRAKE" exec -- aws $EP cloudformation execute-change-set --stack-name orders --change-set-name drop-table >/dev/null 2>&1; rc=$?
[ $rc = 75 ] && ok "execute-change-set without an approval is held (75)" || bad "execute before approval exit $rc"
id=$("$BRAKE" plan cs.json --request --actor human --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["request"])')
"$BRAKE" approve "$id" >/dev/null || bad "approve the change set"
"$BRAKE" exec -- aws $EP cloudformation execute-change-set --stack-name orders --change-set-name drop-table >/dev/null 2>&1; rc=$?
[ $rc = 0 ] && ok "the approved change set executes" || bad "approved execute exit $rc"
"$BRAKE" exec -- aws $EP cloudformation delete-stack --stack-name orders 2> err.txt >/dev/null; rc=$?
[ $rc = 75 ] && ok "delete-stack through brake exec is held (75)" || bad "delete-stack exit $rc"
aws $EP cloudformation describe-stacks --stack-name orders >/dev/null 2>&1 && ok "...and the stack still exists" || bad "stack is gone"
id=$(grep -o 'brake approve [a-z0-9]*' err.txt | awk '{print $3}')
"$BRAKE" approve "$id" >/dev/null || bad "approve delete-stack"
"$BRAKE" exec -- aws $EP cloudformation delete-stack --stack-name orders >/dev/null 2>&1; rc=$?
[ $rc = 0 ] && ok "after approval delete-stack runs" || bad "approved delete-stack exit $rc"
status=$(aws $EP cloudformation describe-stacks --stack-name orders --query 'Stacks[0].StackStatus' --output text 2>/dev/null || echo GONE)
case "$status" in DELETE_COMPLETE|GONE) ok "...and the stack is deleted ($status)";; *) bad "stack status $status";; esac

# The incident (an agent "deleting and recreating" an environment): a deploy that renames the table's logical id,
# so CloudFormation deletes the old table and creates a new one.
cat > s1.yaml <<'Y'
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: shop-orders
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
Y
sed -e 's/^  Table:/  OrdersTable:/' -e 's/shop-orders/shop-orders-v2/' s1.yaml > s2.yaml
aws $EP cloudformation create-stack --stack-name shop --template-body file://s1.yaml >/dev/null || bad "create-stack shop"
"$BRAKE" exec -- aws $EP cloudformation deploy --stack-name shop --template-file s2.yaml 2> deploy-err.txt >/dev/null; rc=$?
[ $rc = 75 ] && ok "aws cloudformation deploy of the delete-and-recreate is held (75)" || bad "deploy exit $rc"
grep -q "no-execute-changeset\|brake plan" deploy-err.txt && ok "...and the agent is told to make a change set and show it with brake plan" || bad "deploy message: $(cat deploy-err.txt)"
res=$(aws $EP cloudformation describe-stack-resources --stack-name shop --query 'StackResources[].LogicalResourceId' --output text)
[ "$res" = "Table" ] && ok "...and the stack is untouched (still Table)" || bad "stack resources now: $res"
"$BRAKE" exec -- aws $EP cloudformation deploy --stack-name shop --template-file s2.yaml --no-execute-changeset >/dev/null 2>&1; rc=$?
[ $rc = 0 ] && ok "making the change set for review (--no-execute-changeset) passes" || bad "--no-execute-changeset exit $rc"
cs=$(aws $EP cloudformation list-change-sets --stack-name shop --query 'Summaries[-1].ChangeSetName' --output text)
aws $EP cloudformation describe-change-set --stack-name shop --change-set-name "$cs" > shop-cs.json || bad "describe shop change set"
"$BRAKE" plan shop-cs.json > shop-plan.txt; rc=$?
[ $rc = 2 ] && ok "brake plan refuses the delete-and-recreate for an agent (exit 2)" || bad "brake plan shop exit $rc"
grep -q "1 create" shop-plan.txt && grep -q "1 delete" shop-plan.txt && grep -q "Table" shop-plan.txt \
  && ok "the blast radius is shown: the table deleted, a new one created" || bad "plan text: $(head -5 shop-plan.txt)"
"$BRAKE" exec -- aws $EP cloudformation execute-change-set --stack-name shop --change-set-name "$cs" >/dev/null 2>&1; rc=$?
[ $rc = 75 ] && ok "executing it before approval is held (75)" || bad "execute before approval exit $rc"
id=$("$BRAKE" plan shop-cs.json --request --actor human --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["request"])')
"$BRAKE" approve "$id" >/dev/null || bad "approve the shop change set"
# Another change set on the same stack is not what was approved.
sed -e 's/shop-orders-v2/shop-orders-v3/' s2.yaml > s3.yaml
aws $EP cloudformation create-change-set --stack-name shop --change-set-name other --template-body file://s3.yaml >/dev/null
aws $EP cloudformation describe-change-set --stack-name shop --change-set-name other > other-cs.json
"$BRAKE" exec -- aws $EP cloudformation execute-change-set --stack-name shop --change-set-name other >/dev/null 2>&1; rc=$?
[ $rc = 75 ] && ok "a different change set is not covered by that approval (75)" || bad "other change set exit $rc"
"$BRAKE" exec -- aws $EP cloudformation execute-change-set --stack-name shop --change-set-name "$cs" >/dev/null 2>&1; rc=$?
[ $rc = 0 ] && ok "the approved change set, that exact one, executes" || bad "approved shop execute exit $rc"
exit $fail
