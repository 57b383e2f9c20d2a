ALTER TABLE "users" ADD COLUMN "token_hash" text;--> statement-breakpoint
CREATE UNIQUE INDEX "users_token_hash_idx" ON "users" USING btree ("token_hash");