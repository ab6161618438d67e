CREATE TABLE `edge_purges` (
	`id` text PRIMARY KEY NOT NULL,
	`keys` text NOT NULL,
	`targets` text,
	`state` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`claimed_until` integer,
	`last_error` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `edge_purges_state_idx` ON `edge_purges` (`state`,`next_attempt_at`);