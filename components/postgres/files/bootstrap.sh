#!/usr/bin/env bash
# First boot of each database VM, run as root by cloud-init:
# mounts the data volume, installs PostgreSQL and pgBackRest from the PostgreSQL project's apt
# repository, creates or adopts the cluster on the volume, installs the configuration Pulumi
# rendered, keeps the roles in step, creates the pgBackRest stanza, checks it, takes the first
# full backup when the repository has none, and starts the backup, metrics and drill timers.
# Idempotent: a replaced VM re-attached to the same volume comes back with the same data.
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
# shellcheck source=/dev/null
. "${PLATFORM_POSTGRES_ENV:-$here/postgres.env}"

HUGE_PAGES_SYSCTL=${HUGE_PAGES_SYSCTL:-/etc/sysctl.d/60-postgresql-huge-pages.conf}

log() { printf '%s bootstrap: %s\n' "$(date -u +%FT%TZ)" "$*"; }
as_postgres() { runuser -u postgres -- "$@"; }

mount_volume() {
  local waited=0
  until [ -b "$VOLUME_DEVICE" ]; do
    [ "$waited" -lt 600 ] || { log "volume $VOLUME_DEVICE did not appear within 10 minutes"; exit 1; }
    sleep 5
    waited=$((waited + 5))
  done
  if ! blkid "$VOLUME_DEVICE" >/dev/null; then
    log "formatting the new, empty volume $VOLUME_DEVICE"
    mkfs.ext4 -q -L pgdata "$VOLUME_DEVICE"
  fi
  mkdir -p "$VOLUME_MOUNT"
  if ! grep -q " $VOLUME_MOUNT " /etc/fstab; then
    echo "UUID=$(blkid -s UUID -o value "$VOLUME_DEVICE") $VOLUME_MOUNT ext4 defaults,noatime,nofail 0 2" >>/etc/fstab
  fi
  mountpoint -q "$VOLUME_MOUNT" || mount "$VOLUME_MOUNT"
}

install_packages() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends postgresql-common ca-certificates jq
  # The repository's signing key ships with Debian's postgresql-common; no key download needed.
  /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y
  # The cluster is created on the volume below, not by the package.
  sed -i 's/^#\?\s*create_main_cluster.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf
  # EXTRA_PACKAGES: space-separated, e.g. wal2json when self-hosted Supabase's Realtime decodes the WAL.
  local extra
  read -ra extra <<<"$EXTRA_PACKAGES"
  apt-get install -y -q --no-install-recommends \
    "postgresql-$PG_MAJOR" "postgresql-client-$PG_MAJOR" pgbackrest prometheus-node-exporter "${extra[@]}"
  local installed
  installed=$(pgbackrest version | awk '{print $2}')
  [ "$installed" = "$PGBACKREST_VERSION" ] ||
    log "WARNING: pgBackRest $installed installed, $PGBACKREST_VERSION pinned (components/versions.py)"
}

install_config() {
  # The volume root holds the data, the archive spool and the drill's scratch copy: postgres owns it.
  chown postgres:postgres "$VOLUME_MOUNT"
  install -d -o postgres -g postgres -m 0700 "$(dirname "$PGDATA")"
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    log "creating cluster $PG_MAJOR/main in $PGDATA"
    pg_createcluster "$PG_MAJOR" main --datadir="$PGDATA" -- --data-checksums --encoding=UTF8 --locale=C.UTF-8
  elif [ ! -f "$PG_CONF_DIR/postgresql.conf" ]; then
    log "adopting the existing cluster in $PGDATA (replaced VM, same volume)"
    pg_createcluster "$PG_MAJOR" main --datadir="$PGDATA"
  fi
  install -o postgres -g postgres -m 0644 "$STAGING_DIR"/{postgresql.conf,pg_hba.conf,pg_ident.conf,server.crt} "$PG_CONF_DIR/"
  install -o postgres -g postgres -m 0600 "$STAGING_DIR/server.key" "$PG_CONF_DIR/"
  install -d -o root -g postgres -m 0750 "$PGBACKREST_CONFIG_PATH" "$PGBACKREST_CONFIG_PATH/conf.d"
  install -o root -g postgres -m 0640 "$STAGING_DIR/pgbackrest.conf" "$PGBACKREST_CONFIG_PATH/"
  install -o root -g postgres -m 0640 "$STAGING_DIR/pgbackrest-secrets.conf" "$PGBACKREST_CONFIG_PATH/conf.d/secrets.conf"
  install -d -o postgres -g postgres -m 0750 "$SPOOL_PATH" "$LOG_PATH"
  install -d -o prometheus -g postgres -m 0775 "$TEXTFILE_DIR"
  # PostgreSQL must never start on an empty root-disk directory when the volume is missing.
  install -d /etc/systemd/system/postgresql@.service.d
  printf '[Unit]\nRequiresMountsFor=%s\n' "$VOLUME_MOUNT" >/etc/systemd/system/postgresql@.service.d/volume.conf
  install -m 0644 "$STAGING_DIR"/systemd/* /etc/systemd/system/
  systemctl daemon-reload
}

# huge_pages = try falls back to 4 kB pages without a word when the kernel holds no huge pages, and
# then every backend faults the shared buffers in page by page. Reserve what the rendered
# configuration needs (PostgreSQL computes it, with the server stopped), persistently for later boots.
reserve_huge_pages() {
  local postgres=("/usr/lib/postgresql/$PG_MAJOR/bin/postgres" -D "$PG_CONF_DIR") pages
  [ "$(as_postgres "${postgres[@]}" -C huge_pages)" != off ] || return 0
  pages=$(as_postgres "${postgres[@]}" -C shared_memory_size_in_huge_pages)
  echo "vm.nr_hugepages = $pages" >"$HUGE_PAGES_SYSCTL"
  sysctl -q -p "$HUGE_PAGES_SYSCTL"
  log "huge pages: $(sysctl -n vm.nr_hugepages) of $pages reserved for shared memory"
}

start_database() {
  systemctl stop "postgresql@$PG_MAJOR-main"
  reserve_huge_pages
  systemctl enable "postgresql@$PG_MAJOR-main"
  systemctl start "postgresql@$PG_MAJOR-main"
  until as_postgres pg_isready -q -h "$PG_SOCKET_DIR" -p "$PG_PORT"; do sleep 1; done
  # shellcheck source=/dev/null
  . "$STAGING_DIR/roles.env"
  as_postgres psql -X -q -h "$PG_SOCKET_DIR" -p "$PG_PORT" -d postgres -f "$here/roles.sql" \
    -v admin_user="$ADMIN_USER" -v admin_verifier="$ADMIN_VERIFIER" \
    -v app_user="$APP_USER" -v app_verifier="$APP_VERIFIER" -v database="$DATABASE" \
    -v superuser="$SUPERUSER" -v superuser_verifier="$SUPERUSER_VERIFIER"
}

start_backups() {
  local pgbr=(pgbackrest --config-path="$PGBACKREST_CONFIG_PATH" --stanza="$PGBACKREST_STANZA")
  as_postgres "${pgbr[@]}" stanza-create
  as_postgres "${pgbr[@]}" check
  if [ "$(as_postgres "${pgbr[@]}" --output=json info | jq '.[0].backup | length')" = 0 ]; then
    log "the repository has no backup yet: taking the first full backup now"
    as_postgres "$here/backup.sh" full
  fi
  systemctl enable --now pgbackrest-full.timer pgbackrest-diff.timer postgres-metrics.timer \
    postgres-restore-drill.timer prometheus-node-exporter.service
  as_postgres "$here/metrics.sh"
}

mount_volume
install_packages
install_config
start_database
start_backups
log "database ready on port $PG_PORT"
