ALTER TABLE `settings` ADD `default_language` text DEFAULT 'en' NOT NULL;--> statement-breakpoint
ALTER TABLE `settings` ADD `translation_languages` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `incidents` ADD `promise_late_at` integer;--> statement-breakpoint
ALTER TABLE `incident_updates` ADD `translations` text;--> statement-breakpoint
ALTER TABLE `lists` ADD `subjects_in_english` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `lists` ADD `subject_update` text;--> statement-breakpoint
ALTER TABLE `lists` ADD `subject_resolved` text;--> statement-breakpoint
ALTER TABLE `subscribers` ADD `language` text DEFAULT 'en' NOT NULL;--> statement-breakpoint
ALTER TABLE `on_duty_users` ADD `by_default` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `follow_ups` ADD `reply_to` text;