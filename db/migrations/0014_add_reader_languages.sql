ALTER TABLE `settings` ADD `default_language` text DEFAULT 'en' NOT NULL;--> statement-breakpoint
ALTER TABLE `settings` ADD `translation_languages` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `incident_updates` ADD `translations` text;--> statement-breakpoint
ALTER TABLE `lists` ADD `subjects_in_english` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `subscribers` ADD `language` text DEFAULT 'en' NOT NULL;