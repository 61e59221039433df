// The structure of ISO base media files (MP4, MOV, HEIC/HEIF), checked in JavaScript: file-type and the
// brand check look at the first bytes only, so junk behind a valid `ftyp` header would pass as a video or
// a photo wherever ffmpeg or heif-convert is not installed to try decoding it. The check walks the
// top-level boxes (32- and 64-bit sizes, size 0 = to the end of the file), requires them to tile the file
// exactly (no stray bytes after the last), and looks inside only the few boxes a decoder needs:
//  - video: `ftyp` first (a classic QuickTime file may open with moov/mdat/wide/free instead), one `moov`
//    with `mvhd` and a video track (`trak` > `mdia` > `hdlr` 'vide', `minf` > `stbl` > `stsd`) whose chunk
//    offsets (`stco`/`co64`) point into an `mdat`; a fragmented file (`mvex`) needs a `moof` instead;
//  - HEIF: `ftyp` first, one `meta` with `hdlr` 'pict', `pitm`, `iinf`, `iloc` and `iprp` > `ipco` + `ipma`,
//    the primary item located, and every item's extents inside the file (or its `idat`).
// The work is bounded: box headers are read through a small window, at most MAX_BOXES of them, only known
// containers are entered (five levels at most), and no table is read past MAX_TABLE_BYTES.

import fs from 'node:fs/promises';

const MAX_BOXES = 100_000;
const MAX_TABLE_BYTES = 16 * 1024 * 1024;
const MAX_META_BYTES = 16 * 1024 * 1024;
const WINDOW = 64 * 1024;

/** Why a file is not what its header says; the message is short and names no path. */
export class ContainerError extends Error {
  override readonly name = 'ContainerError';
}

const bad = (message: string) => new ContainerError(message);

/** Positional reads of a file or buffer, through a window so neighbouring box headers cost one read. */
interface Reader {
  readonly length: number;
  read(offset: number, length: number): Promise<Buffer>;
}

function bufferReader(bytes: Buffer): Reader {
  return { length: bytes.length, read: async (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)) };
}

function fileReader(handle: fs.FileHandle, length: number): Reader {
  let window = Buffer.alloc(0);
  let windowAt = -1;
  const fill = async (offset: number, wanted: number) => {
    const buf = Buffer.alloc(Math.max(0, Math.min(Math.max(wanted, WINDOW), length - offset)));
    const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
    return buf.subarray(0, bytesRead);
  };
  return {
    length,
    async read(offset, wanted) {
      const end = Math.min(length, offset + wanted);
      if (windowAt >= 0 && offset >= windowAt && end <= windowAt + window.length) return window.subarray(offset - windowAt, end - windowAt);
      if (wanted > WINDOW) return fill(offset, end - offset);
      window = await fill(offset, end - offset);
      windowAt = offset;
      return window.subarray(0, end - offset);
    },
  };
}

interface Box {
  type: string;
  start: number;
  /** Where the payload starts (after size, type, any 64-bit size and a uuid's extended type). */
  body: number;
  end: number;
}

/** Four printable characters (and ©, which QuickTime uses for its tag boxes). */
function fourCC(bytes: Buffer): string | null {
  for (const b of bytes) if (!((b >= 0x20 && b <= 0x7e) || b === 0xa9)) return null;
  return bytes.toString('latin1');
}

class Walker {
  private boxes = 0;
  constructor(readonly r: Reader) {}

  /** The boxes that exactly tile [start, end). */
  async children(start: number, end: number, where: string): Promise<Box[]> {
    const out: Box[] = [];
    for (let at = start; at < end; ) {
      const left = end - at;
      if (left < 8) throw bad(`${left} stray bytes at the end of ${where}`);
      const head = await this.r.read(at, Math.min(16, left));
      const type = fourCC(head.subarray(4, 8));
      if (!type) throw bad(`no box at byte ${at} of ${where}`);
      let size = head.readUInt32BE(0);
      let body = at + 8;
      if (size === 1) {
        if (left < 16) throw bad(`box ${type} at byte ${at} is cut off`);
        const big = head.readBigUInt64BE(8);
        if (big > BigInt(left)) throw bad(`box ${type} at byte ${at} claims ${big} bytes; ${left} remain`);
        size = Number(big);
        body += 8;
      } else if (size === 0) {
        size = left; // to the end of the enclosing space
      }
      if (type === 'uuid') body += 16;
      if (size < body - at || size > left) throw bad(`box ${type} at byte ${at} claims ${size} bytes; ${left} remain`);
      if (++this.boxes > MAX_BOXES) throw bad(`more than ${MAX_BOXES} boxes`);
      out.push({ type, start: at, body, end: at + size });
      at += size;
    }
    return out;
  }

  async within(box: Box, fullBox = false): Promise<Box[]> {
    const start = box.body + (fullBox ? 4 : 0);
    if (start > box.end) throw bad(`box ${box.type} is too short`);
    return this.children(start, box.end, box.type);
  }
}

const one = (boxes: Box[], type: string, where: string): Box => {
  const found = boxes.filter((b) => b.type === type);
  if (found.length !== 1) throw bad(found.length === 0 ? `${where} has no ${type}` : `${where} has ${found.length} ${type} boxes`);
  return found[0]!;
};
const first = (boxes: Box[], type: string): Box | undefined => boxes.find((b) => b.type === type);

/** Classic QuickTime files may open with one of these instead of ftyp. */
const QUICKTIME_OPENERS = new Set(['ftyp', 'wide', 'free', 'skip', 'mdat', 'moov', 'pnot']);

/**
 * Throws ContainerError unless `file` is a structurally sound ISO-BMFF file of its kind: 'video' for MP4
 * and MOV (`quicktime` allows the classic QuickTime openings), 'heif' for HEIC/HEIF.
 */
export async function checkContainerFile(file: string, kind: 'video' | 'heif', quicktime = false): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    await check(fileReader(handle, size), kind, quicktime);
  } finally {
    await handle.close();
  }
}

/** The same check on bytes in memory. */
export function checkContainer(bytes: Buffer, kind: 'video' | 'heif', quicktime = false): Promise<void> {
  return check(bufferReader(bytes), kind, quicktime);
}

async function check(r: Reader, kind: 'video' | 'heif', quicktime: boolean): Promise<void> {
  const walker = new Walker(r);
  const top = await walker.children(0, r.length, 'the file');
  const opener = top[0];
  if (!opener) throw bad('the file is empty');
  if (opener.type !== 'ftyp' && !(quicktime && QUICKTIME_OPENERS.has(opener.type))) throw bad(`the file starts with ${opener.type}, not ftyp`);
  const ftyp = top.filter((b) => b.type === 'ftyp');
  if (ftyp.length > 1) throw bad('the file has several ftyp boxes');
  if (ftyp[0] && (ftyp[0].end - ftyp[0].body < 8 || (ftyp[0].end - ftyp[0].body) % 4 !== 0)) throw bad('ftyp is malformed');
  if (kind === 'video') await checkMovie(walker, top);
  else await checkHeif(walker, top);
}

/** A handler box's type ('vide', 'soun', 'pict'): after version/flags and pre_defined (QuickTime: the
 *  component type), at the same place in ISO and QuickTime files. */
async function handlerOf(r: Reader, hdlr: Box): Promise<string> {
  if (hdlr.end - hdlr.body < 12) throw bad('hdlr is too short');
  return (await r.read(hdlr.body, 12)).toString('latin1', 8, 12);
}

/** A track's boxes (trak > tkhd, mdia) and its handler ('vide', 'soun', ...). */
async function trackOf(w: Walker, trak: Box): Promise<{ inTrak: Box[]; tkhd: Box; mdia: Box[]; handler: string }> {
  const inTrak = await w.within(trak);
  const tkhd = one(inTrak, 'tkhd', 'trak');
  const mdia = await w.within(one(inTrak, 'mdia', 'trak'));
  return { inTrak, tkhd, mdia, handler: await handlerOf(w.r, one(mdia, 'hdlr', 'mdia')) };
}

/** A track's sample table: mdia > minf > stbl. */
const sampleTable = async (w: Walker, mdia: Box[]): Promise<Box[]> => w.within(one(await w.within(one(mdia, 'minf', 'mdia')), 'stbl', 'minf'));

// ---- video ----------------------------------------------------------------------------------------------

async function checkMovie(w: Walker, top: Box[]): Promise<void> {
  const moov = await w.within(one(top, 'moov', 'the file'));
  one(moov, 'mvhd', 'moov');
  const fragmented = first(moov, 'mvex') !== undefined;
  const mdats = top.filter((b) => b.type === 'mdat');
  if (fragmented ? !first(top, 'moof') : mdats.length === 0) throw bad(fragmented ? 'a fragmented file without moof' : 'the file has no mdat (no media data)');
  let videoTracks = 0;
  for (const trak of moov.filter((b) => b.type === 'trak')) {
    const { mdia, handler } = await trackOf(w, trak);
    if (handler !== 'vide') continue; // sound, timecode, metadata tracks
    videoTracks++;
    one(mdia, 'mdhd', 'mdia');
    const stbl = await sampleTable(w, mdia);
    one(stbl, 'stsd', 'stbl');
    if (!fragmented) await checkChunkOffsets(w.r, stbl, mdats, 'video');
  }
  if (videoTracks === 0) throw bad('no video track');
}

/** Every chunk of a track starts inside an mdat's payload. */
async function checkChunkOffsets(r: Reader, stbl: Box[], mdats: Box[], what: 'video' | 'sound'): Promise<void> {
  const table = first(stbl, 'stco') ?? first(stbl, 'co64');
  if (!table) throw bad(`a ${what} track without chunk offsets (stco/co64)`);
  const wide = table.type === 'co64';
  const entry = wide ? 8 : 4;
  const head = await r.read(table.body, 8);
  if (head.length < 8) throw bad(`${table.type} is too short`);
  const count = head.readUInt32BE(4);
  const bytes = count * entry;
  if (table.body + 8 + bytes > table.end) throw bad(`${table.type} lists more chunks than it holds`);
  if (bytes > MAX_TABLE_BYTES) throw bad(`${table.type} is larger than ${MAX_TABLE_BYTES} bytes`);
  const data = await r.read(table.body + 8, bytes);
  for (let i = 0; i < count; i++) {
    const offset = wide ? Number(data.readBigUInt64BE(i * 8)) : data.readUInt32BE(i * 4);
    if (!mdats.some((m) => offset >= m.body && offset < m.end)) throw bad(`chunk ${i + 1} of a ${what} track lies outside the media data`);
  }
}

// ---- sound alone (voice notes from Safari) -----------------------------------------------------------------

/** An MP4 that holds one sound track and no video: what Safari's MediaRecorder makes of a voice note. */
export interface IsoSound {
  codec: 'aac' | 'opus';
  durationS: number;
  /** The boxes that may carry words, a place or a time (udta, meta): blanked in the copy that is served. */
  metadata: { start: number; end: number }[];
}

/**
 * The sound of an MP4 voice note: null when the file has a video track (a video, for checkContainer), its
 * codec, length and metadata boxes when it holds one sound track alone, ContainerError for anything else.
 * The length comes from the track's own header (mdhd) in a plain file and from the fragments' sample
 * durations (trun, with tfhd's and trex's defaults) in a fragmented one, as Safari records them live.
 */
export async function isoSoundFile(file: string): Promise<IsoSound | null> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    return await isoSoundOf(fileReader(handle, size));
  } finally {
    await handle.close();
  }
}

/** The same on bytes in memory. */
export function isoSound(bytes: Buffer): Promise<IsoSound | null> {
  return isoSoundOf(bufferReader(bytes));
}

const METADATA = new Set(['udta', 'meta']);
const SOUND_CODECS: Record<string, IsoSound['codec']> = { mp4a: 'aac', Opus: 'opus' };

async function isoSoundOf(r: Reader): Promise<IsoSound | null> {
  const w = new Walker(r);
  const top = await w.children(0, r.length, 'the file');
  if (top[0]?.type !== 'ftyp') throw bad(`the file starts with ${top[0]?.type ?? 'nothing'}, not ftyp`);
  const moovBox = one(top, 'moov', 'the file');
  const moov = await w.within(moovBox);
  one(moov, 'mvhd', 'moov');
  const metadata = [...top, ...moov].filter((b) => METADATA.has(b.type));
  const sounds: { tkhd: Box; mdhd: Box; stbl: Box[] }[] = [];
  for (const trak of moov.filter((b) => b.type === 'trak')) {
    const { inTrak, tkhd, mdia, handler } = await trackOf(w, trak);
    metadata.push(...inTrak.filter((b) => METADATA.has(b.type)));
    if (handler === 'vide') return null;
    if (handler !== 'soun') continue;
    sounds.push({ tkhd, mdhd: one(mdia, 'mdhd', 'mdia'), stbl: await sampleTable(w, mdia) });
  }
  if (sounds.length !== 1) throw bad(sounds.length === 0 ? 'no sound track' : `${sounds.length} sound tracks`);
  const { tkhd, mdhd, stbl } = sounds[0]!;

  const tk = await r.read(tkhd.body, 24);
  const trackId = tk[0] === 1 ? (tk.length >= 24 ? tk.readUInt32BE(20) : -1) : tk.length >= 16 ? tk.readUInt32BE(12) : -1;
  const md = await r.read(mdhd.body, 32);
  const v1 = md[0] === 1;
  if (md.length < (v1 ? 32 : 20) || trackId < 0) throw bad('the sound track header is cut off');
  const timescale = md.readUInt32BE(v1 ? 20 : 12);
  const declared = v1 ? Number(md.readBigUInt64BE(24)) : md.readUInt32BE(16);
  if (timescale === 0) throw bad('the sound track has no timescale');

  const stsd = one(stbl, 'stsd', 'stbl');
  const entry = await r.read(stsd.body, 16);
  if (entry.length < 16 || entry.readUInt32BE(4) < 1) throw bad('the sound track describes no samples');
  const format = entry.toString('latin1', 12, 16);
  const codec = SOUND_CODECS[format];
  if (!codec) throw bad(`a sound track coded as ${JSON.stringify(format)}, not AAC or Opus`);

  const mvex = first(moov, 'mvex');
  let ticks: number;
  if (!mvex) {
    await checkChunkOffsets(r, stbl, top.filter((b) => b.type === 'mdat'), 'sound');
    ticks = declared;
  } else {
    ticks = await fragmentTicks(w, top, await w.within(mvex), trackId);
  }
  if (!(ticks > 0)) throw bad('a sound track with no sound in it');
  return { codec, durationS: Math.round((ticks / timescale) * 1000) / 1000, metadata: metadata.map((b) => ({ start: b.start, end: b.end })) };
}

/** A full box's flags (24 bits after its version byte). */
const flagsOf = (head: Buffer) => head.readUInt32BE(0) & 0xffffff;

/** The length of a fragmented track in its timescale: every sample of every fragment (moof > traf > trun). */
async function fragmentTicks(w: Walker, top: Box[], mvex: Box[], trackId: number): Promise<number> {
  let trexDefault = 0;
  for (const trex of mvex.filter((b) => b.type === 'trex')) {
    const t = await w.r.read(trex.body, 16);
    if (t.length >= 16 && t.readUInt32BE(4) === trackId) trexDefault = t.readUInt32BE(12);
  }
  const moofs = top.filter((b) => b.type === 'moof');
  if (moofs.length === 0 || !first(top, 'mdat')) throw bad('a fragmented file without moof and mdat');
  let ticks = 0;
  for (const moof of moofs) {
    for (const traf of (await w.within(moof)).filter((b) => b.type === 'traf')) {
      const inTraf = await w.within(traf);
      const tfhd = one(inTraf, 'tfhd', 'traf');
      const th = await w.r.read(tfhd.body, 28);
      if (th.length < 8) throw bad('tfhd is cut off');
      if (th.readUInt32BE(4) !== trackId) continue;
      const tf = flagsOf(th);
      let at = 8 + (tf & 0x01 ? 8 : 0) + (tf & 0x02 ? 4 : 0);
      let fallback = trexDefault;
      if (tf & 0x08) {
        if (th.length < at + 4) throw bad('tfhd is cut off');
        fallback = th.readUInt32BE(at);
      }
      for (const trun of inTraf.filter((b) => b.type === 'trun')) {
        const head = await w.r.read(trun.body, 8);
        if (head.length < 8) throw bad('trun is cut off');
        const flags = flagsOf(head);
        const count = head.readUInt32BE(4);
        at = 8 + (flags & 0x01 ? 4 : 0) + (flags & 0x04 ? 4 : 0);
        const stride = 4 * [0x100, 0x200, 0x400, 0x800].filter((f) => flags & f).length;
        const bytes = count * stride;
        if (trun.body + at + bytes > trun.end) throw bad('trun lists more samples than it holds');
        if (!(flags & 0x100)) {
          ticks += count * fallback;
          continue;
        }
        if (bytes > MAX_TABLE_BYTES) throw bad(`trun is larger than ${MAX_TABLE_BYTES} bytes`);
        const table = await w.r.read(trun.body + at, bytes);
        for (let i = 0; i < count; i++) ticks += table.readUInt32BE(i * stride);
      }
    }
  }
  return ticks;
}

// ---- HEIF -----------------------------------------------------------------------------------------------

async function checkHeif(w: Walker, top: Box[]): Promise<void> {
  const metaBox = one(top, 'meta', 'the file');
  if (metaBox.end - metaBox.body > MAX_META_BYTES) throw bad(`meta is larger than ${MAX_META_BYTES} bytes`);
  const meta = await w.within(metaBox, true);
  const handler = await handlerOf(w.r, one(meta, 'hdlr', 'meta'));
  if (handler !== 'pict') throw bad(`meta's handler is ${JSON.stringify(handler)}, not pict`);
  one(meta, 'iinf', 'meta');
  const iprp = await w.within(one(meta, 'iprp', 'meta'));
  one(iprp, 'ipco', 'iprp');
  if (!first(iprp, 'ipma')) throw bad('iprp has no ipma');
  const pitm = one(meta, 'pitm', 'meta');
  const pitmBytes = await w.r.read(pitm.body, pitm.end - pitm.body);
  if (pitmBytes.length < 6) throw bad('pitm is too short');
  const primary = pitmBytes[0] === 0 ? pitmBytes.readUInt16BE(4) : pitmBytes.length >= 8 ? pitmBytes.readUInt32BE(4) : -1;
  const iloc = one(meta, 'iloc', 'meta');
  const idat = first(meta, 'idat');
  const items = parseIloc(await w.r.read(iloc.body, iloc.end - iloc.body));
  const item = items.find((i) => i.id === primary);
  if (!item) throw bad(`the primary item ${primary} has no location`);
  if (item.method === 0 && item.extents.length === 0) throw bad('the primary item has no data');
  for (const it of items) {
    for (const e of it.extents) {
      const [from, to] = it.method === 1 ? (idat ? [idat.body, idat.end] : [-1, -1]) : [0, w.r.length];
      if (it.method === 2) continue; // extents named by item references: checked by the decoder
      if (from < 0) throw bad(`item ${it.id} is stored in an idat the file does not have`);
      const start = from + e.offset;
      const end = e.length === 0 ? to : start + e.length;
      if (start < from || start >= to || end > to) throw bad(`item ${it.id} lies outside the ${it.method === 1 ? 'idat' : 'file'}`);
    }
  }
}

interface Located {
  id: number;
  method: number;
  extents: { offset: number; length: number }[];
}

/** ISO/IEC 14496-12 ItemLocationBox, versions 0-2: each item's construction method and extents (absolute). */
function parseIloc(b: Buffer): Located[] {
  let at = 0;
  const need = (n: number) => {
    if (at + n > b.length) throw bad('iloc is cut off');
  };
  const uint = (size: number): number => {
    if (size === 0) return 0;
    need(size);
    const v = size === 1 ? b[at]! : size === 2 ? b.readUInt16BE(at) : size === 4 ? b.readUInt32BE(at) : size === 8 ? Number(b.readBigUInt64BE(at)) : NaN;
    if (Number.isNaN(v)) throw bad(`iloc uses a field size of ${size} bytes`);
    at += size;
    return v;
  };
  const version = uint(1);
  at += 3; // flags
  if (version > 2) throw bad(`iloc version ${version}`);
  const sizes = uint(1);
  const more = uint(1);
  const [offsetSize, lengthSize, baseSize, indexSize] = [sizes >> 4, sizes & 15, more >> 4, version > 0 ? more & 15 : 0];
  for (const s of [offsetSize, lengthSize, baseSize, indexSize]) if (![0, 4, 8].includes(s)) throw bad(`iloc uses a field size of ${s} bytes`);
  const count = version < 2 ? uint(2) : uint(4);
  const items: Located[] = [];
  for (let i = 0; i < count; i++) {
    const id = version < 2 ? uint(2) : uint(4);
    const method = version > 0 ? uint(2) & 15 : 0;
    uint(2); // data_reference_index
    const base = uint(baseSize);
    const extentCount = uint(2);
    const extents: Located['extents'] = [];
    for (let e = 0; e < extentCount; e++) {
      if (indexSize > 0) uint(indexSize);
      extents.push({ offset: base + uint(offsetSize), length: uint(lengthSize) });
    }
    items.push({ id, method, extents });
  }
  return items;
}
