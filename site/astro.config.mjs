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
});
