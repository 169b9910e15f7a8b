CREATE TABLE "concurrent_sessions" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp (3) with time zone NOT NULL,
	"session_count" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "license_activations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"license_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"fingerprint" text NOT NULL,
	"nonce" text NOT NULL,
	"document" text,
	"server_url" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"activated_at" timestamp (3) with time zone,
	"deactivated_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "license_audit_logs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid,
	"event" text NOT NULL,
	"license_id" uuid,
	"actor_id" uuid,
	"message" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "license_audit_logs" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "license_installation" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"first_started_at" timestamp (3) with time zone NOT NULL,
	"clock_high_water" timestamp (3) with time zone NOT NULL,
	"signature" text NOT NULL,
	"phase" text
);
--> statement-breakpoint
CREATE TABLE "licenses" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"license_id" uuid NOT NULL,
	"key_id" text NOT NULL,
	"document" text NOT NULL,
	"licensee" text NOT NULL,
	"edition" text NOT NULL,
	"expires_at" timestamp (3) with time zone,
	"installed_by" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"replaced_at" timestamp (3) with time zone
);
--> statement-breakpoint
ALTER TABLE "concurrent_sessions" ADD CONSTRAINT "concurrent_sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "license_audit_logs" ADD CONSTRAINT "license_audit_logs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "licenses" ADD CONSTRAINT "licenses_installed_by_users_id_fk" FOREIGN KEY ("installed_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "concurrent_sessions_seen_idx" ON "concurrent_sessions" USING btree ("last_seen_at");--> statement-breakpoint
CREATE INDEX "license_activations_license_idx" ON "license_activations" USING btree ("license_id","kind","status");--> statement-breakpoint
CREATE UNIQUE INDEX "license_activations_nonce_key" ON "license_activations" USING btree ("nonce");--> statement-breakpoint
CREATE INDEX "license_audit_logs_created_idx" ON "license_audit_logs" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "licenses_installed_idx" ON "licenses" USING btree ("created_at");--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "license_audit_logs" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("license_audit_logs"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("license_audit_logs"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);