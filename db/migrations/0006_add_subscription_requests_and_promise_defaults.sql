CREATE TABLE `subscription_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`list_id` text NOT NULL,
	`requested_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `subscription_requests_email_idx` ON `subscription_requests` (`email`,`requested_at`);--> statement-breakpoint
ALTER TABLE `settings` ADD `promise_minutes_p0` integer DEFAULT 15 NOT NULL;--> statement-breakpoint
ALTER TABLE `settings` ADD `promise_minutes_p1` integer DEFAULT 30 NOT NULL;--> statement-breakpoint
ALTER TABLE `settings` ADD `promise_minutes_p2` integer;--> statement-breakpoint
ALTER TABLE `settings` ADD `promise_minutes_p3` integer;