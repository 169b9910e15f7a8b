CREATE TABLE "third_party_plugins" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "third_party_plugins_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"endpoint_url" text NOT NULL,
	"api_key_sealed" text NOT NULL,
	"api_key_last4" text NOT NULL,
	"timeout_ms" integer DEFAULT 10000 NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "third_party_plugins" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "sql_generation_logs" ADD COLUMN "plugin_id" bigint;--> statement-breakpoint
ALTER TABLE "sql_generation_logs" ADD COLUMN "plugin_latency_ms" integer;--> statement-breakpoint
ALTER TABLE "text_to_sql_configurations" ADD COLUMN "plugin_id" bigint;--> statement-breakpoint
ALTER TABLE "third_party_plugins" ADD CONSTRAINT "third_party_plugins_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "third_party_plugins_tenant_name_key" ON "third_party_plugins" USING btree ("tenant_id","name");--> statement-breakpoint
ALTER TABLE "text_to_sql_configurations" ADD CONSTRAINT "text_to_sql_configurations_plugin_id_third_party_plugins_id_fk" FOREIGN KEY ("plugin_id") REFERENCES "public"."third_party_plugins"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "third_party_plugins" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("third_party_plugins"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("third_party_plugins"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);