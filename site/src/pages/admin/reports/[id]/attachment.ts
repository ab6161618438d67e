import type { APIRoute } from 'astro';

// A report's screenshot, for signed-in staff only (every /admin path needs a session). Served
// as a download with its checked type and a name made from it (never the uploaded name), never
// sniffed or rendered inline as HTML.
export const GET: APIRoute = async ({ params, locals }) => {
  const admin = locals.herald.admin;
  const file = admin ? await admin.reports.attachment(params.id ?? '') : null;
  if (!file) return new Response('No attachment', { status: 404 });
  return new Response(new Uint8Array(file.data), {
    headers: {
      'content-type': file.contentType,
      'content-length': String(file.size),
      'content-disposition': `attachment; filename="${file.downloadName}"`,
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, no-store',
    },
  });
};
