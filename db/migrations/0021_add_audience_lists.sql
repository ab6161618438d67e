ALTER TABLE `lists` ADD `audience_id` text REFERENCES audiences(id);--> statement-breakpoint
CREATE INDEX `lists_audience_id_idx` ON `lists` (`audience_id`);