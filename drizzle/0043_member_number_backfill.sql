-- Existing members get their numbers in joining order, per tenant; later ones come from
-- addMembership (src/platform/auth/membership.ts).
UPDATE tenant_members m SET number = n.number
FROM (
  SELECT id, row_number() OVER (PARTITION BY tenant_id ORDER BY created_at, id)::int AS number
  FROM tenant_members
) n
WHERE n.id = m.id AND m.number IS NULL;
