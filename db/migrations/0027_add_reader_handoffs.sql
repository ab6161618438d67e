CREATE TABLE `reader_handoffs` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`browser_hash` text NOT NULL,
	`audience_slug` text NOT NULL,
	`session_token_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reader_handoffs_token_hash_idx` ON `reader_handoffs` (`token_hash`);--> statement-breakpoint
ALTER TABLE `oidc_sign_ins` ADD `return_host` text;--> statement-breakpoint
CREATE INDEX `oidc_sign_ins_state_idx` ON `oidc_sign_ins` (`state`);