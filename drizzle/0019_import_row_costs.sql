ALTER TABLE "documents" DROP CONSTRAINT "documents_project_tenant_fk";
--> statement-breakpoint
ALTER TABLE "tasks" DROP CONSTRAINT "tasks_project_tenant_fk";
--> statement-breakpoint
DROP INDEX "tasks_project_score_idx";--> statement-breakpoint
CREATE INDEX "tasks_project_score_idx" ON "tasks" USING btree ("project_id","prediction_score","id") WHERE "tasks"."prediction_score" is not null;--> statement-breakpoint
ALTER POLICY "tenant_isolation" ON "documents" TO superinsight_app USING ("documents"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("documents"."tenant_id" = (select nullif(current_setting('app.tenant_id', true), '')::uuid));--> statement-breakpoint
ALTER POLICY "tenant_isolation" ON "tasks" TO superinsight_app USING ("tasks"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("tasks"."tenant_id" = (select nullif(current_setting('app.tenant_id', true), '')::uuid));