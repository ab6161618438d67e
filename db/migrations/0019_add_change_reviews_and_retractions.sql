ALTER TABLE `incident_changes` ADD `review_state` text DEFAULT 'requested' NOT NULL;--> statement-breakpoint
ALTER TABLE `incident_changes` ADD `review_reason` text;--> statement-breakpoint
ALTER TABLE `incident_changes` ADD `reviewed_at` integer;--> statement-breakpoint
ALTER TABLE `incident_decisions` ADD `retracted_at` integer;--> statement-breakpoint
ALTER TABLE `incident_decisions` ADD `retracted_by_label` text;--> statement-breakpoint
ALTER TABLE `incident_decisions` ADD `retract_reason` text;--> statement-breakpoint
ALTER TABLE `incident_facts` ADD `at` integer;