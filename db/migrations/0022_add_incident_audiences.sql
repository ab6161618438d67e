CREATE TABLE `incident_audiences` (
	`incident_id` text NOT NULL,
	`audience_id` text NOT NULL,
	PRIMARY KEY(`incident_id`, `audience_id`),
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`audience_id`) REFERENCES `audiences`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `incident_audiences_audience_id_idx` ON `incident_audiences` (`audience_id`);--> statement-breakpoint
ALTER TABLE `incidents` ADD `audience_only` integer DEFAULT false NOT NULL;