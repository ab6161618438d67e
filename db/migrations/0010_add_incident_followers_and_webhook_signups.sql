CREATE TABLE `incident_followers` (
	`id` text PRIMARY KEY NOT NULL,
	`incident_id` text NOT NULL,
	`email` text NOT NULL,
	`state` text DEFAULT 'pending' NOT NULL,
	`confirm_token_hash` text,
	`confirm_expires_at` integer,
	`manage_token_hash` text,
	`created_at` integer NOT NULL,
	`confirmed_at` integer,
	`unsubscribed_at` integer,
	`ended_at` integer,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `incident_followers_incident_id_email_idx` ON `incident_followers` (`incident_id`,`email`);--> statement-breakpoint
CREATE INDEX `incident_followers_confirm_token_hash_idx` ON `incident_followers` (`confirm_token_hash`);--> statement-breakpoint
CREATE INDEX `incident_followers_manage_token_hash_idx` ON `incident_followers` (`manage_token_hash`);--> statement-breakpoint
CREATE TABLE `webhook_signups` (
	`webhook_id` text PRIMARY KEY NOT NULL,
	`manage_token_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`webhook_id`) REFERENCES `webhooks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `webhook_signups_manage_token_hash_idx` ON `webhook_signups` (`manage_token_hash`);