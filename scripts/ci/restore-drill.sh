#!/usr/bin/env bash
# Runs the restore drill on the database server over SSH and keeps its output in a log file.
# The drill itself (postgres-restore-drill.service, installed by the PostgresServer component) restores
# the newest backup plus WAL into a scratch cluster, verifies it and logs restore time and data loss;
# restore-drill-remote.sh, sent over the connection, starts it and prints this run's log.
#
# Usage: restore-drill.sh <log-file>
# Environment (from the <stack>-drill GitHub environment, or exported by hand for a manual run):
#   DRILL_SSH_HOST         the database server's address (reachable from this machine: adminCidrs)
#   DRILL_SSH_KEY          private key allowed to run the drill on that server
#   DRILL_SSH_KNOWN_HOSTS  the server's host key line(s), as `ssh-keyscan <host>` prints them; checked
#                          strictly, never learned on first use
#   DRILL_SSH_USER         optional, default root
#   DRILL_COMMAND          optional: a command to run instead of restore-drill-remote.sh (say, when the
#                          key's authorized_keys entry forces one)
set -euo pipefail

die() { echo "restore-drill: $*" >&2; exit 2; }

[ "$#" -eq 1 ] || die "usage: $0 <log-file>"
log=$1
for name in DRILL_SSH_HOST DRILL_SSH_KEY DRILL_SSH_KNOWN_HOSTS; do
  [ -n "${!name:-}" ] || die "$name is not set; see docs/delivery.md (restore drill) for what it holds"
done
user=${DRILL_SSH_USER:-root}
remote_script="$(cd "$(dirname "$0")" && pwd)/restore-drill-remote.sh"
if [ -n "${DRILL_COMMAND:-}" ]; then
  remote=("$DRILL_COMMAND") input=/dev/null
else
  remote=(bash -s) input=$remote_script
fi

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
(
  umask 077
  printf '%s\n' "$DRILL_SSH_KEY" > "$workdir/key"
  printf '%s\n' "$DRILL_SSH_KNOWN_HOSTS" > "$workdir/known_hosts"
)

status=0
ssh -i "$workdir/key" \
  -o BatchMode=yes \
  -o IdentitiesOnly=yes \
  -o StrictHostKeyChecking=yes \
  -o UserKnownHostsFile="$workdir/known_hosts" \
  -o ConnectTimeout=20 \
  -o ServerAliveInterval=30 \
  "$user@$DRILL_SSH_HOST" "${remote[@]}" < "$input" 2>&1 | tee "$log" || status=$?
if [ "$status" -ne 0 ]; then
  echo "restore-drill: the drill on $DRILL_SSH_HOST failed (exit $status)" >&2
fi
exit "$status"
