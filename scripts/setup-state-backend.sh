#!/usr/bin/env bash
# One-time setup of self-managed Pulumi state in Hetzner Object Storage, with passphrase-encrypted secrets.
#
#   scripts/setup-state-backend.sh --bucket <name> [--location fsn1|nbg1|hel1] [--stack dev --stack prod]
#
# What it does, each step safe to repeat:
#   1. creates the bucket (private) unless it exists, and turns on versioning so every state file keeps
#      its history (a broken `pulumi up` can be rolled back by restoring the previous object version);
#   2. `pulumi login` to it through the S3 API;
#   3. `pulumi stack init <stack> --secrets-provider passphrase` for each stack that does not exist yet
#      (this writes `encryptionsalt` into Pulumi.<stack>.yaml: commit that file);
#   4. prints the values to store in GitHub (docs/delivery.md, "GitHub environments").
#
# Needs: the AWS CLI (any S3 client works by hand; this script uses `aws`) and the Pulumi CLI.
# Environment:
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY   S3 credentials of the Hetzner project
#                                              (Cloud Console > Security > S3 credentials)
#   PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE
#                                              the passphrase that encrypts the stacks' secrets; keep it in
#                                              a password manager. Run once per stack to give each its own.
set -euo pipefail

die() { echo "setup-state-backend: $*" >&2; exit 2; }

usage() {
  sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

bucket=""
location="fsn1"
stacks=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --bucket) [ "$#" -ge 2 ] || die "--bucket needs a value"; bucket=$2; shift 2 ;;
    --location) [ "$#" -ge 2 ] || die "--location needs a value"; location=$2; shift 2 ;;
    --stack) [ "$#" -ge 2 ] || die "--stack needs a value"; stacks+=("$2"); shift 2 ;;
    -h | --help) usage ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
[ "${#stacks[@]}" -gt 0 ] || stacks=(dev prod)

[ -n "$bucket" ] || die "--bucket is required: a new, globally unique name such as 'acme-pulumi-state'"
# Hetzner Object Storage bucket names: 3-63 characters, lowercase letters, digits and hyphens,
# starting and ending with a letter or digit.
[[ $bucket =~ ^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$ ]] ||
  die "bucket name '$bucket' is invalid: use 3-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit"
case "$location" in
  fsn1 | nbg1 | hel1) ;;
  *) die "location '$location' has no Object Storage; use fsn1, nbg1 or hel1" ;;
esac
for stack in "${stacks[@]}"; do
  [[ $stack =~ ^[a-z][a-z0-9-]*$ ]] || die "stack name '$stack' is invalid: use lowercase letters, digits and hyphens"
done

if [ -z "${AWS_ACCESS_KEY_ID:-}" ] || [ -z "${AWS_SECRET_ACCESS_KEY:-}" ]; then
  die "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to the project's S3 credentials (Hetzner Cloud Console > Security > S3 credentials)"
fi
[ -n "${PULUMI_CONFIG_PASSPHRASE:-}" ] || [ -n "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ] ||
  die "set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the passphrase that will encrypt the stacks' secrets"
for tool in aws pulumi; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not installed (see docs/delivery.md, state backend)"
done

host="$location.your-objectstorage.com"
s3=(aws s3api --endpoint-url "https://$host" --region "$location")
# Recent AWS SDKs add checksum headers by default that not every S3-compatible store accepts.
export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required

if "${s3[@]}" head-bucket --bucket "$bucket" >/dev/null 2>&1; then
  echo "bucket $bucket exists in $location"
else
  echo "creating bucket $bucket in $location"
  "${s3[@]}" create-bucket --bucket "$bucket" --create-bucket-configuration "LocationConstraint=$location" >/dev/null
fi
"${s3[@]}" put-bucket-versioning --bucket "$bucket" --versioning-configuration Status=Enabled
echo "versioning is on: every state file keeps its history"

backend_url="s3://$bucket?endpoint=$host&s3ForcePathStyle=true&region=$location"
pulumi login "$backend_url"

cd "$(dirname "$0")/.."
for stack in "${stacks[@]}"; do
  if pulumi stack select "$stack" >/dev/null 2>&1; then
    echo "stack $stack exists"
  else
    pulumi stack init "$stack" --secrets-provider passphrase
    echo "stack $stack created; commit Pulumi.$stack.yaml (it now holds the passphrase salt)"
  fi
done

cat <<DONE

State backend ready. Store these in GitHub (Settings > Secrets and variables > Actions):
  variable PULUMI_BACKEND_URL = $backend_url
  secrets  STATE_S3_ACCESS_KEY_ID, STATE_S3_SECRET_ACCESS_KEY = the S3 credentials used here
  secret   PULUMI_CONFIG_PASSPHRASE in each environment (dev, dev-preview, prod, prod-preview)
On a laptop: export PULUMI_BACKEND_URL='$backend_url' and the same AWS_* credentials.
DONE
