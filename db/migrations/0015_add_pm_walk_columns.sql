ALTER TABLE `incidents` ADD `promise_late_at` integer;--> statement-breakpoint
ALTER TABLE `lists` ADD `subject_update` text;--> statement-breakpoint
ALTER TABLE `lists` ADD `subject_resolved` text;--> statement-breakpoint
ALTER TABLE `on_duty_users` ADD `by_default` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `follow_ups` ADD `reply_to` text;