-- The license's project limit counts the projects of every tenant, which RLS hides from the
-- application role. This function reveals only that number, and runs with its owner's rights.
CREATE FUNCTION installation_project_count() RETURNS integer
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$ SELECT count(*)::int FROM projects $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION installation_project_count() FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION installation_project_count() TO superinsight_app;
