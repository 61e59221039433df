// Media benchmark: how fast a 12-megapixel phone photo becomes its copies, and how much memory the real
// server needs while 20 such uploads arrive at once.
//
// The photos are synthetic and deterministic: 4000 × 3000 JPEGs at quality 90, about 3 MB each like a
// phone's, with smooth colour fields plus sensor-like noise (so they compress like a photo, not like a flat
// test card), EXIF DateTimeOriginal/OffsetTimeOriginal and GPS; every fourth one portrait (EXIF Orientation
// 6, as phones store it) and every fourth one with a Display P3 ICC profile (as iPhones write it). Every
// photo's pixels differ, so no two uploads share a SHA-256.
//
// 1. Throughput. processMedia (sniff, header and pixel check, EXIF, one shrink-on-load decode to display
//    size, WebP display and thumbnail) is timed per photo over the 20 photos, one at a time and then with 2
//    in flight. The baseline, on a prefix of the same photos, is the pipeline a developer writes first: a
//    full-size `rotate().webp()` and a `rotate().resize(320, 320, { fit: 'inside' }).webp()` from the
//    original, sharp's defaults, both at once. Every copy is checked (upright, display <= 1600 px, thumb
//    <= 320 px, the capture time and place read back) before a rate is reported.
// 2. Server memory. The real server (`gridline serve`, as compiled into dist-bench by tsconfig.bench.json,
//    so no separate `npm run build` is needed) runs as a child process on a free port with a temporary
//    SQLite database and media directory. A reporter is created with the CLI and logs in; then 20 distinct
//    photos are POSTed at once to /api/v1/media over real HTTP. The child's VmRSS is sampled every 20 ms
//    from /proc/<pid>/status and its VmHWM (peak, reset just before the burst) read at the end. This runs
//    with the default MEDIA_CONCURRENCY (the cores: the media limiter) and, as the baseline, with
//    MEDIA_CONCURRENCY=20 (no effective limit), each in a fresh server.
//
// Run: see bench/README.md.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { NO_MEDIA_TOOLS, processMedia } from '../src/media/process.js';
import { DEFAULT_MEDIA_LIMITS } from '../src/media/types.js';
import { mulberry32 } from '../src/seed/prng.js';
import { percentile } from './city.js';
import { CLI, cli, freePort } from './processes.js';
import { runIfMain, type BenchResult } from './routing.bench.js';
import { dms } from '../test/support/media.js';

const WIDTH = 4000;
const HEIGHT = 3000;
const QUALITY = 90;
/** Distinct photos: the throughput runs go over all of them; the server gets all of them at once. */
const PHOTOS = 20;
/** The naive baseline runs over a prefix of the photos: this many at most... */
const NAIVE_MAX = 20;
/** ...or until this much time has passed, but at least NAIVE_MIN photos. */
const NAIVE_BUDGET_MS = 8_000;
const NAIVE_MIN = 4;
/** Our copies and the naive ones of the same photo differ by less than this (mean levels of 255 per channel). */
const DISPLAY_SAME_MAX = 8;
const THUMB_SAME_MAX = 12;
const UPLOADS = 20;
const NO_LIMIT = 20;
const SAMPLE_MS = 20;
const MIB = 1024 * 1024;
/** The server's peak RSS during the burst, with the default limiter (~410-440 MiB on the 2-core reference machine). */
export const TARGET_PEAK_MIB = 512;


type Log = (line: string) => void;

// ---------------------------------------------------------------------------------------------------------
// Photos

interface Photo {
  bytes: Buffer;
  kind: ReturnType<typeof photoKind>;
  /** Upright dimensions (after EXIF orientation). */
  width: number;
  height: number;
  takenAt: string; // the ISO instant processMedia must read back
  gps: { lat: number; lon: number };
}


/** Sensor-like noise, ±NOISE_AMP levels: one plane, shared by all photos at different offsets. */
const NOISE_AMP = 8;
function noisePlane(n: number): Int8Array {
  const out = new Int8Array(n);
  let x = 0x2545f491;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (((x & 0xff) - 128) * NOISE_AMP) >> 7;
  }
  return out;
}

/** The JPEG without its ICC profile (APP2 "ICC_PROFILE" segments); every other byte as it was. */
function withoutIcc(jpeg: Buffer): Buffer {
  const parts: Buffer[] = [jpeg.subarray(0, 2)]; // SOI
  let at = 2;
  while (at + 4 <= jpeg.length && jpeg[at] === 0xff) {
    const marker = jpeg[at + 1]!;
    if (marker === 0xda) break; // start of scan: the rest is entropy-coded data
    const end = at + 2 + jpeg.readUInt16BE(at + 2);
    const icc = marker === 0xe2 && jpeg.subarray(at + 4, at + 16).toString('latin1') === 'ICC_PROFILE\0';
    if (!icc) parts.push(jpeg.subarray(at, end));
    at = end;
  }
  parts.push(jpeg.subarray(at));
  return Buffer.concat(parts);
}

/** Which kind of phone photo photo k is: every fourth portrait, every fourth with a Display P3 profile. */
const photoKind = (k: number): 'landscape' | 'landscape, Display P3 ICC' | 'portrait' =>
  k % 4 === 3 ? 'portrait' : k % 4 === 1 ? 'landscape, Display P3 ICC' : 'landscape';

/**
 * Photo k: a 200 × 150 random field upscaled (smooth colour regions, soft edges) plus the noise plane at
 * offset k, JPEG quality 90 with capture time and GPS. Portraits are stored as phones store them: landscape
 * pixels plus EXIF Orientation 6. Every fourth photo carries a Display P3 ICC profile, as iPhone photos do
 * (sharp then converts it to sRGB, which costs time); the others have none.
 */
async function makePhoto(k: number, noise: Int8Array): Promise<Photo> {
  const rand = mulberry32(1000 + k);
  const [fw, fh] = [200, 150];
  const field = Buffer.alloc(fw * fh * 3);
  for (let i = 0; i < field.length; i++) field[i] = Math.floor(rand() * 256);
  const pixels = await sharp(field, { raw: { width: fw, height: fh, channels: 3 } }).resize(WIDTH, HEIGHT, { kernel: 'linear' }).raw().toBuffer();
  const offset = k * 7919 * 3;
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i]! + noise[(i + offset) % noise.length]!;
    pixels[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  const second = String(k % 60).padStart(2, '0');
  const gps = { lat: 29.65 + k * 0.0011, lon: 91.13 + k * 0.0007 };
  let image = sharp(pixels, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } }).withExif({
    IFD0: { Make: 'Gridline', Model: 'Bench Phone' },
    IFD2: { DateTimeOriginal: `2025:05:07 20:55:${second}`, OffsetTimeOriginal: '+08:00' },
    IFD3: { GPSLatitudeRef: 'N', GPSLatitude: dms(gps.lat), GPSLongitudeRef: 'E', GPSLongitude: dms(gps.lon) },
  });
  const kind = photoKind(k);
  // Orientation goes through withMetadata (an Orientation given to withExif is overwritten), which also
  // attaches an sRGB profile: that is taken out again, so orientation and colour profile stay separate.
  if (kind === 'portrait') image = image.withMetadata({ orientation: 6 });
  if (kind === 'landscape, Display P3 ICC') image = image.withIccProfile('p3');
  const encoded = await image.jpeg({ quality: QUALITY }).toBuffer();
  const bytes = kind === 'portrait' ? withoutIcc(encoded) : encoded;
  const meta = await sharp(bytes).metadata();
  if ((meta.orientation ?? 1) !== (kind === 'portrait' ? 6 : 1) || !!meta.icc !== (kind === 'landscape, Display P3 ICC')) {
    throw new Error(`photo ${k} came out with orientation ${meta.orientation} and ${meta.icc ? 'an' : 'no'} ICC profile; expected a ${kind} photo`);
  }
  return {
    bytes,
    kind,
    width: kind === 'portrait' ? HEIGHT : WIDTH,
    height: kind === 'portrait' ? WIDTH : HEIGHT,
    takenAt: `2025-05-07T12:55:${second}.000Z`,
    gps,
  };
}

export async function makePhotos(n: number, log: Log): Promise<Photo[]> {
  const t = performance.now();
  const noise = noisePlane(WIDTH * HEIGHT * 3);
  const photos: Photo[] = new Array(n);
  // Two at a time: sharp's resize and encode run on the libuv pool while the other photo's noise is added.
  let next = 0;
  const worker = async () => {
    for (let k = next++; k < n; k = next++) photos[k] = await makePhoto(k, noise);
  };
  await Promise.all([worker(), worker()]);
  const sizes = photos.map((p) => p.bytes.length / MIB);
  log(
    `media: ${n} distinct ${WIDTH} × ${HEIGHT} JPEGs (q${QUALITY}, EXIF time + GPS; every 4th portrait, every 4th with a P3 profile) of ` +
      `${Math.min(...sizes).toFixed(2)}-${Math.max(...sizes).toFixed(2)} MiB made in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  return photos;
}

// ---------------------------------------------------------------------------------------------------------
// Throughput: processMedia against the naive pipeline

interface Copies {
  display: Buffer;
  thumb: Buffer;
}

async function ours(photo: Photo): Promise<Copies> {
  const m = await processMedia(photo.bytes, DEFAULT_MEDIA_LIMITS, NO_MEDIA_TOOLS);
  if (m.kind !== 'photo' || m.preview !== 'full' || !m.display) throw new Error(`processMedia gave ${m.kind}/${m.preview} for a JPEG`);
  if (m.width !== photo.width || m.height !== photo.height) throw new Error(`processMedia: ${m.width} × ${m.height}, expected ${photo.width} × ${photo.height}`);
  if (m.takenAt !== photo.takenAt) throw new Error(`processMedia read takenAt ${m.takenAt}, expected ${photo.takenAt}`);
  if (!m.gps || Math.abs(m.gps.lat - photo.gps.lat) > 1e-6 || Math.abs(m.gps.lon - photo.gps.lon) > 1e-6) {
    throw new Error(`processMedia read GPS ${JSON.stringify(m.gps)}, expected ${JSON.stringify(photo.gps)}`);
  }
  return { display: m.display, thumb: m.thumb };
}

/** What a developer writes first: both copies straight from the original, sharp's defaults. */
async function naive(photo: Photo): Promise<Copies> {
  const [display, thumb] = await Promise.all([
    sharp(photo.bytes).rotate().webp().toBuffer(),
    sharp(photo.bytes).rotate().resize(320, 320, { fit: 'inside' }).webp().toBuffer(),
  ]);
  return { display, thumb };
}

/** Both copies are upright WebP of the photo's shape and within their bounds, or the run means nothing. */
async function checkCopies(who: string, photo: Photo, copies: Copies, displayMax: number): Promise<void> {
  for (const [name, bytes, max] of [['display', copies.display, displayMax], ['thumb', copies.thumb, DEFAULT_MEDIA_LIMITS.thumbPx]] as const) {
    const meta = await sharp(bytes).metadata();
    const long = Math.max(meta.width, meta.height);
    const expectedLong = Math.min(max, Math.max(photo.width, photo.height));
    const upright = photo.width >= photo.height === meta.width >= meta.height;
    if (meta.format !== 'webp' || long !== expectedLong || !upright || meta.orientation !== undefined) {
      throw new Error(`${who} ${name} copy is ${meta.format} ${meta.width} × ${meta.height} (orientation ${meta.orientation}); expected upright WebP with a ${expectedLong} px long edge for a ${photo.width} × ${photo.height} photo`);
    }
  }
}

interface Timing {
  ms: number[]; // per photo, in the order they finished
  wallMs: number;
  /** Per photo: its copies and how long it took. */
  outputs: Map<Photo, Copies & { ms: number }>;
}

/** Process photos with `inFlight` at a time; per-photo times and the wall time for all of them. */
async function timeRun(fn: (p: Photo) => Promise<Copies>, photos: Photo[], inFlight: number, check: (p: Photo, c: Copies) => Promise<void>, budgetMs = Infinity, minimum = photos.length): Promise<Timing> {
  const ms: number[] = [];
  const outputs = new Map<Photo, Copies & { ms: number }>();
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < photos.length && (next < minimum || performance.now() - t0 < budgetMs)) {
      const photo = photos[next++]!;
      const t = performance.now();
      const copies = await fn(photo);
      const took = performance.now() - t;
      ms.push(took);
      outputs.set(photo, { ...copies, ms: took });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const wallMs = performance.now() - t0;
  for (const [photo, copies] of outputs) await check(photo, copies); // after the clock stops
  return { ms, wallMs, outputs };
}

/** Mean absolute difference (0-255 levels per channel) of two copies, compared at the first one's size. */
async function difference(a: Buffer, b: Buffer): Promise<number> {
  const { data, info } = await sharp(a).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const other = await sharp(b).resize(info.width, info.height, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += Math.abs(data[i]! - other[i]!);
  return sum / data.length;
}

interface Agreement {
  display: number; // the largest difference between our display copy and the naive one of the same photo
  thumb: number;
  different: number; // the yardstick: the smallest difference between our copy and another photo's
}

/**
 * Same answers: our copies and the naive ones of each photo must show the same picture. A wrong rotation or
 * mirror differs about as much as another photo does (~40 levels here); the same picture through the two
 * resampling paths differs by ~4.5 levels (display) and ~7 (thumbnail, which we make from the display-size
 * pixels and at WebP quality 70).
 */
async function compareCopies(ours: Timing, naive: Timing): Promise<Agreement> {
  const found: Agreement = { display: 0, thumb: 0, different: Infinity };
  const photos = [...naive.outputs.keys()];
  for (const photo of photos) {
    const [a, b] = [ours.outputs.get(photo)!, naive.outputs.get(photo)!];
    found.display = Math.max(found.display, await difference(a.display, b.display));
    found.thumb = Math.max(found.thumb, await difference(a.thumb, b.thumb));
    const other = photos.find((p) => p !== photo && p.width === photo.width);
    if (other) found.different = Math.min(found.different, await difference(a.thumb, naive.outputs.get(other)!.thumb));
  }
  if (!(found.display < DISPLAY_SAME_MAX && found.thumb < THUMB_SAME_MAX && found.thumb * 3 < found.different)) {
    throw new Error(
      `processMedia and the naive pipeline disagree: their copies of one photo differ by up to ${found.display.toFixed(1)} (display) / ` +
        `${found.thumb.toFixed(1)} (thumbnail) levels; different photos differ by ${found.different.toFixed(1)}`,
    );
  }
  return found;
}

const rate = (t: Timing): number => t.ms.length / (t.wallMs / 1000);
const fmtMs = (ms: number): string => ms.toFixed(ms >= 100 ? 0 : 1);

export async function benchThroughput(photos: Photo[], log: Log): Promise<BenchResult[]> {
  const checkOurs = (p: Photo, c: Copies) => checkCopies('processMedia', p, c, DEFAULT_MEDIA_LIMITS.displayPx);
  const checkNaive = (p: Photo, c: Copies) => checkCopies('naive pipeline', p, c, Infinity);
  // Warm up both paths (JIT, libvips start-up) on one photo of each kind.
  const kinds = [...new Set(photos.map((p) => p.kind))];
  for (const p of kinds.map((kind) => photos.find((q) => q.kind === kind)!)) {
    await checkOurs(p, await ours(p));
    await checkNaive(p, await naive(p));
  }
  const seq = await timeRun(ours, photos, 1, checkOurs);
  const two = await timeRun(ours, photos, 2, checkOurs);
  const base = await timeRun(naive, photos.slice(0, NAIVE_MAX), 1, checkNaive, NAIVE_BUDGET_MS, NAIVE_MIN);
  const agree = await compareCopies(seq, base);
  const byKind = kinds.map((kind) => `${kind} ${fmtMs(percentile([...seq.outputs].filter(([p]) => p.kind === kind).map(([, o]) => o.ms), 50))}`).join(', ');
  const n = seq.ms.length;
  const nb = base.ms.length;
  const [s50, s95, t50, t95, b50, b95] = [percentile(seq.ms, 50), percentile(seq.ms, 95), percentile(two.ms, 50), percentile(two.ms, 95), percentile(base.ms, 50), percentile(base.ms, 95)];
  log(
    `media processMedia: 1 in flight ${rate(seq).toFixed(2)} photos/s (p50 ${fmtMs(s50)} p95 ${fmtMs(s95)} ms), ` +
      `2 in flight ${rate(two).toFixed(2)} photos/s (p50 ${fmtMs(t50)} p95 ${fmtMs(t95)} ms) over ${n} photos; ` +
      `naive ${rate(base).toFixed(2)} photos/s (p50 ${fmtMs(b50)} p95 ${fmtMs(b95)} ms) over ${nb}; ` +
      `1 in flight p50 by kind: ${byKind} ms; every copy checked, ` +
      `ours and the naive copies of a photo differ by <= ${agree.display.toFixed(1)} (display) / ${agree.thumb.toFixed(1)} (thumb) levels, different photos by >= ${agree.different.toFixed(1)} ` +
      `(sharp concurrency ${sharp.concurrency()}, UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? 'default 4'})`,
  );
  const naiveName = 'naive: full-size rotate().webp() + 320 px thumb from the original';
  return [
    { name: `media processMedia 12 MP JPEG, 1 in flight (n=${n}/${nb})`, value: rate(seq), unit: 'photos/s', baseline: { name: naiveName, value: rate(base) }, ratio: rate(seq) / rate(base) },
    { name: `media processMedia per photo p50 (n=${n}/${nb})`, value: s50, unit: 'ms', baseline: { name: naiveName, value: b50 }, ratio: b50 / s50 },
    { name: `media processMedia per photo p95 (n=${n}/${nb})`, value: s95, unit: 'ms', baseline: { name: naiveName, value: b95 }, ratio: b95 / s95 },
    { name: `media processMedia 12 MP JPEG, 2 in flight (n=${n})`, value: rate(two), unit: 'photos/s', baseline: { name: 'processMedia, 1 in flight', value: rate(seq) }, ratio: rate(two) / rate(seq) },
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Server memory under 20 uploads at once

interface Burst {
  concurrency: number;
  idleMiB: number;
  peakMiB: number; // VmHWM, reset before the burst (or the sampled peak where the reset is not allowed)
  sampledPeakMiB: number;
  afterMiB: number;
  samples: number;
  wallMs: number;
  statuses: number[];
  hwmReset: boolean;
}

function procStatus(pid: number): { rss: number; hwm: number } {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(text.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** The server's environment: a fresh database and media directory, quiet, every other media setting default. */
function serverEnv(dir: string, port: number, concurrency: number | null): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(MEDIA_|EVIDENCE_|DATABASE_URL$|PORT$|HOST$|LOG_LEVEL$|SWEEP_)/.test(k)) env[k] = v;
  Object.assign(env, {
    DATABASE_URL: `sqlite:${path.join(dir, 'gridline.db')}`,
    MEDIA_STORE: `local:${path.join(dir, 'media')}`,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'silent',
    SWEEP_INTERVAL_MS: '0',
  });
  if (concurrency !== null) env.MEDIA_CONCURRENCY = String(concurrency);
  return env;
}

async function waitHealthy(base: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = performance.now() + 20_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server exited (${child.exitCode ?? child.signalCode}): ${stderr().trim()}`);
    const ok = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server did not answer /healthz within 20 s: ${stderr().trim()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Children and temp dirs still alive if the process ends before a finally block runs: on exit, and on
 * SIGINT/SIGTERM while a server runs (then the signal is raised again, so the process still ends as it would).
 */
const leftovers = new Set<{ child?: ChildProcess; dir: string }>();
function cleanUpNow(): void {
  for (const l of leftovers) {
    l.child?.kill('SIGKILL');
    fs.rmSync(l.dir, { recursive: true, force: true });
  }
  leftovers.clear();
}
process.once('exit', cleanUpNow);
function onSignal(signal: NodeJS.Signals): void {
  cleanUpNow();
  untrapSignals();
  process.kill(process.pid, signal);
}
function trapSignals(): void {
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
function untrapSignals(): void {
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

/** One fresh server, 20 uploads at once; `concurrency` null means the server's default. */
async function burst(photos: Photo[], concurrency: number | null, log: Log): Promise<Burst> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: compile with \`npx tsc -p tsconfig.bench.json\` first`);
  if (!fs.existsSync('/proc/self/status')) throw new Error('the server memory benchmark reads /proc/<pid>/status: it runs on Linux only');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gridline-bench-media-'));
  const leftover: { child?: ChildProcess; dir: string } = { dir };
  leftovers.add(leftover);
  trapSignals();
  try {
    const port = await freePort();
    const env = serverEnv(dir, port, concurrency);
    await cli(['migrate'], env);
    await cli(['user', 'add', '--username', 'bench-rider', '--password', 'bench-password-1', '--role', 'reporter'], env);
    const child = spawn(process.execPath, [CLI, 'serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    leftover.child = child;
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitHealthy(base, child, () => stderr);
      const login = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'bench-rider', password: 'bench-password-1' }),
      });
      if (!login.ok) throw new Error(`login answered ${login.status}: ${await login.text()}`);
      const { token } = (await login.json()) as { token: string };
      await new Promise((r) => setTimeout(r, 500)); // let start-up garbage settle
      const pid = child.pid!;
      const idle = procStatus(pid).rss;
      // Reset the peak (VmHWM) so it covers the burst only, not start-up (Linux >= 4.0, our own child).
      let hwmReset = true;
      try {
        fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
      } catch {
        hwmReset = false;
      }
      let sampledPeak = idle;
      let samples = 0;
      const sampler = setInterval(() => {
        try {
          sampledPeak = Math.max(sampledPeak, procStatus(pid).rss);
          samples++;
        } catch {
          // the child is gone; the uploads will say why
        }
      }, SAMPLE_MS);
      const t0 = performance.now();
      let statuses: number[];
      let bodies: unknown[];
      try {
        const answers = await Promise.all(
          photos.slice(0, UPLOADS).map(async (p) => {
            const r = await fetch(`${base}/api/v1/media`, { method: 'POST', headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${token}` }, body: p.bytes });
            return { status: r.status, body: (await r.json().catch(() => null)) as unknown };
          }),
        );
        statuses = answers.map((a) => a.status);
        bodies = answers.map((a) => a.body);
      } finally {
        clearInterval(sampler);
      }
      const wallMs = performance.now() - t0;
      const end = procStatus(pid);
      sampledPeak = Math.max(sampledPeak, end.rss);
      const peak = hwmReset ? end.hwm : sampledPeak;
      const bad = statuses.map((s, i) => [s, i] as const).filter(([s]) => s !== 201);
      if (bad.length > 0) throw new Error(`${bad.length} of ${UPLOADS} uploads were not answered 201: ${bad.map(([s, i]) => `#${i} ${s} ${JSON.stringify(bodies[i]).slice(0, 200)}`).join('; ')}`);
      bodies.forEach((b, i) => {
        const m = b as { width?: number; height?: number; preview?: string; takenAt?: string };
        const p = photos[i]!;
        if (m.width !== p.width || m.height !== p.height || m.preview !== 'full' || m.takenAt !== p.takenAt) throw new Error(`upload #${i} answered ${JSON.stringify(b).slice(0, 300)}`);
      });
      const result: Burst = {
        concurrency: concurrency ?? os.availableParallelism(),
        idleMiB: idle / MIB,
        peakMiB: peak / MIB,
        sampledPeakMiB: sampledPeak / MIB,
        afterMiB: end.rss / MIB,
        samples,
        wallMs,
        statuses,
        hwmReset,
      };
      log(
        `media server MEDIA_CONCURRENCY=${concurrency ?? `default (${result.concurrency})`}: ${UPLOADS}/${UPLOADS} answered 201 in ${(wallMs / 1000).toFixed(2)} s; ` +
          `RSS idle ${result.idleMiB.toFixed(0)} MiB, peak ${result.peakMiB.toFixed(0)} MiB (VmHWM${hwmReset ? ', reset before the burst' : ' since start-up: reset not allowed'}; ` +
          `sampled peak ${result.sampledPeakMiB.toFixed(0)} MiB over ${samples} samples), ${result.afterMiB.toFixed(0)} MiB after`,
      );
      return result;
    } finally {
      await stopChild(child);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    leftovers.delete(leftover);
    untrapSignals();
  }
}

export async function benchServer(photos: Photo[], log: Log): Promise<BenchResult[]> {
  const limited = await burst(photos, null, log);
  const open = await burst(photos, NO_LIMIT, log);
  const c = limited.concurrency;
  const noLimit = `MEDIA_CONCURRENCY=${NO_LIMIT} (no limit)`;
  const grew = (b: Burst) => b.peakMiB - b.idleMiB;
  const saved = grew(open) - grew(limited);
  log(
    `media server: the limiter (${c} at a time) ${saved >= 0 ? 'saves' : 'costs'} ${Math.abs(saved).toFixed(0)} MiB of the burst's ${grew(open).toFixed(0)} MiB growth ` +
      `(${((100 * saved) / grew(open)).toFixed(0)}%); without it sharp still runs at most ${process.env.UV_THREADPOOL_SIZE ?? 4} operations at once (the libuv pool). ` +
      `RSS after the burst stays near the peak (${limited.afterMiB.toFixed(0)} / ${open.afterMiB.toFixed(0)} MiB): the allocator keeps what it freed.`,
  );
  return [
    { name: `media server idle RSS before the burst (MEDIA_CONCURRENCY=${c})`, value: limited.idleMiB, unit: 'MiB', baseline: { name: noLimit, value: open.idleMiB } },
    {
      name: `media server peak RSS, ${UPLOADS} uploads at once (MEDIA_CONCURRENCY=${c})`,
      value: limited.peakMiB,
      unit: 'MiB',
      baseline: { name: noLimit, value: open.peakMiB },
      ratio: open.peakMiB / limited.peakMiB,
      target: `< ${TARGET_PEAK_MIB} MiB`,
      pass: limited.peakMiB < TARGET_PEAK_MIB,
    },
    { name: `media server peak - idle RSS (MEDIA_CONCURRENCY=${c})`, value: grew(limited), unit: 'MiB', baseline: { name: noLimit, value: grew(open) }, ratio: grew(open) / grew(limited) },
    { name: `media server wall time, ${UPLOADS}/${UPLOADS} uploads answered 201 (MEDIA_CONCURRENCY=${c})`, value: limited.wallMs / 1000, unit: 's', baseline: { name: noLimit, value: open.wallMs / 1000 }, ratio: open.wallMs / limited.wallMs },
  ];
}

export async function run(log: Log = () => {}): Promise<BenchResult[]> {
  const photos = await makePhotos(PHOTOS, log);
  return [...(await benchThroughput(photos, log)), ...(await benchServer(photos, log))];
}

await runIfMain(import.meta.url, run);
