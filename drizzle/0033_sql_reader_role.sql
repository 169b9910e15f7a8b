-- The role text-to-SQL queries run as (SET LOCAL ROLE, after the tenant is set): a second
-- wall under the validator. It may read the reporting views, and through them (they are
-- security_invoker) only the base-table columns the views show, plus tenant_id for its
-- row-level security policies (declared in src/modules/sql/schema.ts). No other table, no
-- password hash, no token, no label result, nothing to write.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'superinsight_sql') THEN
    CREATE ROLE superinsight_sql NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- another database of this cluster created it at the same moment
END
$$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA reporting TO superinsight_sql;--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO superinsight_sql;--> statement-breakpoint
GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO superinsight_sql;--> statement-breakpoint
GRANT SELECT (tenant_id, id, title, description, overlap, review_required, task_count, created_by, created_at,
              updated_at, deleting_since)
   ON public.projects TO superinsight_sql;--> statement-breakpoint
GRANT SELECT (tenant_id, id, project_id, status, priority, overlap, total_annotations, cancelled_annotations,
              is_finished, created_at, updated_at)
   ON public.tasks TO superinsight_sql;--> statement-breakpoint
GRANT SELECT (tenant_id, id, project_id, task_id, completed_by, lead_time, was_cancelled, ground_truth,
              review_status, created_at, updated_at)
   ON public.annotations TO superinsight_sql;--> statement-breakpoint
GRANT SELECT (tenant_id, id, project_id, task_id, annotation_id, reviewer_id, status, reject_mode, created_at,
              updated_at)
   ON public.review_records TO superinsight_sql;--> statement-breakpoint
GRANT SELECT (tenant_id, id, project_id, scope, annotation_id, user_id, accuracy, completeness, timeliness,
              consistency, total, computed_at)
   ON public.quality_scores TO superinsight_sql;--> statement-breakpoint
GRANT SELECT (tenant_id, id, bill_id, kind, user_id, project_id, period, accepted_count, rejected_count,
              skipped_count, billable_seconds, quality_score, amount, currency, created_at)
   ON public.billing_records TO superinsight_sql;--> statement-breakpoint
GRANT SELECT (tenant_id, user_id, status, created_at) ON public.tenant_members TO superinsight_sql;--> statement-breakpoint
GRANT SELECT (id, name, email) ON public.users TO superinsight_sql;
