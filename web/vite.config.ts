import { defineConfig } from 'vite';

/** Builds the dashboard into dist/web, where `ktrdr serve` serves it from (see src/api/dashboard.ts). */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  // Preact's JSX runtime, through Vite's own transformer (no framework plugin needed).
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    // The page's Content-Security-Policy allows no inline script; the preload polyfill would be one.
    modulePreload: { polyfill: false },
    // Keep small assets as files: the policy allows data: images only, and hashed files cache for good.
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
});
