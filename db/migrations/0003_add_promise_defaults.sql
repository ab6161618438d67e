ALTER TABLE `settings` ADD `promise_minutes_p0` integer DEFAULT 15 NOT NULL;--> statement-breakpoint
ALTER TABLE `settings` ADD `promise_minutes_p1` integer DEFAULT 30 NOT NULL;--> statement-breakpoint
ALTER TABLE `settings` ADD `promise_minutes_p2` integer;--> statement-breakpoint
ALTER TABLE `settings` ADD `promise_minutes_p3` integer;