CREATE TABLE `incident_changes` (
	`id` text PRIMARY KEY NOT NULL,
	`incident_id` text NOT NULL,
	`what` text NOT NULL,
	`target` text NOT NULL,
	`ran_at` integer NOT NULL,
	`ran_by_id` text NOT NULL,
	`reviewed_by_id` text,
	`backup_taken` integer NOT NULL,
	`records_touched` integer,
	`tried_on_sample` integer NOT NULL,
	`author_label` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `incident_changes_incident_id_idx` ON `incident_changes` (`incident_id`,`ran_at`);--> statement-breakpoint
CREATE TABLE `incident_decisions` (
	`id` text PRIMARY KEY NOT NULL,
	`incident_id` text NOT NULL,
	`decision` text NOT NULL,
	`why` text,
	`author_id` text,
	`author_label` text NOT NULL,
	`decided_at` integer NOT NULL,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `incident_decisions_incident_id_idx` ON `incident_decisions` (`incident_id`,`decided_at`);--> statement-breakpoint
CREATE TABLE `incident_facts` (
	`id` text PRIMARY KEY NOT NULL,
	`incident_id` text NOT NULL,
	`question` text NOT NULL,
	`answer` text NOT NULL,
	`author_id` text,
	`author_label` text NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `incident_facts_incident_id_idx` ON `incident_facts` (`incident_id`,`question`);--> statement-breakpoint
CREATE TABLE `action_items` (
	`id` text PRIMARY KEY NOT NULL,
	`incident_id` text NOT NULL,
	`title` text NOT NULL,
	`kind` text NOT NULL,
	`owner_id` text NOT NULL,
	`due_at` integer NOT NULL,
	`phase` text NOT NULL,
	`state` text DEFAULT 'open' NOT NULL,
	`state_reason` text,
	`closed_at` integer,
	`reminder_before_at` integer,
	`reminder_overdue_at` integer,
	`created_by_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `action_items_incident_id_idx` ON `action_items` (`incident_id`);--> statement-breakpoint
CREATE INDEX `action_items_state_idx` ON `action_items` (`state`,`due_at`);--> statement-breakpoint
CREATE TABLE `remediation_items` (
	`id` text PRIMARY KEY NOT NULL,
	`incident_id` text NOT NULL,
	`what` text NOT NULL,
	`affected` text NOT NULL,
	`priority` integer NOT NULL,
	`priority_set_by_id` text,
	`priority_set_by_label` text NOT NULL,
	`confirmed_by_id` text,
	`confirmed_by_label` text,
	`confirmed_at` integer,
	`owner_id` text,
	`state` text DEFAULT 'open' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `remediation_items_incident_id_idx` ON `remediation_items` (`incident_id`);--> statement-breakpoint
CREATE TABLE `postmortems` (
	`id` text PRIMARY KEY NOT NULL,
	`incident_id` text NOT NULL,
	`body` text NOT NULL,
	`author_label` text NOT NULL,
	`published_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `postmortems_incident_id_idx` ON `postmortems` (`incident_id`);--> statement-breakpoint
CREATE TABLE `follow_ups` (
	`id` text PRIMARY KEY NOT NULL,
	`incident_id` text NOT NULL,
	`body` text NOT NULL,
	`scheduled_for` integer NOT NULL,
	`state` text NOT NULL,
	`edited` integer DEFAULT false NOT NULL,
	`sent_at` integer,
	`broadcast_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `follow_ups_incident_id_idx` ON `follow_ups` (`incident_id`);--> statement-breakpoint
CREATE INDEX `follow_ups_state_idx` ON `follow_ups` (`state`,`scheduled_for`);--> statement-breakpoint
CREATE TABLE `look_backs` (
	`id` text PRIMARY KEY NOT NULL,
	`period_start` integer NOT NULL,
	`period_end` integer NOT NULL,
	`figures` text,
	`sent_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `look_backs_period_start_idx` ON `look_backs` (`period_start`);