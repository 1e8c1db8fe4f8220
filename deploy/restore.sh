#!/usr/bin/env bash
# Restore a backup made by backup.sh into an EMPTY database and an empty uploads folder.
#
#   deploy/restore.sh BACKUP_FOLDER
#
# Target: DATABASE_URL (create it first: createdb -O pairing pairing) and MEDIA_ROOT.
# Checks the SHA256SUMS first, restores, then compares every table's row count with the counts
# recorded at backup time; exits non-zero (and says which table) on any difference.
# Stop pairing-web, pairing-worker and pairing-beat before restoring over a live system.
set -euo pipefail

SRC="${1:?usage: restore.sh BACKUP_FOLDER}"
: "${DATABASE_URL:?DATABASE_URL must be set}"
: "${MEDIA_ROOT:?MEDIA_ROOT must be set}"

(cd "$SRC" && sha256sum --check --quiet SHA256SUMS)

existing="$(psql "$DATABASE_URL" -X -A -t -v ON_ERROR_STOP=1 -c \
    "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")"
if [ "$existing" != "0" ]; then
    echo "restore.sh: the target database already has $existing tables; restore into an empty one" >&2
    exit 2
fi
if [ -d "$MEDIA_ROOT" ] && [ -n "$(ls -A "$MEDIA_ROOT")" ]; then
    echo "restore.sh: MEDIA_ROOT ($MEDIA_ROOT) is not empty" >&2
    exit 2
fi

pg_restore --no-owner --no-privileges --exit-on-error --dbname="$DATABASE_URL" "$SRC/database.dump"
psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c "ANALYZE"

mkdir -p "$MEDIA_ROOT"
tar --extract --gzip --file="$SRC/media.tar.gz" --directory="$MEDIA_ROOT"

psql "$DATABASE_URL" -X -A -t -v ON_ERROR_STOP=1 -c "
    SELECT table_name || E'\t' || (xpath('/row/c/text()',
        query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name),
                     false, true, '')))[1]::text
    FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
    ORDER BY table_name" > "$SRC/rowcounts.restored.tsv.$$"
if ! diff -u "$SRC/rowcounts.tsv" "$SRC/rowcounts.restored.tsv.$$"; then
    rm -f "$SRC/rowcounts.restored.tsv.$$"
    echo "restore.sh: row counts differ from the backup (see above)" >&2
    exit 1
fi
rm -f "$SRC/rowcounts.restored.tsv.$$"
tables="$(wc -l < "$SRC/rowcounts.tsv")"
rows="$(awk -F'\t' '{s += $2} END {print s}' "$SRC/rowcounts.tsv")"
files="$(find "$MEDIA_ROOT" -type f | wc -l)"
echo "restored: $tables tables, $rows rows (counts match the backup), $files upload files"
