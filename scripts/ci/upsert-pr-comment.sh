#!/usr/bin/env bash
# Posts a file as a comment on a pull request, or updates the comment it posted before, so a pull request
# carries one report however often it is pushed. The comment is recognised by a marker (an HTML comment,
# invisible when rendered) and by its author, so nobody else's comment is ever edited.
#
# Usage: upsert-pr-comment.sh <pr-number> <marker> <body-file>
# Needs gh and jq; GH_TOKEN and GITHUB_REPOSITORY (both set in GitHub Actions).
# COMMENT_AUTHOR overrides the login whose comments may be updated (default: github-actions[bot]).
set -euo pipefail

die() { echo "upsert-pr-comment: $*" >&2; exit 2; }

[ "$#" -eq 3 ] || die "usage: $0 <pr-number> <marker> <body-file>"
pr=$1 marker=$2 body_file=$3
[[ $pr =~ ^[1-9][0-9]*$ ]] || die "the pull request number must be a positive integer, got '$pr'"
[[ $marker == "<!--"*"-->" ]] || die "the marker must be an HTML comment like '<!-- my-report -->', got '$marker'"
[ -s "$body_file" ] || die "body file '$body_file' is missing or empty"
[[ ${GITHUB_REPOSITORY:-} == */* ]] || die "set GITHUB_REPOSITORY to owner/name (GitHub Actions sets it)"
author=${COMMENT_AUTHOR:-github-actions[bot]}

# GitHub refuses comments over 65536 characters; keep the head of the report and say so.
limit=65000
payload=$(jq -n --rawfile text "$body_file" --arg marker "$marker" --argjson limit "$limit" '
  ($marker + "\n" + $text) as $body
  | {body: (if ($body | length) > $limit
            then $body[0:$limit] + "\n\n… (truncated; the full report is in the run summary)"
            else $body end)}')

comments_url="repos/$GITHUB_REPOSITORY/issues/$pr/comments"
existing=$(gh api --paginate "$comments_url" | jq -rs --arg marker "$marker" --arg author "$author" '
  [.[][] | select(.user.login == $author and (.body | contains($marker))) | .id] | first // empty')

if [ -n "$existing" ]; then
  gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$existing" --input - <<<"$payload" >/dev/null
  echo "updated comment $existing on #$pr"
else
  gh api --method POST "$comments_url" --input - <<<"$payload" >/dev/null
  echo "posted a new comment on #$pr"
fi
