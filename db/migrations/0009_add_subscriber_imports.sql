CREATE TABLE `subscriber_imports` (
	`id` text PRIMARY KEY NOT NULL,
	`list_id` text NOT NULL,
	`state` text DEFAULT 'running' NOT NULL,
	`rows_total` integer NOT NULL,
	`rows_done` integer DEFAULT 0 NOT NULL,
	`imported` integer DEFAULT 0 NOT NULL,
	`already_subscribed` integer DEFAULT 0 NOT NULL,
	`rejected_count` integer DEFAULT 0 NOT NULL,
	`rejected` text NOT NULL,
	`error` text,
	`actor_label` text NOT NULL,
	`started_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`finished_at` integer,
	FOREIGN KEY (`list_id`) REFERENCES `lists`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `subscriber_imports_list_id_idx` ON `subscriber_imports` (`list_id`,`started_at`);