-- An admin may set the password of a member only when the account belongs to no other
-- tenant: otherwise one tenant's admin could take over an account another tenant trusts.
-- RLS hides other tenants' memberships from the application role; this function reveals
-- only their number, and runs with its owner's rights.
CREATE FUNCTION user_other_tenant_count(p_user uuid, p_tenant uuid) RETURNS integer
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$ SELECT count(*)::int FROM tenant_members WHERE user_id = p_user AND tenant_id <> p_tenant $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION user_other_tenant_count(uuid, uuid) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION user_other_tenant_count(uuid, uuid) TO superinsight_app;
