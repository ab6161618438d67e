-- Published post-mortems keep their text as the public part, unchanged. A draft was never
-- published and may hold the internal record ("Start from the timeline" put it in one body),
-- so it moves to the internal part: nothing becomes public unless someone writes it there.
UPDATE `postmortems` SET `internal_body` = `body`, `body` = '' WHERE `published_at` IS NULL;
