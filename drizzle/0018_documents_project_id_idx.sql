DROP INDEX "documents_project_hash_idx";--> statement-breakpoint
CREATE INDEX "documents_project_id_idx" ON "documents" USING btree ("project_id","id");