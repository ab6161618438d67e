import type { AttachmentType } from '../../../db/schema/report-attachments.ts';
import { ValidationError } from '../shared/errors.ts';
import { type AttachmentInput, MAX_ATTACHMENT_BYTES } from './inputs.ts';

// The declared type comes from the reporter's browser and proves nothing: the first bytes must
// carry the format's own signature (PNG and PDF by their specifications, JPEG by its SOI marker
// followed by another marker).
const signatures: Record<AttachmentType, number[]> = {
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  'image/jpeg': [0xff, 0xd8, 0xff],
  'application/pdf': [0x25, 0x50, 0x44, 0x46, 0x2d],
};

const refuse = (message: string) => new ValidationError(message, { attachment: message });

/** The attachment's checked type, or a ValidationError naming what is wrong with it. */
export function checkAttachment(a: AttachmentInput): AttachmentType {
  if (a.bytes.length > MAX_ATTACHMENT_BYTES)
    throw refuse(
      `The attachment is over the 5 MB limit (${a.bytes.length.toLocaleString('en')} bytes). Attach a smaller screenshot or paste a link instead.`,
    );
  const type = (Object.keys(signatures) as AttachmentType[]).find((t) => t === a.contentType);
  if (!type) throw refuse('Attach a PNG or JPEG screenshot or a PDF; other files are not taken.');
  const sig = signatures[type];
  if (a.bytes.length < sig.length || sig.some((b, i) => a.bytes[i] !== b))
    throw refuse(
      `The attachment says it is ${type} but its content is not: attach the real screenshot (PNG, JPEG or PDF).`,
    );
  return type;
}

const extensions: Record<AttachmentType, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'application/pdf': 'pdf',
};

/**
 * The name an attachment downloads under: from the report and the checked type, never from the
 * upload. A file that passed as PNG but was named `evil.html` must not be saved as HTML (the
 * browser would then open it as a page from the disk).
 */
export function attachmentDownloadName(reportId: string, contentType: string): string {
  const ext = extensions[contentType as AttachmentType] ?? 'bin';
  return `report-${reportId.replace(/[^A-Za-z0-9]/g, '')}-1.${ext}`;
}
