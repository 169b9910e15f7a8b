CREATE TABLE "llm_bindings" (
	"tenant_id" uuid NOT NULL,
	"feature" text NOT NULL,
	"configuration_id" bigint NOT NULL,
	"model" text,
	"embedding_model" text,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "llm_bindings_tenant_id_feature_pk" PRIMARY KEY("tenant_id","feature")
);
--> statement-breakpoint
ALTER TABLE "llm_bindings" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "llm_budgets" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "llm_budgets_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"limit" numeric(24, 10) NOT NULL,
	"currency" text,
	"feature" text,
	"warn_ratio" numeric(4, 3) DEFAULT '0.8' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "llm_budgets" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "llm_configurations" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "llm_configurations_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"provider" text NOT NULL,
	"base_url" text NOT NULL,
	"api_key_sealed" text,
	"api_key_last4" text,
	"api_version" text,
	"default_model" text,
	"timeout_ms" integer DEFAULT 30000 NOT NULL,
	"max_retries" integer DEFAULT 3 NOT NULL,
	"breaker_threshold" integer DEFAULT 5 NOT NULL,
	"breaker_cooldown_ms" integer DEFAULT 30000 NOT NULL,
	"fallback_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"health_status" text DEFAULT 'unknown' NOT NULL,
	"health_checked_at" timestamp (3) with time zone,
	"health_latency_ms" integer,
	"health_error" text,
	"created_by" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "llm_configurations" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "llm_model_registry" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "llm_model_registry_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"configuration_id" bigint NOT NULL,
	"model" text NOT NULL,
	"capabilities" jsonb DEFAULT '["chat"]'::jsonb NOT NULL,
	"context_window" integer,
	"input_price_per_million" numeric(20, 10) DEFAULT '0' NOT NULL,
	"output_price_per_million" numeric(20, 10) DEFAULT '0' NOT NULL,
	"currency" text DEFAULT 'USD' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "llm_model_registry" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "llm_settings" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"log_prompts" boolean DEFAULT false NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "llm_settings" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "llm_usage_logs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "llm_usage_logs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"user_id" uuid,
	"feature" text NOT NULL,
	"kind" text NOT NULL,
	"configuration_id" bigint,
	"model" text,
	"request_id" text NOT NULL,
	"attempt" integer DEFAULT 1 NOT NULL,
	"tokens_in" integer DEFAULT 0 NOT NULL,
	"tokens_out" integer DEFAULT 0 NOT NULL,
	"estimated_tokens_in" integer,
	"latency_ms" integer NOT NULL,
	"cost" numeric(20, 10) DEFAULT '0' NOT NULL,
	"currency" text,
	"success" boolean NOT NULL,
	"error_code" text,
	"prompt" jsonb,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "llm_usage_logs" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "llm_bindings" ADD CONSTRAINT "llm_bindings_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "llm_bindings" ADD CONSTRAINT "llm_bindings_configuration_id_llm_configurations_id_fk" FOREIGN KEY ("configuration_id") REFERENCES "public"."llm_configurations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "llm_budgets" ADD CONSTRAINT "llm_budgets_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "llm_configurations" ADD CONSTRAINT "llm_configurations_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "llm_model_registry" ADD CONSTRAINT "llm_model_registry_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "llm_model_registry" ADD CONSTRAINT "llm_model_registry_configuration_id_llm_configurations_id_fk" FOREIGN KEY ("configuration_id") REFERENCES "public"."llm_configurations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "llm_settings" ADD CONSTRAINT "llm_settings_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "llm_usage_logs" ADD CONSTRAINT "llm_usage_logs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "llm_budgets_name_key" ON "llm_budgets" USING btree ("tenant_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "llm_configurations_name_key" ON "llm_configurations" USING btree ("tenant_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "llm_model_registry_model_key" ON "llm_model_registry" USING btree ("configuration_id","model");--> statement-breakpoint
CREATE INDEX "llm_usage_logs_tenant_time_idx" ON "llm_usage_logs" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "llm_usage_logs_request_idx" ON "llm_usage_logs" USING btree ("tenant_id","request_id");--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "llm_bindings" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("llm_bindings"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("llm_bindings"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "llm_budgets" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("llm_budgets"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("llm_budgets"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "llm_configurations" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("llm_configurations"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("llm_configurations"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "llm_model_registry" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("llm_model_registry"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("llm_model_registry"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "llm_settings" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("llm_settings"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("llm_settings"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "llm_usage_logs" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("llm_usage_logs"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("llm_usage_logs"."tenant_id" = (select nullif(current_setting('app.tenant_id', true), '')::uuid));