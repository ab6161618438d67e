DROP INDEX `subscribers_id_list_state_idx`;--> statement-breakpoint
CREATE INDEX `subscribers_id_list_state_confirmed_at_idx` ON `subscribers` (`id`,`list_id`,`state`,`confirmed_at`);--> statement-breakpoint
ALTER TABLE `broadcasts` ADD `fill_after` text;--> statement-breakpoint
ALTER TABLE `broadcasts` ADD `filled` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `broadcasts` ADD `fill_list_ids` text;--> statement-breakpoint
ALTER TABLE `broadcasts` ADD `fill_component_ids` text;--> statement-breakpoint
CREATE INDEX `broadcasts_fill_after_idx` ON `broadcasts` (`fill_after`) WHERE fill_after IS NOT NULL;