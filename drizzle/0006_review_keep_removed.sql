ALTER TABLE "review_records" DROP CONSTRAINT "review_records_annotation_id_annotations_id_fk";
--> statement-breakpoint
DROP INDEX "predictions_project_model_idx";--> statement-breakpoint
ALTER TABLE "review_records" ADD COLUMN "annotation_snapshot" jsonb;--> statement-breakpoint
CREATE INDEX "predictions_project_model_id_idx" ON "predictions" USING btree ("project_id","model_version","id");