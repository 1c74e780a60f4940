#!/bin/sh
# Creates the object store's buckets and applies their versioning and lifecycle settings.
# Idempotent: existing buckets and their objects are kept; settings are re-applied on every run.
#
# Parameters come from buckets.env beside this script (BUCKETS, VERSIONED_BUCKETS, S3_REGION) and
# lifecycle-<bucket>.json files; the endpoint and keys from the environment (S3_ENDPOINT,
# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), never from the command line.
set -eu

here=$(dirname "$0")
# shellcheck source=/dev/null
. "${BUCKETS_ENV:-$here/buckets.env}"
lifecycle_dir=${LIFECYCLE_DIR:-$here}
: "${S3_ENDPOINT:?S3_ENDPOINT is not set}" "${BUCKETS:?BUCKETS is not set}" "${S3_REGION:=us-east-1}"
export AWS_DEFAULT_REGION="$S3_REGION"

s3api() {
  aws --endpoint-url "$S3_ENDPOINT" s3api "$@"
}

is_listed() {
  case " $2 " in *" $1 "*) return 0 ;; *) return 1 ;; esac
}

ensure_bucket() {
  bucket=$1
  if probe=$(s3api head-bucket --bucket "$bucket" 2>&1); then
    echo "bucket $bucket: exists"
    return 0
  fi
  case "$probe" in
    *404* | *"Not Found"* | *NoSuchBucket*) ;;
    *)
      echo "bucket $bucket: cannot be used: $probe" >&2
      echo "  (403 means it belongs to someone else: Hetzner bucket names are shared by all customers)" >&2
      return 1
      ;;
  esac
  if [ "$S3_REGION" = "us-east-1" ]; then
    created=$(s3api create-bucket --bucket "$bucket" 2>&1) || status=$?
  else
    created=$(s3api create-bucket --bucket "$bucket" \
      --create-bucket-configuration "LocationConstraint=$S3_REGION" 2>&1) || status=$?
  fi
  if [ "${status:-0}" -ne 0 ]; then
    case "$created" in
      *BucketAlreadyOwnedByYou*) ;; # created by a concurrent run: fine
      *)
        echo "bucket $bucket: create failed: $created" >&2
        return 1
        ;;
    esac
  fi
  echo "bucket $bucket: created"
}

ensure_versioning() {
  bucket=$1
  if is_listed "$bucket" "${VERSIONED_BUCKETS:-}"; then
    s3api put-bucket-versioning --bucket "$bucket" --versioning-configuration Status=Enabled
    echo "bucket $bucket: versioning enabled"
    return 0
  fi
  # Versioning cannot be switched off once on, only suspended (existing versions stay).
  current=$(s3api get-bucket-versioning --bucket "$bucket" --query Status --output text)
  if [ "$current" = "Enabled" ]; then
    s3api put-bucket-versioning --bucket "$bucket" --versioning-configuration Status=Suspended
    echo "bucket $bucket: versioning suspended"
  fi
}

ensure_lifecycle() {
  bucket=$1
  rules="$lifecycle_dir/lifecycle-$bucket.json"
  if [ -f "$rules" ]; then
    s3api put-bucket-lifecycle-configuration --bucket "$bucket" --lifecycle-configuration "file://$rules"
    echo "bucket $bucket: lifecycle rules applied"
  else
    s3api delete-bucket-lifecycle --bucket "$bucket"
    echo "bucket $bucket: no lifecycle rules"
  fi
}

for bucket in $BUCKETS; do
  status=0
  ensure_bucket "$bucket"
  ensure_versioning "$bucket"
  ensure_lifecycle "$bucket"
done
echo "all buckets ready: $BUCKETS"
