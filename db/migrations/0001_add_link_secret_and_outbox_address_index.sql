ALTER TABLE `settings` ADD `link_secret` text;--> statement-breakpoint
CREATE INDEX `outbox_messages_to_address_idx` ON `outbox_messages` (`to_address`,`created_at`);