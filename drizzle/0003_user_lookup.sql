-- Adding an existing account to a tenant needs its id, but RLS hides accounts of other
-- tenants from the application role. This function reveals only the id of an exact
-- e-mail match, and runs with its owner's rights.
CREATE FUNCTION user_id_by_email(p_email text) RETURNS uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$ SELECT id FROM users WHERE lower(email) = lower(p_email) $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION user_id_by_email(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION user_id_by_email(text) TO superinsight_app;
