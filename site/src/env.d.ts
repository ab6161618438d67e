/// <reference types="astro/client" />

declare namespace App {
  interface Locals {
    herald: import('../../server/site-locals.ts').SiteLocals;
  }
}
