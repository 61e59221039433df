// The browser app (issue 12 on): one Vite build, one entry per app. `rider/` is the riders' PWA (Vant);
// the staff console (issue 14) will be a second entry beside it. Built into dist/web, which the Gridline
// server serves (src/http/web.ts). `npm run build:web` builds it; `npm start` and `npm test` run that.

import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';
import { entrySizes, languageFiles, noRemoteFonts, precompileMessages, precompress, riderPwa } from './build/plugins.js';

const LOCALES = /\/web\/shared\/locales\/([\w-]+)\.ts$/;
/** What the rider's report screen loads after its first paint, which its service worker keeps too. */
const RIDER_LATER = /\/web\/(?:shared\/locales\/[\w-]+\.ts|rider\/toast\.ts|rider\/icons\.ts|rider\/views\/MapPicker\.vue)$/;

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  // The rider's budget is counted in gzipped bytes of JavaScript (entrySizes): no dev-only code in it.
  // Every component is <script setup> (Vant's too): no Options API. vue-i18n in its
  // composition mode, without its legacy API or message compiler (the messages are compiled at build).
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    __VUE_I18N_LEGACY_API__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
    __INTLIFY_JIT_COMPILATION__: 'true',
    __INTLIFY_DROP_MESSAGE_COMPILER__: 'true',
  },
  resolve: { alias: { 'vue-i18n': 'vue-i18n/dist/vue-i18n.runtime.mjs' } },
  plugins: [precompileMessages({ include: LOCALES }), vue(), noRemoteFonts(), languageFiles({ page: 'rider/index.html', include: LOCALES }), riderPwa({ serviceWorker: `${here}rider/sw.ts`, keep: RIDER_LATER }), precompress(), entrySizes({ limits: { rider: 150 * 1024 } })],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2020',
    // Photos and fonts stay files (cacheable, loaded when needed), never inlined into the JavaScript.
    assetsInlineLimit: 0,
    rolldownOptions: {
      input: { rider: `${here}rider/index.html` },
      // What the rider's entry loads before it runs is one file: the browser opens six connections to a
      // server, and on a slow signal each further file costs a round trip (the categories waited for one).
      output: { codeSplitting: { groups: [{ name: 'rider', tags: ['$initial'] }] } },
    },
  },
});
