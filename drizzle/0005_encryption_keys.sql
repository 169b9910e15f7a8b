CREATE TABLE "encryption_keys" (
	"version" integer PRIMARY KEY NOT NULL,
	"wrapped_key" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"retired_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "encryption_keys_one_active" ON "encryption_keys" USING btree ("status") WHERE "encryption_keys"."status" = 'active';