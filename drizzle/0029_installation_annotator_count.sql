-- The license's annotator limit counts, across every tenant, the users who may annotate: an
-- active member holding an unexpired role that grants annotations:write, itself or through
-- the roles it inherits from. Tenant owners and platform owners never count (as for seats).
-- RLS hides other tenants' assignments from the application role; this function reveals
-- only the number, and runs with its owner's rights.
CREATE FUNCTION installation_annotator_count() RETURNS integer
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$
    WITH RECURSIVE reach(root, id) AS (
      SELECT r.id, r.id FROM roles r
      UNION
      SELECT reach.root, p.id FROM reach JOIN roles r ON r.id = reach.id, unnest(r.parent_ids) AS p(id)
    ),
    writers AS (
      SELECT DISTINCT reach.root AS id FROM reach JOIN roles r ON r.id = reach.id
       WHERE (r.built_in AND r.name IN ('admin', 'manager', 'reviewer', 'annotator'))
          OR (NOT r.built_in AND r.permissions && ARRAY['*', 'annotations:*', 'annotations:write'])
    )
    SELECT count(DISTINCT a.user_id)::int
      FROM user_role_assignments a
      JOIN writers w ON w.id = a.role_id
      JOIN users u ON u.id = a.user_id AND u.status = 'active' AND NOT u.is_platform_owner
      JOIN tenant_members m ON m.tenant_id = a.tenant_id AND m.user_id = a.user_id AND m.status = 'active'
     WHERE (a.expires_at IS NULL OR a.expires_at > now())
       AND NOT EXISTS (
         SELECT 1 FROM user_role_assignments o JOIN roles r ON r.id = o.role_id
          WHERE o.tenant_id = a.tenant_id AND o.user_id = a.user_id AND r.built_in AND r.name = 'owner')
  $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION installation_annotator_count() FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION installation_annotator_count() TO superinsight_app;
