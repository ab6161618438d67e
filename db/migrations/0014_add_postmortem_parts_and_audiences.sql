CREATE TABLE `audiences` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`member_domains` text NOT NULL,
	`member_emails` text NOT NULL,
	`everyone_signed_in` integer DEFAULT false NOT NULL,
	`component_ids` text,
	`sees_internal` integer DEFAULT false NOT NULL,
	`token_version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `audiences_slug_idx` ON `audiences` (`slug`);--> statement-breakpoint
CREATE TABLE `update_audience_texts` (
	`update_id` text NOT NULL,
	`audience_id` text NOT NULL,
	`body` text NOT NULL,
	PRIMARY KEY(`update_id`, `audience_id`),
	FOREIGN KEY (`update_id`) REFERENCES `incident_updates`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`audience_id`) REFERENCES `audiences`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `postmortems` ADD `internal_body` text DEFAULT '' NOT NULL;