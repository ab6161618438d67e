CREATE TABLE `import_mappings` (
	`source` text NOT NULL,
	`kind` text NOT NULL,
	`source_id` text NOT NULL,
	`herald_id` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `import_mappings_source_idx` ON `import_mappings` (`source`,`kind`,`source_id`);