CREATE TABLE "llm_usage_totals" (
	"tenant_id" uuid NOT NULL,
	"month" date NOT NULL,
	"feature" text NOT NULL,
	"currency" text NOT NULL,
	"tokens" bigint NOT NULL,
	"cost" numeric(24, 10) NOT NULL,
	CONSTRAINT "llm_usage_totals_tenant_id_month_feature_currency_pk" PRIMARY KEY("tenant_id","month","feature","currency")
);
--> statement-breakpoint
ALTER TABLE "llm_usage_totals" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "llm_usage_totals" ADD CONSTRAINT "llm_usage_totals_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "llm_usage_totals" AS PERMISSIVE FOR ALL TO "superinsight_app" USING ("llm_usage_totals"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK ("llm_usage_totals"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid);