-- Audit rows are append-only for the application: it may insert and read them, never
-- change or remove them. Only a database superuser could, and verification detects it.
REVOKE UPDATE, DELETE, TRUNCATE ON "audit_logs" FROM superinsight_app;
