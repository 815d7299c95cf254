#!/usr/bin/env bash
# The AWS provider's own resource schemas (`terraform providers schema -json`), from the provider plugin this
# machine holds in a filesystem mirror (/opt/tf-plugins, no network). Writes OUT (default
# .build/terraform-aws-schema.json); exits 3 with a message when no plugin or terraform is there.
#   scripts/catalogs/terraform-schema.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-.build/terraform-aws-schema.json}
MIRROR=${BRAKE_TF_PLUGIN_MIRROR:-/opt/tf-plugins}
dir="$MIRROR/registry.terraform.io/hashicorp/aws"
if ! command -v terraform >/dev/null || [ ! -d "$dir" ]; then
    echo "no terraform or no AWS provider plugin in $MIRROR" >&2
    exit 3
fi
version=$(ls "$dir" | sort -V | tail -1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/main.tf" <<TF
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "$version" }
  }
}
TF
printf 'provider_installation {\n  filesystem_mirror { path = "%s" }\n}\n' "$MIRROR" > "$tmp/cli.tfrc"
(cd "$tmp" && TF_CLI_CONFIG_FILE="$tmp/cli.tfrc" terraform init -input=false >/dev/null &&
    TF_CLI_CONFIG_FILE="$tmp/cli.tfrc" terraform providers schema -json) > "$OUT"
echo "AWS provider $version: $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["provider_schemas"]["registry.terraform.io/hashicorp/aws"]["resource_schemas"]))' "$OUT") resource types in $OUT"
