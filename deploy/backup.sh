#!/usr/bin/env bash
# Back up the database (pg_dump custom format) and the uploads (MEDIA_ROOT) into one folder per run.
#
#   deploy/backup.sh [DEST_DIR]
#
# Reads DATABASE_URL, MEDIA_ROOT, BACKUP_DIR (default DEST_DIR) and BACKUP_KEEP_DAYS (default 30)
# from the environment (the systemd unit loads /etc/pairing/pairing.env). Writes
#   DEST_DIR/pairing-YYYYmmdd-HHMMSS/{database.dump,media.tar.gz,rowcounts.tsv,SHA256SUMS}
# and removes run folders older than BACKUP_KEEP_DAYS. Exits non-zero on any failure, so the
# timer's status shows a missed backup.
set -euo pipefail
umask 077

: "${DATABASE_URL:?DATABASE_URL must be set}"
: "${MEDIA_ROOT:?MEDIA_ROOT must be set}"
DEST_ROOT="${1:-${BACKUP_DIR:-/var/backups/pairing}}"
KEEP_DAYS="${BACKUP_KEEP_DAYS:-30}"
STAMP="$(date +%Y%m%d-%H%M%S)"
DEST="$DEST_ROOT/pairing-$STAMP"
mkdir -p "$DEST"
# A run that fails leaves nothing behind that could pass for a backup.
finished=0
trap '[ "$finished" = 1 ] || rm -rf "$DEST"' EXIT

ROWCOUNTS_SQL="SELECT table_name || E'\t' || (xpath('/row/c/text()',
        query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name),
                     false, true, '')))[1]::text
    FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
    ORDER BY table_name;"

# A transaction holds one snapshot; the row counts and pg_dump both read exactly that snapshot,
# so restore.sh can demand equal counts even though users kept writing during the backup.
coproc SNAPSHOT { psql "$DATABASE_URL" -X -A -t -q -v ON_ERROR_STOP=1; }
# bash forgets the coprocess's variables as soon as it exits: keep what is needed later.
SNAPSHOT_HOLDER="$SNAPSHOT_PID"
SNAPSHOT_IN="${SNAPSHOT[1]}"
SNAPSHOT_OUT="${SNAPSHOT[0]}"
echo "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot();" >&"$SNAPSHOT_IN"
read -r SNAPSHOT_ID <&"$SNAPSHOT_OUT" || true
[ -n "$SNAPSHOT_ID" ] || { echo "backup.sh: could not open a snapshot" >&2; exit 1; }
echo "$ROWCOUNTS_SQL SELECT '--end--';" >&"$SNAPSHOT_IN"
: > "$DEST/rowcounts.tsv"
while read -r line <&"$SNAPSHOT_OUT"; do
    [ "$line" = "--end--" ] && break
    printf '%s\n' "$line" >> "$DEST/rowcounts.tsv"
done
[ -s "$DEST/rowcounts.tsv" ] || { echo "backup.sh: could not count rows" >&2; exit 1; }

# --no-owner so it restores under any role.
pg_dump --format=custom --compress=6 --no-owner --no-privileges --snapshot="$SNAPSHOT_ID" \
    --file="$DEST/database.dump" "$DATABASE_URL"
echo "COMMIT;" >&"$SNAPSHOT_IN"
exec {SNAPSHOT_IN}>&-
wait "$SNAPSHOT_HOLDER" 2>/dev/null || true

# The uploads (visit photos, rectification evidence, generated ledgers, uploaded rosters).
if [ -d "$MEDIA_ROOT" ]; then
    tar --create --gzip --file="$DEST/media.tar.gz" --directory="$MEDIA_ROOT" .
else
    tar --create --gzip --file="$DEST/media.tar.gz" --files-from=/dev/null
fi

(cd "$DEST" && sha256sum database.dump media.tar.gz rowcounts.tsv > SHA256SUMS)

# Old runs go only after this one has succeeded.
find "$DEST_ROOT" -maxdepth 1 -type d -name 'pairing-*' -mtime +"$KEEP_DAYS" -exec rm -rf {} +

finished=1
echo "$DEST"
