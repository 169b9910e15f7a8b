CREATE TABLE "annotation_plugins" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "annotation_plugins_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"project_id" bigint NOT NULL,
	"title" text NOT NULL,
	"url" text NOT NULL,
	"auth_method" text DEFAULT 'none' NOT NULL,
	"basic_user" text,
	"secret_sealed" text,
	"access_token_sealed" text,
	"timeout_ms" integer DEFAULT 30000 NOT NULL,
	"is_interactive" boolean DEFAULT false NOT NULL,
	"extra_params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"model_version" text,
	"model_class" text,
	"state" text DEFAULT 'checking' NOT NULL,
	"state_error" text,
	"checked_at" timestamp (3) with time zone,
	"latency_ms" integer,
	"created_by" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "annotation_plugins" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "plugin_call_logs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "plugin_call_logs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"plugin_id" bigint NOT NULL,
	"operation" text NOT NULL,
	"action" text,
	"task_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"latency_ms" integer NOT NULL,
	"ok" boolean NOT NULL,
	"http_status" integer,
	"error" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "plugin_call_logs" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "annotation_plugins" ADD CONSTRAINT "annotation_plugins_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "annotation_plugins" ADD CONSTRAINT "annotation_plugins_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plugin_call_logs" ADD CONSTRAINT "plugin_call_logs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plugin_call_logs" ADD CONSTRAINT "plugin_call_logs_plugin_id_annotation_plugins_id_fk" FOREIGN KEY ("plugin_id") REFERENCES "public"."annotation_plugins"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "annotation_plugins_project_idx" ON "annotation_plugins" USING btree ("tenant_id","project_id");--> statement-breakpoint
CREATE INDEX "plugin_call_logs_plugin_idx" ON "plugin_call_logs" USING btree ("plugin_id","id");--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "annotation_plugins" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("annotation_plugins"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("annotation_plugins"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "plugin_call_logs" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("plugin_call_logs"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("plugin_call_logs"."tenant_id" = (select nullif(current_setting('app.tenant_id', true), '')::uuid));