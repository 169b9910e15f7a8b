CREATE TABLE "quality_scores" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "quality_scores_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"project_id" bigint NOT NULL,
	"scope" text NOT NULL,
	"annotation_id" bigint,
	"user_id" uuid,
	"accuracy" numeric(6, 5),
	"completeness" numeric(6, 5),
	"timeliness" numeric(6, 5),
	"consistency" numeric(6, 5),
	"total" numeric(6, 5) NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"computed_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "quality_scores" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "quality_scores" ADD CONSTRAINT "quality_scores_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_scores" ADD CONSTRAINT "quality_scores_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_scores" ADD CONSTRAINT "quality_scores_annotation_id_annotations_id_fk" FOREIGN KEY ("annotation_id") REFERENCES "public"."annotations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_scores" ADD CONSTRAINT "quality_scores_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "quality_scores_annotation_uq" ON "quality_scores" USING btree ("annotation_id") WHERE "quality_scores"."scope" = 'annotation';--> statement-breakpoint
CREATE UNIQUE INDEX "quality_scores_annotator_uq" ON "quality_scores" USING btree ("project_id","user_id") WHERE "quality_scores"."scope" = 'annotator';--> statement-breakpoint
CREATE INDEX "quality_scores_project_user_idx" ON "quality_scores" USING btree ("project_id","user_id","computed_at");--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "quality_scores" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("quality_scores"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("quality_scores"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);