import node from '@astrojs/node';
import { defineConfig } from 'astro/config';

// Astro renders Herald's pages inside the Hono process (server/site.ts mounts the built
// handler). Stylesheets are always external files so the CSP needs no 'unsafe-inline'.
export default defineConfig({
  output: 'server',
  adapter: node({ mode: 'middleware' }),
  build: { inlineStylesheets: 'never' },
  compressHTML: true,
  devToolbar: { enabled: false },
  // Herald checks Origin itself (server/site.ts, accepting PUBLIC_URL's origin, which Astro
  // cannot know behind a TLS-terminating proxy) plus a CSRF token on every form POST
  // (site/src/middleware.ts). Astro's own check would refuse every form behind such a proxy.
  security: { checkOrigin: false },
});
