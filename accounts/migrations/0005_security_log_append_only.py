"""The security log is append-only in the database too (PostgreSQL; a no-op on SQLite).

A trigger on accounts_securityevent refuses every UPDATE and DELETE, except
- DELETE of a row older than 180 days: the purge (`purge_security_log`) deletes only rows
  older than SECURITY_LOG_KEEP_DAYS, which it refuses to set under 180; the database holds
  the legal floor so that a longer keeping time set later never needs a new migration;
- the one UPDATE Django makes when a user is deleted: `user_id` set to NULL with every other
  column unchanged (the row keeps the user name).

TRUNCATE (a test database's flush) is not a row event and is not affected."""

from django.db import migrations

KEEP_DAYS_FLOOR = 180  # accounts.services.SECURITY_LOG_MIN_KEEP_DAYS

FORWARD = f"""
CREATE OR REPLACE FUNCTION accounts_securityevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.created_at < now() - interval '{KEEP_DAYS_FLOOR} days' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'security log is append-only: event % is younger than {KEEP_DAYS_FLOOR} days', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.user_id IS NOT NULL AND NEW.user_id IS NULL
       AND (NEW.id, NEW.kind, NEW.username, NEW.ip_address, NEW.region_code, NEW.rows,
            NEW.detail::text, NEW.created_at)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.kind, OLD.username, OLD.ip_address, OLD.region_code, OLD.rows,
            OLD.detail::text, OLD.created_at) THEN
        RETURN NEW;  -- the user was deleted; the row keeps the user name
    END IF;
    RAISE EXCEPTION 'security log is append-only: event % cannot be changed', OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS accounts_securityevent_append_only ON accounts_securityevent;
CREATE TRIGGER accounts_securityevent_append_only
    BEFORE UPDATE OR DELETE ON accounts_securityevent
    FOR EACH ROW EXECUTE FUNCTION accounts_securityevent_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS accounts_securityevent_append_only ON accounts_securityevent;
DROP FUNCTION IF EXISTS accounts_securityevent_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_security_tally")]

    operations = [
        migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD), elidable=False)
    ]
