// The console's build: vite bundles src/ into OUT (CONSOLE_OUT, default dist/)
// as index.html and assets/NAME-HASH.{js,css}; scripts/manifest.mjs then lists
// them in OUT/MANIFEST, the only files apweb serves (appliance/ap_webstatic.h).
// No inline script or style is emitted (apweb's Content-Security-Policy
// forbids both), and no module preload polyfill is inlined.
import { defineConfig } from 'vite';
import { resolve } from 'node:path';

export default defineConfig({
  base: '/',
  esbuild: {
    jsxFactory: 'h',
    jsxFragment: 'Fragment',
    jsxInject: `import { h, Fragment } from 'preact'`,
  },
  build: {
    outDir: resolve(process.env.CONSOLE_OUT || 'dist'),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: true,
    chunkSizeWarningLimit: 200,
  },
});
