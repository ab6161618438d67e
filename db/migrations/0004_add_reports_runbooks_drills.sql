CREATE TABLE `reports` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`state` text DEFAULT 'open' NOT NULL,
	`reporter_email` text NOT NULL,
	`reporter_user_id` text,
	`what_happened` text NOT NULL,
	`expected` text NOT NULL,
	`reproduce` text NOT NULL,
	`affected` text NOT NULL,
	`started_when` text NOT NULL,
	`component_ids` text,
	`reported_priority` integer NOT NULL,
	`priority` integer NOT NULL,
	`status_token_hash` text NOT NULL,
	`incident_id` text,
	`close_reason` text,
	`decided_at` integer,
	`reminder_sent_at` integer,
	`overdue_escalated_at` integer,
	`reporter_escalated_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `reports_state_idx` ON `reports` (`state`,`created_at`);--> statement-breakpoint
CREATE INDEX `reports_status_token_hash_idx` ON `reports` (`status_token_hash`);--> statement-breakpoint
CREATE INDEX `reports_reporter_email_idx` ON `reports` (`reporter_email`,`created_at`);--> statement-breakpoint
CREATE TABLE `report_events` (
	`id` text PRIMARY KEY NOT NULL,
	`report_id` text NOT NULL,
	`action` text NOT NULL,
	`priority` integer,
	`reason` text,
	`incident_id` text,
	`actor_label` text NOT NULL,
	`at` integer NOT NULL,
	FOREIGN KEY (`report_id`) REFERENCES `reports`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `report_events_report_id_idx` ON `report_events` (`report_id`,`at`);--> statement-breakpoint
CREATE TABLE `report_attachments` (
	`id` text PRIMARY KEY NOT NULL,
	`report_id` text NOT NULL,
	`file_name` text NOT NULL,
	`content_type` text NOT NULL,
	`size` integer NOT NULL,
	`data` blob NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`report_id`) REFERENCES `reports`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `report_attachments_report_id_idx` ON `report_attachments` (`report_id`);--> statement-breakpoint
CREATE TABLE `report_links` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`token_hash` text NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`report_id` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `report_links_token_hash_idx` ON `report_links` (`token_hash`);--> statement-breakpoint
CREATE INDEX `report_links_email_idx` ON `report_links` (`email`,`created_at`);--> statement-breakpoint
CREATE TABLE `report_update_notices` (
	`report_id` text NOT NULL,
	`update_id` text NOT NULL,
	`queued_at` integer NOT NULL,
	PRIMARY KEY(`report_id`, `update_id`)
);
--> statement-breakpoint
CREATE TABLE `on_duty_users` (
	`user_id` text PRIMARY KEY NOT NULL,
	`since` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `runbooks` (
	`component_id` text PRIMARY KEY NOT NULL,
	`body` text NOT NULL,
	`last_reviewed_at` integer NOT NULL,
	`last_edited_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`component_id`) REFERENCES `components`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `runbook_revisions` (
	`id` text PRIMARY KEY NOT NULL,
	`component_id` text NOT NULL,
	`body` text NOT NULL,
	`edited_by` text NOT NULL,
	`at` integer NOT NULL,
	FOREIGN KEY (`component_id`) REFERENCES `components`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `runbook_revisions_component_id_idx` ON `runbook_revisions` (`component_id`,`at`);--> statement-breakpoint
CREATE TABLE `incident_support_scripts` (
	`incident_id` text PRIMARY KEY NOT NULL,
	`body` text NOT NULL,
	`updated_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `drills` (
	`id` text PRIMARY KEY NOT NULL,
	`scenario` text NOT NULL,
	`title` text NOT NULL,
	`priority` integer NOT NULL,
	`component_ids` text NOT NULL,
	`participant_ids` text NOT NULL,
	`scheduled_for` integer NOT NULL,
	`state` text DEFAULT 'scheduled' NOT NULL,
	`incident_id` text,
	`last_error` text,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `drills_state_idx` ON `drills` (`state`,`scheduled_for`);--> statement-breakpoint
ALTER TABLE `settings` ADD `triage_minutes_p0` integer DEFAULT 15 NOT NULL;--> statement-breakpoint
ALTER TABLE `settings` ADD `triage_minutes_p1` integer DEFAULT 30 NOT NULL;--> statement-breakpoint
ALTER TABLE `settings` ADD `p1_budget_per_week` integer DEFAULT 3 NOT NULL;--> statement-breakpoint
ALTER TABLE `settings` ADD `final_authority_user_id` text;