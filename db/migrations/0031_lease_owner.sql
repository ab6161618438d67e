ALTER TABLE `deliveries` ADD `lease_owner` text;--> statement-breakpoint
ALTER TABLE `outbox_messages` ADD `lease_owner` text;--> statement-breakpoint
ALTER TABLE `webhook_deliveries` ADD `lease_owner` text;