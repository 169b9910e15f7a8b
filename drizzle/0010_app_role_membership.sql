-- Tenant transactions SET ROLE superinsight_app. A superuser may always do that; a
-- database owner that is not one needs membership, granted here when it is missing.
DO $$
BEGIN
  IF NOT pg_has_role(current_user, 'superinsight_app', 'MEMBER') THEN
    EXECUTE format('GRANT superinsight_app TO %I', current_user);
  END IF;
END
$$;
