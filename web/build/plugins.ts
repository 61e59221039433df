// Build steps of the browser app that no stock plugin does the way riders need:
//  - riderPwa: the rider's web manifest, its icons (drawn from one SVG with sharp) and its own service
//    worker (web/rider/sw.ts, built into one classic script), whose precache list is exactly the rider's
//    shell (its HTML, the JavaScript and CSS its entry loads statically, and what the report screen loads
//    after it), never the console's or another screen's;
//  - languageFiles: the addresses of the language files written into the rider's page, which preloads
//    the rider's own;
//  - precompress: a .br and a .gz beside every text file, so the server answers compressed bytes without
//    compressing on each request (src/http/web.ts picks the one the browser accepts);
//  - entrySizes: each entry's JavaScript, raw and gzipped, printed after every build and written to
//    sizes.json, where a test holds the rider under its budget;
//  - precompileMessages: the locale files' messages compiled at build time (vue-i18n's message format to
//    its AST), so the app ships vue-i18n without its message compiler and a broken message fails the build.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { baseCompile } from '@intlify/message-compiler';
import sharp from 'sharp';
import { build, transformWithOxc, type Plugin, type ResolvedConfig, type Rollup } from 'vite';

type OutputBundle = Rollup.OutputBundle;
type OutputChunk = Rollup.OutputChunk;

const isChunk = (item: OutputBundle[string]): item is OutputChunk => item.type === 'chunk';

/** The files some chunks need before they run: the chunks, the chunks they import statically, their CSS. */
export function chunkClosure(bundle: OutputBundle, roots: OutputChunk[]): { js: string[]; css: string[] } {
  const js = new Set<string>();
  const css = new Set<string>();
  const visit = (file: string) => {
    if (js.has(file)) return;
    const chunk = bundle[file];
    if (!chunk || !isChunk(chunk)) return;
    // A chunk of CSS alone (icons.ts) is no file of its own: Vite drops its empty JavaScript.
    if (chunk.code.replace(/\/\*[\s\S]*?\*\//g, '').trim() !== '') js.add(file);
    for (const c of (chunk as OutputChunk & { viteMetadata?: { importedCss: Set<string> } }).viteMetadata?.importedCss ?? []) css.add(c);
    for (const imported of chunk.imports) visit(imported);
  };
  for (const root of roots) visit(root.fileName);
  return { js: [...js], css: [...css] };
}

/** An entry's own chunk, by the entry's name. */
const entryChunk = (bundle: OutputBundle, name: string): OutputChunk | undefined => Object.values(bundle).find((item): item is OutputChunk => isChunk(item) && item.isEntry && item.name === name);

/** The files an entry loads before it runs. */
export function entryClosure(bundle: OutputBundle, name: string): { js: string[]; css: string[] } {
  const entry = entryChunk(bundle, name);
  return entry ? chunkClosure(bundle, [entry]) : { js: [], css: [] };
}

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">
  <rect width="512" height="512" rx="96" fill="#c8102e"/>
  <circle cx="256" cy="232" r="112" fill="none" stroke="#fff" stroke-width="36"/>
  <circle cx="256" cy="232" r="40" fill="#fff"/>
  <path d="M256 344 L256 440 M200 400 L312 400" stroke="#fff" stroke-width="36" stroke-linecap="round"/>
</svg>`;

/** The rider's manifest, icons and service worker (served at /rider/sw.js, so its scope is /rider/). */
export function riderPwa(options: { serviceWorker: string; keep: RegExp }): Plugin {
  return {
    name: 'gridline-rider-pwa',
    apply: 'build',
    async generateBundle(_options, bundle) {
      const icons = await Promise.all(
        [192, 512].map(async (size) => {
          const fileName = `rider/icon-${size}.png`;
          this.emitFile({ type: 'asset', fileName, source: await sharp(Buffer.from(ICON_SVG)).resize(size, size).png().toBuffer() });
          return { src: `/${fileName}`, sizes: `${size}x${size}`, type: 'image/png', purpose: 'any maskable' };
        }),
      );
      const manifest = {
        name: '纳金小哥 随手拍 · Gridline',
        short_name: '随手拍',
        description: '随手拍、随手报: 发现问题，拍照上报',
        lang: 'zh-CN',
        start_url: '/rider/',
        scope: '/rider/',
        display: 'standalone',
        orientation: 'portrait',
        background_color: '#ffffff',
        theme_color: '#c8102e',
        icons,
      };
      this.emitFile({ type: 'asset', fileName: 'rider/manifest.webmanifest', source: JSON.stringify(manifest, null, 2) });

      // The entry, and what the report screen loads once it is on screen or when asked (the map, the toast,
      // the icon font, the languages): all of it works without signal from the first visit on.
      const entry = entryChunk(bundle, 'rider');
      const later = Object.values(bundle).filter((item): item is OutputChunk => isChunk(item) && options.keep.test(item.facadeModuleId ?? ''));
      if (!entry) return this.error('the rider entry is not in the build');
      const { js, css } = chunkClosure(bundle, [entry, ...later]);
      const shell = ['/rider/', ...[...js, ...css].map((f) => `/${f}`), '/rider/manifest.webmanifest', ...icons.map((i) => i.src)];
      const version = createHash('sha256').update(shell.join('\n')).update(js.map((f) => (bundle[f] as OutputChunk).code).join('')).digest('hex').slice(0, 16);
      this.emitFile({ type: 'asset', fileName: 'rider/sw.js', source: await buildServiceWorker(options.serviceWorker, { __SW_VERSION__: JSON.stringify(version), __SW_SHELL__: JSON.stringify(shell) }) });
    },
  };
}

/**
 * A service worker as one classic script (module workers are not everywhere yet), built on its own from
 * TypeScript: it shares the app's modules (the queue's sending) without sharing its chunks.
 */
async function buildServiceWorker(entry: string, define: Record<string, string>): Promise<string> {
  const output = await build({
    configFile: false,
    logLevel: 'warn',
    define,
    build: {
      write: false,
      target: 'es2020',
      minify: true,
      lib: { entry, formats: ['iife'], name: 'gridlineServiceWorker', fileName: () => 'sw.js' },
    },
  });
  const chunks = (Array.isArray(output) ? output : [output]).flatMap((o) => ('output' in o ? o.output : [])).filter((item) => item.type === 'chunk');
  if (chunks.length !== 1) throw new Error(`the service worker built into ${chunks.length} files; it must be one`);
  return chunks[0]!.code;
}

type Messages = { [key: string]: string | Messages };

/** Every message of a locale tree compiled to vue-i18n's AST; a message that does not parse is an error naming its key. */
export function compileMessages(messages: Messages, path: string[] = []): Record<string, unknown> {
  const compiled: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(messages)) {
    const at = [...path, key];
    if (typeof value !== 'string') {
      compiled[key] = compileMessages(value, at);
      continue;
    }
    const { ast } = baseCompile(value, {
      jit: true,
      location: false,
      minify: true,
      onError: (error) => {
        throw new Error(`message ${at.join('.')} (${JSON.stringify(value)}): ${error.message}`);
      },
    });
    compiled[key] = ast;
  }
  return compiled;
}

/**
 * The locale files (`include`: TypeScript modules whose default export is the message tree) become their
 * compiled trees. vue-i18n then formats them without its compiler (`__INTLIFY_DROP_MESSAGE_COMPILER__`
 * and the runtime build in vite.config.ts): 7 KB less JavaScript, and no compiling on a slow phone.
 */
export function precompileMessages(options: { include: RegExp }): Plugin {
  return {
    name: 'gridline-precompile-messages',
    enforce: 'pre',
    async load(id) {
      if (!options.include.test(id)) return null;
      const source = readFileSync(id, 'utf8');
      const { code } = await transformWithOxc(source, id, { lang: 'ts' });
      const module = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as { default: Messages };
      try {
        return `export default ${JSON.stringify(compileMessages(module.default))};\n`;
      } catch (error) {
        this.error(`${id}: ${(error as Error).message}`);
      }
    },
  };
}

/**
 * The rider's page learns where the language files are (`/* gridline:languages *\/` in its inline script
 * becomes `{"en": "/assets/en-….js", …}`), so it can preload the rider's language with the app's code
 * rather than after it: one round trip less for an English or Tibetan rider.
 */
export function languageFiles(options: { page: string; include: RegExp }): Plugin {
  return {
    name: 'gridline-language-files',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const page = bundle[options.page];
      if (!page || page.type !== 'asset') return this.error(`${options.page} is not in the build`);
      const files: Record<string, string> = {};
      for (const item of Object.values(bundle)) {
        const match = isChunk(item) ? options.include.exec(item.facadeModuleId ?? '') : null;
        if (match) files[match[1]!] = `/${item.fileName}`;
      }
      const html = String(page.source);
      const marker = '{} /* gridline:languages */';
      if (!html.includes(marker)) return this.error(`${options.page} has no ${marker} to fill in`);
      page.source = html.replace(marker, JSON.stringify(files));
    },
  };
}

/**
 * No request leaves for another site: Vant's icon font names a copy on a CDN (at.alicdn.com) after its
 * inlined one. The CSP would block it anyway (with a console error on every page); this takes it out, so the
 * inlined font is the only source.
 */
export function noRemoteFonts(): Plugin {
  return {
    name: 'gridline-no-remote-fonts',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const item of Object.values(bundle)) {
        if (item.type !== 'asset' || !item.fileName.endsWith('.css')) continue;
        const css = String(item.source);
        const cleaned = css.replace(/,\s*url\((?:https?:)?\/\/[^)]+\)\s*format\("[^"]+"\)/g, '');
        if (/url\((?:https?:)?\/\//.test(cleaned)) this.error(`${item.fileName} still loads something from another site`);
        item.source = cleaned;
      }
    },
  };
}

const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|webmanifest|txt)$/;

/** A .br and a .gz beside every text file above 512 bytes. */
export function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'gridline-precompress',
    apply: 'build',
    configResolved(config: ResolvedConfig) {
      outDir = config.build.outDir;
    },
    writeBundle(_options, bundle) {
      for (const fileName of Object.keys(bundle)) {
        if (!COMPRESSIBLE.test(fileName)) continue;
        const path = join(outDir, fileName);
        const bytes = readFileSync(path);
        if (bytes.length < 512) continue;
        writeFileSync(`${path}.gz`, gzipSync(bytes, { level: 9 }));
        writeFileSync(`${path}.br`, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }));
      }
    },
  };
}

export interface EntrySize {
  /** The entry's statically loaded JavaScript files. */
  files: string[];
  jsBytes: number;
  jsGzipBytes: number;
  cssGzipBytes: number;
  /** The budget for jsGzipBytes, if the entry has one. */
  limit: number | null;
}

/** Print each entry's JavaScript, raw and gzipped, and write sizes.json beside the build. */
export function entrySizes(options: { limits: Record<string, number> }): Plugin {
  let outDir = '';
  return {
    name: 'gridline-entry-sizes',
    apply: 'build',
    configResolved(config: ResolvedConfig) {
      outDir = config.build.outDir;
    },
    writeBundle(_options, bundle) {
      const sizes: Record<string, EntrySize> = {};
      const gz = (source: string | Uint8Array) => gzipSync(source, { level: 9 }).length;
      for (const item of Object.values(bundle)) {
        if (!isChunk(item) || !item.isEntry) continue;
        const { js, css } = entryClosure(bundle, item.name);
        const code = js.map((f) => (bundle[f] as OutputChunk).code);
        const styles = css.map((f) => {
          const asset = bundle[f];
          return asset && asset.type === 'asset' ? asset.source : '';
        });
        sizes[item.name] = {
          files: js,
          jsBytes: code.reduce((n, c) => n + Buffer.byteLength(c), 0),
          jsGzipBytes: code.reduce((n, c) => n + gz(c), 0),
          cssGzipBytes: styles.reduce((n, s) => n + gz(s), 0),
          limit: options.limits[item.name] ?? null,
        };
      }
      mkdirSync(dirname(join(outDir, 'sizes.json')), { recursive: true });
      writeFileSync(join(outDir, 'sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
      const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
      for (const [name, s] of Object.entries(sizes)) {
        const over = s.limit !== null && s.jsGzipBytes > s.limit;
        console.log(`entry ${name}: JavaScript ${kb(s.jsBytes)}, ${kb(s.jsGzipBytes)} gzipped${s.limit !== null ? ` (limit ${kb(s.limit)}${over ? ', OVER' : ''})` : ''}; CSS ${kb(s.cssGzipBytes)} gzipped; ${s.files.length} file(s)`);
      }
    },
  };
}
