import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { MAX_ATTACHMENT_BYTES } from '../domain/reports/inputs.ts';

/** A report's attachment as it arrived: on disk, never whole in memory while the body streams. */
export interface StagedAttachment {
  path: string;
  fileName: string;
  contentType: string;
  size: number;
}

/** What the report page reads instead of the multipart body. */
export interface StagedUpload {
  attachment: StagedAttachment | null;
  /** The file passed MAX_ATTACHMENT_BYTES; what came beyond it was dropped, not kept. */
  tooLarge: boolean;
}

export type UploadOutcome =
  | { ok: true; fields: URLSearchParams; upload: StagedUpload; cleanup: () => Promise<void> }
  | { ok: false; reason: 'csrf' | 'unreadable' };

/** Text fields of the report form are short; more of them than this is not the form. */
const MAX_FIELDS = 40;
const MAX_FIELD_BYTES = 64 * 1024;

/**
 * Reads a multipart report form from the socket as it arrives. The form token comes first (the
 * `X-CSRF-Token` header, or the first part, which the form puts before any other field): a body
 * without it is refused after its first part, so an anonymous client never makes Herald read
 * or keep a large body. The one file part streams to a temporary file and stops at
 * MAX_ATTACHMENT_BYTES; the text fields come back as a small urlencoded form for the page.
 */
export async function readReportUpload(
  incoming: IncomingMessage,
  csrfOk: (submitted: unknown) => boolean,
  headerToken: string | undefined,
): Promise<UploadOutcome> {
  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: incoming.headers,
      limits: {
        fields: MAX_FIELDS,
        fieldSize: MAX_FIELD_BYTES,
        files: 1,
        fileSize: MAX_ATTACHMENT_BYTES,
        parts: MAX_FIELDS + 1,
      },
    });
  } catch {
    return { ok: false, reason: 'unreadable' };
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'herald-upload-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  const fields = new URLSearchParams();
  const upload: StagedUpload = { attachment: null, tooLarge: false };
  let trusted = headerToken !== undefined && csrfOk(headerToken);
  let parts = 0;
  const writes: Promise<void>[] = [];

  const outcome = await new Promise<'done' | 'csrf' | 'unreadable'>((resolve) => {
    let settled = false;
    const stop = (why: 'csrf' | 'unreadable') => {
      if (settled) return;
      settled = true;
      incoming.unpipe(bb);
      // The rest of the body is read and dropped by Node once the answer is sent.
      incoming.resume();
      resolve(why);
    };
    const gate = (name: string, value?: string) => {
      parts++;
      if (trusted) return true;
      if (parts === 1 && name === '_csrf' && csrfOk(value)) {
        trusted = true;
        return true;
      }
      stop('csrf');
      return false;
    };
    bb.on('field', (name, value, info) => {
      if (!gate(name, value)) return;
      if (info.valueTruncated) return stop('unreadable');
      fields.append(name, value);
    });
    bb.on('file', (name, stream, info) => {
      if (!gate(name)) return void stream.resume();
      if (name !== 'attachment' || upload.attachment) return void stream.resume();
      const file = path.join(dir, 'attachment');
      const staged: StagedAttachment = {
        path: file,
        fileName: info.filename ?? '',
        contentType: info.mimeType,
        size: 0,
      };
      stream.on('limit', () => (upload.tooLarge = true));
      // Counted inside the pipeline (a 'data' listener would bypass the file's backpressure
      // and queue the whole upload in memory when the disk is slower than the network).
      const count = async function* (src: AsyncIterable<Buffer>) {
        for await (const chunk of src) {
          staged.size += chunk.length;
          yield chunk;
        }
      };
      writes.push(
        pipeline(stream, count, createWriteStream(file)).then(() => {
          if (staged.size > 0 && !upload.tooLarge) upload.attachment = staged;
        }),
      );
    });
    bb.on('filesLimit', () => stop('unreadable'));
    bb.on('fieldsLimit', () => stop('unreadable'));
    bb.on('partsLimit', () => stop('unreadable'));
    bb.on('error', () => stop('unreadable'));
    bb.on('close', () => {
      if (settled) return;
      settled = true;
      resolve('done');
    });
    incoming.pipe(bb);
  });
  try {
    await Promise.all(writes);
  } catch {
    await cleanup();
    return { ok: false, reason: 'unreadable' };
  }
  if (outcome !== 'done') {
    await cleanup();
    return { ok: false, reason: outcome };
  }
  if (!trusted) {
    await cleanup();
    return { ok: false, reason: 'csrf' };
  }
  return { ok: true, fields, upload, cleanup };
}

/**
 * At most this many report bodies stream in at once per process; another one is asked to come
 * back in a few seconds (503) before a byte of it is read. Reports are rare; a burst is not.
 */
export class UploadSlots {
  private used = 0;
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  take(): (() => void) | null {
    if (this.used >= this.max) return null;
    this.used++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used--;
    };
  }
}
