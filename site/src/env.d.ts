/// <reference types="astro/client" />

declare namespace App {
  interface Locals {
    herald: import('../../server/web/locals.ts').SiteLocals;
  }
}
