#!/usr/bin/env bash
# Runs on the database server, sent over SSH by restore-drill.sh: starts the restore-drill unit that the
# PostgresServer component installs (the same drill its weekly timer runs, so its metrics and alerts see
# this run too), waits for it, prints what this run logged, and exits with the drill's status.
set -uo pipefail

unit=postgres-restore-drill.service
status=0
systemctl start "$unit" || status=$?
invocation=$(systemctl show --property InvocationID --value "$unit")
if [ -n "$invocation" ]; then
  journalctl --no-pager --output cat "_SYSTEMD_INVOCATION_ID=$invocation"
fi
exit "$status"
