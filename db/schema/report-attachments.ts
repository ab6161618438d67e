import { blob, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { reports } from './reports.ts';

export const attachmentTypes = ['image/png', 'image/jpeg', 'application/pdf'] as const;
export type AttachmentType = (typeof attachmentTypes)[number];

/** A report's screenshot, kept in the database so every Herald process can serve it. */
export const reportAttachments = sqliteTable(
  'report_attachments',
  {
    id: text('id').primaryKey(),
    reportId: text('report_id')
      .notNull()
      .references(() => reports.id, { onDelete: 'cascade' }),
    fileName: text('file_name').notNull(),
    contentType: text('content_type', { enum: attachmentTypes }).notNull(),
    size: integer('size').notNull(),
    data: blob('data', { mode: 'buffer' }).notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('report_attachments_report_id_idx').on(t.reportId)],
);
