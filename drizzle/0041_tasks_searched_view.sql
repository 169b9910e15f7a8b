-- The tasks of the transaction's tenant, for the data manager's search. Under row-level
-- security PostgreSQL evaluates the tenant policy before any operator that is not
-- LEAKPROOF, and ILIKE and @@ are not: a search on `tasks` cannot use its trigram and
-- full-text indexes and reads the tenant's whole table. This view (not security_invoker,
-- so read with its owner's rights, to whom the policy does not apply) states the same
-- tenant condition as the policy as a plain condition, which the planner may order after
-- an index. Only the application role reads it; it is no way to write.
CREATE VIEW "tasks_searched" AS
  SELECT * FROM "tasks" WHERE "tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid;
--> statement-breakpoint
REVOKE ALL ON "tasks_searched" FROM PUBLIC;
--> statement-breakpoint
GRANT SELECT ON "tasks_searched" TO superinsight_app;
