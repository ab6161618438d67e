ALTER TABLE `deliveries` ADD `last_error_at` integer;--> statement-breakpoint
ALTER TABLE `outbox_messages` ADD `last_error_at` integer;