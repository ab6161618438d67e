ALTER TABLE `reports` ADD `language` text;--> statement-breakpoint
ALTER TABLE `report_links` ADD `language` text;