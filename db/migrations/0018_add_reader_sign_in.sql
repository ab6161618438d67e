CREATE TABLE `reader_sign_in_links` (
	`id` text PRIMARY KEY NOT NULL,
	`audience_id` text NOT NULL,
	`email` text NOT NULL,
	`token_hash` text NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`audience_id`) REFERENCES `audiences`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reader_sign_in_links_token_hash_idx` ON `reader_sign_in_links` (`token_hash`);--> statement-breakpoint
CREATE INDEX `reader_sign_in_links_email_idx` ON `reader_sign_in_links` (`email`,`created_at`);--> statement-breakpoint
CREATE TABLE `reader_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`email` text NOT NULL,
	`method` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reader_sessions_token_hash_idx` ON `reader_sessions` (`token_hash`);--> statement-breakpoint
CREATE INDEX `reader_sessions_expires_at_idx` ON `reader_sessions` (`expires_at`);--> statement-breakpoint
CREATE TABLE `oidc_sign_ins` (
	`id` text PRIMARY KEY NOT NULL,
	`browser_hash` text NOT NULL,
	`purpose` text NOT NULL,
	`audience_slug` text,
	`next` text NOT NULL,
	`state` text NOT NULL,
	`nonce` text NOT NULL,
	`code_verifier` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `oidc_sign_ins_browser_hash_idx` ON `oidc_sign_ins` (`browser_hash`);--> statement-breakpoint
ALTER TABLE `settings` ADD `local_passwords` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `method` text DEFAULT 'password' NOT NULL;