ALTER TABLE "tasks" ADD COLUMN "search_text" text GENERATED ALWAYS AS (jsonb_path_query_array(data, 'strict $.** ? (@.type() == "string")')::text) STORED;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "search_words" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "search_doc" "tsvector" GENERATED ALWAYS AS (coalesce(to_tsvector('simple', search_words), jsonb_to_tsvector('simple', data, '["string"]'))) STORED;--> statement-breakpoint
CREATE INDEX "tasks_search_text_trgm_idx" ON "tasks" USING gin ("search_text" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "tasks_search_doc_idx" ON "tasks" USING gin ("search_doc");