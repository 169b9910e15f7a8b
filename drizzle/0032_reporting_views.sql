-- Reporting views for text-to-SQL (src/modules/sql/reporting.ts documents every column).
-- security_invoker: the base tables' row-level security is checked as the querying role
-- (superinsight_app in a tenant transaction), so each view shows the tenant's rows only.
CREATE SCHEMA IF NOT EXISTS reporting;--> statement-breakpoint
GRANT USAGE ON SCHEMA reporting TO superinsight_app;--> statement-breakpoint
CREATE VIEW reporting.projects WITH (security_invoker = true) AS
  SELECT id, title, description, overlap, review_required, task_count, created_by, created_at, updated_at
    FROM public.projects
   WHERE deleting_since IS NULL;--> statement-breakpoint
CREATE VIEW reporting.tasks WITH (security_invoker = true) AS
  SELECT id, project_id, status, priority, overlap, total_annotations, cancelled_annotations, is_finished,
         created_at, updated_at
    FROM public.tasks;--> statement-breakpoint
CREATE VIEW reporting.annotations WITH (security_invoker = true) AS
  SELECT id, project_id, task_id, completed_by, lead_time, was_cancelled, ground_truth, review_status,
         created_at, updated_at
    FROM public.annotations;--> statement-breakpoint
CREATE VIEW reporting.reviews WITH (security_invoker = true) AS
  SELECT id, project_id, task_id, annotation_id, reviewer_id, status, reject_mode, created_at, updated_at
    FROM public.review_records;--> statement-breakpoint
CREATE VIEW reporting.quality_scores WITH (security_invoker = true) AS
  SELECT id, project_id, scope, annotation_id, user_id, accuracy, completeness, timeliness, consistency,
         total, computed_at
    FROM public.quality_scores;--> statement-breakpoint
CREATE VIEW reporting.billing_lines WITH (security_invoker = true) AS
  SELECT id, bill_id, kind, user_id, project_id, period, accepted_count, rejected_count, skipped_count,
         billable_seconds, quality_score, amount, currency, created_at
    FROM public.billing_records;--> statement-breakpoint
CREATE VIEW reporting.members WITH (security_invoker = true) AS
  SELECT m.user_id, u.name, u.email, m.status, m.created_at AS joined_at
    FROM public.tenant_members m
    JOIN public.users u ON u.id = m.user_id;--> statement-breakpoint
GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO superinsight_app;
