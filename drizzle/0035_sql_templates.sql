CREATE TABLE "sql_templates" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "sql_templates_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"patterns" jsonb NOT NULL,
	"slots" jsonb NOT NULL,
	"sql" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sql_templates" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "sql_templates" ADD CONSTRAINT "sql_templates_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "sql_templates_tenant_name_key" ON "sql_templates" USING btree ("tenant_id","name");--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "sql_templates" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("sql_templates"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("sql_templates"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);