// The browser app (issue 12 on): one Vite build, one entry per app. `rider/` is the riders' PWA (Vant);
// the staff console (issue 14) will be a second entry beside it. Built into dist/web, which the Gridline
// server serves (src/http/web.ts). `npm run build:web` builds it; `npm start` and `npm test` run that.

import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';
import { entrySizes, noRemoteFonts, precompress, riderPwa } from './build/plugins.js';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  // The rider's budget is counted in gzipped bytes of JavaScript (entrySizes): no dev-only code in it.
  define: {
    __VUE_OPTIONS_API__: 'true',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
    __INTLIFY_JIT_COMPILATION__: 'true',
    __INTLIFY_DROP_MESSAGE_COMPILER__: 'false',
  },
  plugins: [vue(), noRemoteFonts(), riderPwa(), precompress(), entrySizes({ limits: { rider: 150 * 1024 } })],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2020',
    // Photos and fonts stay files (cacheable, loaded when needed), never inlined into the JavaScript.
    assetsInlineLimit: 0,
    rollupOptions: { input: { rider: `${here}rider/index.html` } },
  },
});
