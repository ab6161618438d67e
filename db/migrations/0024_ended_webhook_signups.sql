CREATE TABLE `ended_webhook_signups` (
	`manage_token_hash` text PRIMARY KEY NOT NULL,
	`reason` text NOT NULL,
	`ended_at` integer NOT NULL
);
