#!/usr/bin/env bash
# Keeps one open issue per problem (a drifted stack, a failed restore drill) instead of one per night.
#
#   upsert-issue.sh open  <title> <label> <body-file>   open the issue, or comment on the open one
#   upsert-issue.sh close <title> <label> <body-file>   comment and close the open issue, if there is one
#
# The issue is found by its exact title among open issues carrying the label; the label is created
# when missing. Needs gh and jq; GH_TOKEN and GITHUB_REPOSITORY (both set in GitHub Actions).
set -euo pipefail

die() { echo "upsert-issue: $*" >&2; exit 2; }

[ "$#" -eq 4 ] || die "usage: $0 open|close <title> <label> <body-file>"
action=$1 title=$2 label=$3 body_file=$4
case "$action" in open | close) ;; *) die "the first argument must be 'open' or 'close', got '$action'" ;; esac
[ -n "$title" ] || die "the title must not be empty"
[[ $label =~ ^[A-Za-z0-9._-]+$ ]] || die "the label must be one word of letters, digits, '.', '_' or '-', got '$label'"
[ -s "$body_file" ] || die "body file '$body_file' is missing or empty"
[[ ${GITHUB_REPOSITORY:-} == */* ]] || die "set GITHUB_REPOSITORY to owner/name (GitHub Actions sets it)"

repo="repos/$GITHUB_REPOSITORY"
body=$(jq -n --rawfile text "$body_file" '{body: $text}')

# The issues endpoint also lists pull requests; those carry a pull_request key.
number=$(gh api --paginate "$repo/issues?state=open&labels=$label&per_page=100" | jq -rs --arg title "$title" '
  [.[][] | select((has("pull_request") | not) and .title == $title) | .number] | first // empty')

if [ "$action" = close ]; then
  if [ -z "$number" ]; then
    echo "no open issue '$title'; nothing to close"
    exit 0
  fi
  gh api --method POST "$repo/issues/$number/comments" --input - <<<"$body" >/dev/null
  gh api --method PATCH "$repo/issues/$number" -f state=closed -f state_reason=completed >/dev/null
  echo "closed issue #$number"
  exit 0
fi

if [ -n "$number" ]; then
  gh api --method POST "$repo/issues/$number/comments" --input - <<<"$body" >/dev/null
  echo "commented on issue #$number"
  exit 0
fi

if ! gh api "$repo/labels/$label" >/dev/null 2>&1; then
  gh api --method POST "$repo/labels" -f name="$label" -f color=d93f0b \
    -f description="opened by a scheduled workflow" >/dev/null
fi
issue=$(jq -n --arg title "$title" --arg name "$label" --rawfile text "$body_file" \
  '{title: $title, body: $text, labels: [$name]}')
number=$(gh api --method POST "$repo/issues" --input - <<<"$issue" | jq -r .number)
echo "opened issue #$number"
