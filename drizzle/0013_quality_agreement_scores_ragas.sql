CREATE TABLE "quality_agreement_runs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "quality_agreement_runs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"project_id" bigint NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"job_id" uuid,
	"incremental" boolean DEFAULT true NOT NULL,
	"tasks_seen" integer DEFAULT 0 NOT NULL,
	"tasks_recomputed" integer DEFAULT 0 NOT NULL,
	"tasks_scored" integer DEFAULT 0 NOT NULL,
	"mean_score" real,
	"controls" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"pairs" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"error" text,
	"created_by" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp (3) with time zone
);
--> statement-breakpoint
ALTER TABLE "quality_agreement_runs" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "quality_agreement_tasks" (
	"task_id" bigint PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"project_id" bigint NOT NULL,
	"signature" text NOT NULL,
	"annotations" integer NOT NULL,
	"score" real,
	"controls" jsonb NOT NULL,
	"annotators" jsonb NOT NULL,
	"pairs" jsonb NOT NULL,
	"ratings" jsonb NOT NULL,
	"computed_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "quality_agreement_tasks" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "quality_project_configs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "quality_project_configs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"project_id" bigint NOT NULL,
	"weights" jsonb DEFAULT '{"accuracy":0.4,"completeness":0.3,"timeliness":0.2,"consistency":0.1}'::jsonb NOT NULL,
	"required_fields" text[] DEFAULT '{}'::text[] NOT NULL,
	"expected_duration_seconds" real DEFAULT 120 NOT NULL,
	"gold_ratio" real DEFAULT 0.1 NOT NULL,
	"updated_by" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "quality_project_configs" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "ragas_evaluations" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "ragas_evaluations_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"project_id" bigint,
	"dataset" text NOT NULL,
	"question" text,
	"answer" text,
	"contexts" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"reference" text,
	"reference_contexts" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"metrics" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"skipped" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_by" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"evaluated_at" timestamp (3) with time zone
);
--> statement-breakpoint
ALTER TABLE "ragas_evaluations" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "quality_agreement_runs" ADD CONSTRAINT "quality_agreement_runs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_agreement_runs" ADD CONSTRAINT "quality_agreement_runs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_agreement_tasks" ADD CONSTRAINT "quality_agreement_tasks_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_agreement_tasks" ADD CONSTRAINT "quality_agreement_tasks_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_agreement_tasks" ADD CONSTRAINT "quality_agreement_tasks_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_project_configs" ADD CONSTRAINT "quality_project_configs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_project_configs" ADD CONSTRAINT "quality_project_configs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ragas_evaluations" ADD CONSTRAINT "ragas_evaluations_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ragas_evaluations" ADD CONSTRAINT "ragas_evaluations_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "quality_agreement_runs_project_idx" ON "quality_agreement_runs" USING btree ("project_id","id");--> statement-breakpoint
CREATE INDEX "quality_agreement_tasks_project_idx" ON "quality_agreement_tasks" USING btree ("project_id","task_id");--> statement-breakpoint
CREATE UNIQUE INDEX "quality_project_configs_project_uq" ON "quality_project_configs" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "ragas_evaluations_dataset_idx" ON "ragas_evaluations" USING btree ("tenant_id","dataset","id");--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "quality_agreement_runs" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("quality_agreement_runs"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("quality_agreement_runs"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "quality_agreement_tasks" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("quality_agreement_tasks"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("quality_agreement_tasks"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "quality_project_configs" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("quality_project_configs"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("quality_project_configs"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "ragas_evaluations" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("ragas_evaluations"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("ragas_evaluations"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);