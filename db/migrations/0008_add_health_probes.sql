CREATE TABLE `health_probes` (
	`id` integer PRIMARY KEY NOT NULL,
	`probes` integer DEFAULT 0 NOT NULL,
	`probed_at` integer NOT NULL
);
