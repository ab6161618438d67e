CREATE TABLE `subscription_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`list_id` text NOT NULL,
	`requested_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `subscription_requests_email_idx` ON `subscription_requests` (`email`,`requested_at`);