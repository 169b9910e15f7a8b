ALTER TABLE "tenant_members" ALTER COLUMN "number" SET NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "tenant_members_tenant_number_key" ON "tenant_members" USING btree ("tenant_id","number");