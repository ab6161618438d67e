CREATE TABLE `alert_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`position` integer NOT NULL,
	`name` text NOT NULL,
	`matchers` text NOT NULL,
	`component_id` text,
	`priority` integer NOT NULL,
	`set_status` text,
	`declare` integer DEFAULT false NOT NULL,
	`incident_title` text,
	`incident_body` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `alert_rules_position_idx` ON `alert_rules` (`position`);--> statement-breakpoint
CREATE TABLE `report_alerts` (
	`report_id` text NOT NULL,
	`fingerprint` text NOT NULL,
	`status` text NOT NULL,
	`title` text NOT NULL,
	`labels` text NOT NULL,
	`annotations` text NOT NULL,
	`link` text,
	`starts_at` integer,
	`ends_at` integer,
	`first_seen_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	PRIMARY KEY(`report_id`, `fingerprint`),
	FOREIGN KEY (`report_id`) REFERENCES `reports`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `report_alerts_fingerprint_idx` ON `report_alerts` (`fingerprint`);--> statement-breakpoint
ALTER TABLE `reports` ADD `alert_source` text;--> statement-breakpoint
ALTER TABLE `reports` ADD `alert_key` text;--> statement-breakpoint
ALTER TABLE `reports` ADD `alert_link` text;--> statement-breakpoint
ALTER TABLE `reports` ADD `alert_labels` text;--> statement-breakpoint
ALTER TABLE `reports` ADD `alert_payload` text;--> statement-breakpoint
ALTER TABLE `reports` ADD `alert_first_seen_at` integer;--> statement-breakpoint
ALTER TABLE `reports` ADD `alert_last_seen_at` integer;--> statement-breakpoint
ALTER TABLE `reports` ADD `alert_notices` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `reports` ADD `alert_resolved_at` integer;--> statement-breakpoint
ALTER TABLE `reports` ADD `alert_rule_id` text;--> statement-breakpoint
ALTER TABLE `reports` ADD `alert_component_id` text;--> statement-breakpoint
ALTER TABLE `reports` ADD `alert_status_set` text;--> statement-breakpoint
ALTER TABLE `reports` ADD `alert_status_before` text;--> statement-breakpoint
ALTER TABLE `reports` ADD `alert_declaring_at` integer;--> statement-breakpoint
CREATE INDEX `reports_alert_key_idx` ON `reports` (`alert_source`,`alert_key`);