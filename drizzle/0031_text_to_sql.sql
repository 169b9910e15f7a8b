CREATE TABLE "sql_generation_logs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "sql_generation_logs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"user_id" uuid,
	"source_id" text DEFAULT 'platform' NOT NULL,
	"question" text,
	"method" text NOT NULL,
	"sql" text NOT NULL,
	"params" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"confidence" numeric(4, 3),
	"duration_ms" integer NOT NULL,
	"outcome" text NOT NULL,
	"row_count" integer,
	"error" text,
	"feedback_correct" boolean,
	"corrected_sql" text,
	"feedback_by" uuid,
	"feedback_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sql_generation_logs" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "text_to_sql_configurations" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "text_to_sql_configurations_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"default_method" text DEFAULT 'hybrid' NOT NULL,
	"row_limit" integer DEFAULT 1000 NOT NULL,
	"statement_timeout_ms" integer DEFAULT 5000 NOT NULL,
	"enabled_sources" jsonb DEFAULT '["platform"]'::jsonb NOT NULL,
	"llm_binding" text,
	"updated_by" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "text_to_sql_configurations" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "sql_generation_logs" ADD CONSTRAINT "sql_generation_logs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "text_to_sql_configurations" ADD CONSTRAINT "text_to_sql_configurations_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sql_generation_logs_tenant_idx" ON "sql_generation_logs" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE INDEX "sql_generation_logs_user_idx" ON "sql_generation_logs" USING btree ("tenant_id","user_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "text_to_sql_configurations_tenant_key" ON "text_to_sql_configurations" USING btree ("tenant_id");--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "sql_generation_logs" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("sql_generation_logs"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("sql_generation_logs"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "text_to_sql_configurations" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("text_to_sql_configurations"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("text_to_sql_configurations"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);