CREATE TABLE "billing_bills" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "billing_bills_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"period" text NOT NULL,
	"time_zone" text NOT NULL,
	"period_start" timestamp (3) with time zone NOT NULL,
	"period_end" timestamp (3) with time zone NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"currency" text,
	"total" numeric(20, 6) DEFAULT '0' NOT NULL,
	"rule_version_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"job_id" uuid,
	"generated_at" timestamp (3) with time zone,
	"issued_at" timestamp (3) with time zone,
	"paid_at" timestamp (3) with time zone,
	"voided_at" timestamp (3) with time zone,
	"created_by" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "billing_bills" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "billing_project_settings" (
	"project_id" bigint PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"difficulty" text DEFAULT 'normal' NOT NULL,
	"lead_time_cap_seconds" integer,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "billing_project_settings" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "billing_records" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "billing_records_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"bill_id" bigint NOT NULL,
	"kind" text NOT NULL,
	"user_id" uuid,
	"project_id" bigint,
	"period" text NOT NULL,
	"rule_version_id" bigint,
	"mode" text,
	"accepted_count" integer DEFAULT 0 NOT NULL,
	"rejected_count" integer DEFAULT 0 NOT NULL,
	"skipped_count" integer DEFAULT 0 NOT NULL,
	"paid_count" integer DEFAULT 0 NOT NULL,
	"billable_seconds" numeric(16, 3) DEFAULT '0' NOT NULL,
	"paid_seconds" numeric(16, 3) DEFAULT '0' NOT NULL,
	"quality_score" numeric(8, 5),
	"quality_multiplier" numeric(10, 4) DEFAULT '1' NOT NULL,
	"difficulty" text,
	"difficulty_multiplier" numeric(10, 4) DEFAULT '1' NOT NULL,
	"base_amount" numeric(20, 6) DEFAULT '0' NOT NULL,
	"amount" numeric(20, 6) NOT NULL,
	"currency" text NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"created_by" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "billing_records" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "billing_rule_versions" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "billing_rule_versions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"rule_id" bigint NOT NULL,
	"version" integer NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"mode" text NOT NULL,
	"currency" text NOT NULL,
	"count_rate" numeric(20, 6) NOT NULL,
	"hour_rate" numeric(20, 6) NOT NULL,
	"project_fee" numeric(20, 6) NOT NULL,
	"quality_tiers" jsonb NOT NULL,
	"difficulty_multipliers" jsonb NOT NULL,
	"pay_rejected" boolean DEFAULT false NOT NULL,
	"pay_skipped" boolean DEFAULT false NOT NULL,
	"effective_from" timestamp (3) with time zone NOT NULL,
	"created_by" uuid,
	"approved_by" uuid,
	"approved_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "billing_rule_versions" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "billing_rules" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "billing_rules_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"project_id" bigint,
	"name" text NOT NULL,
	"created_by" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "billing_rules" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "billing_statements" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "billing_statements_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"bill_id" bigint NOT NULL,
	"user_id" uuid NOT NULL,
	"total" numeric(20, 6) NOT NULL,
	"lines" integer NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "billing_statements" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "billing_work_records" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "billing_work_records_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"project_id" bigint NOT NULL,
	"task_id" bigint NOT NULL,
	"annotation_id" bigint NOT NULL,
	"user_id" uuid,
	"kind" text NOT NULL,
	"units" integer NOT NULL,
	"lead_time" numeric(14, 3) NOT NULL,
	"billable_seconds" numeric(14, 3) NOT NULL,
	"was_cancelled" boolean NOT NULL,
	"review_status" text,
	"occurred_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "billing_work_records" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "billing_bills" ADD CONSTRAINT "billing_bills_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_project_settings" ADD CONSTRAINT "billing_project_settings_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_project_settings" ADD CONSTRAINT "billing_project_settings_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_records" ADD CONSTRAINT "billing_records_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_records" ADD CONSTRAINT "billing_records_bill_id_billing_bills_id_fk" FOREIGN KEY ("bill_id") REFERENCES "public"."billing_bills"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_records" ADD CONSTRAINT "billing_records_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_records" ADD CONSTRAINT "billing_records_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_rule_versions" ADD CONSTRAINT "billing_rule_versions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_rule_versions" ADD CONSTRAINT "billing_rule_versions_rule_id_billing_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."billing_rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_rules" ADD CONSTRAINT "billing_rules_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_rules" ADD CONSTRAINT "billing_rules_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_statements" ADD CONSTRAINT "billing_statements_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_statements" ADD CONSTRAINT "billing_statements_bill_id_billing_bills_id_fk" FOREIGN KEY ("bill_id") REFERENCES "public"."billing_bills"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_statements" ADD CONSTRAINT "billing_statements_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_work_records" ADD CONSTRAINT "billing_work_records_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_work_records" ADD CONSTRAINT "billing_work_records_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "billing_bills_open_period_key" ON "billing_bills" USING btree ("tenant_id","period") WHERE "billing_bills"."status" <> 'void';--> statement-breakpoint
CREATE INDEX "billing_records_bill_idx" ON "billing_records" USING btree ("bill_id","id");--> statement-breakpoint
CREATE INDEX "billing_records_user_idx" ON "billing_records" USING btree ("tenant_id","user_id","period");--> statement-breakpoint
CREATE UNIQUE INDEX "billing_rule_versions_rule_version_key" ON "billing_rule_versions" USING btree ("rule_id","version");--> statement-breakpoint
CREATE UNIQUE INDEX "billing_rules_scope_key" ON "billing_rules" USING btree ("tenant_id",coalesce("project_id", 0));--> statement-breakpoint
CREATE UNIQUE INDEX "billing_statements_bill_user_key" ON "billing_statements" USING btree ("bill_id","user_id");--> statement-breakpoint
CREATE INDEX "billing_statements_user_idx" ON "billing_statements" USING btree ("tenant_id","user_id");--> statement-breakpoint
CREATE INDEX "billing_work_records_tenant_time_idx" ON "billing_work_records" USING btree ("tenant_id","occurred_at");--> statement-breakpoint
CREATE INDEX "billing_work_records_annotation_idx" ON "billing_work_records" USING btree ("annotation_id");--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "billing_bills" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("billing_bills"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("billing_bills"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "billing_project_settings" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("billing_project_settings"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("billing_project_settings"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "billing_records" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("billing_records"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("billing_records"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "billing_rule_versions" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("billing_rule_versions"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("billing_rule_versions"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "billing_rules" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("billing_rules"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("billing_rules"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "billing_statements" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("billing_statements"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("billing_statements"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "billing_work_records" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("billing_work_records"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("billing_work_records"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);