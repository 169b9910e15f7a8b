-- Checkpoints are append-only for the application, like the chain they attest.
REVOKE UPDATE, DELETE, TRUNCATE ON "audit_checkpoints" FROM superinsight_app;--> statement-breakpoint
-- Erasure (GDPR) may clear the personal columns of an audit row and nothing else; the chain
-- covers their salted digest, which stays.
GRANT UPDATE ("actor_email", "ip", "user_agent", "personal_details", "personal_salt", "erased_at") ON "audit_logs" TO superinsight_app;
