CREATE TABLE "data_manager_tabs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "data_manager_tabs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"project_id" bigint NOT NULL,
	"user_id" uuid NOT NULL,
	"name" text NOT NULL,
	"filters" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"ordering" text DEFAULT 'id' NOT NULL,
	"columns" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "data_manager_tabs" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "data_manager_tabs" ADD CONSTRAINT "data_manager_tabs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "data_manager_tabs" ADD CONSTRAINT "data_manager_tabs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "data_manager_tabs" ADD CONSTRAINT "data_manager_tabs_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "data_manager_tabs_project_user_name_key" ON "data_manager_tabs" USING btree ("project_id","user_id","name");--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "data_manager_tabs" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("data_manager_tabs"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("data_manager_tabs"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);