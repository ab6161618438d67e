import { index, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { audiences } from './audiences.ts';
import { incidents } from './incidents.ts';

/** The named audiences an audience-only incident (`incidents.audience_only`) is shown to. */
export const incidentAudiences = sqliteTable(
  'incident_audiences',
  {
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    audienceId: text('audience_id')
      .notNull()
      .references(() => audiences.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ columns: [t.incidentId, t.audienceId] }),
    index('incident_audiences_audience_id_idx').on(t.audienceId),
  ],
);
