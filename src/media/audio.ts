// Voice notes: what a phone's MediaRecorder makes, checked and measured in JavaScript (no ffmpeg needed).
//  - WebM with one Opus (or Vorbis) audio track and no video: Chrome and every Android browser. Recorded
//    live, such a file usually has no Duration in its header and clusters of unknown size, so the length
//    is read from the blocks themselves: the last block's time (cluster timecode + the block's offset)
//    times the TimecodeScale.
//  - Ogg with an Opus or Vorbis stream: Firefox. The length is the last page's granule position (less
//    Opus's pre-skip) over the stream's sample rate (48 kHz for Opus, the header's for Vorbis).
// The walk is linear and bounded: each element or page is read once, at most MAX_ELEMENTS of them, sizes
// are checked against the file, and unknown sizes are allowed only where live recording writes them.

export interface AudioInfo {
  mime: 'audio/webm' | 'audio/ogg';
  codec: 'opus' | 'vorbis';
  durationS: number;
}

/** Why the bytes are not a voice note we take; the message is short and names no path. */
export class AudioError extends Error {
  override readonly name = 'AudioError';
}
const bad = (message: string) => new AudioError(message);

const MAX_ELEMENTS = 2_000_000;

// ---- WebM (Matroska's EBML) ----

const EBML = 0x1a45dfa3;
const DOC_TYPE = 0x4282;
const SEGMENT = 0x18538067;
const INFO = 0x1549a966;
const TIMECODE_SCALE = 0x2ad7b1;
const DURATION = 0x4489;
const TRACKS = 0x1654ae6b;
const TRACK_ENTRY = 0xae;
const TRACK_TYPE = 0x83;
const CODEC_ID = 0x86;
const CLUSTER = 0x1f43b675;
const TIMECODE = 0xe7;
const SIMPLE_BLOCK = 0xa3;
const BLOCK_GROUP = 0xa0;
const BLOCK = 0xa1;
/** Containers entered rather than skipped. */
const CONTAINERS = new Set([SEGMENT, INFO, TRACKS, TRACK_ENTRY, CLUSTER, BLOCK_GROUP]);
/** Elements live recorders write with an unknown size (all 1s): the segment and its clusters. */
const MAY_BE_UNSIZED = new Set([SEGMENT, CLUSTER]);
/** Top-level (segment-level) ids: one ends an unsized cluster. */
const SEGMENT_CHILDREN = new Set([0x114d9b74, INFO, TRACKS, CLUSTER, 0x1c53bb6b, 0x1941a469, 0x1043a770, 0x1254c367]);

/** An EBML variable-length integer at `at`: its value (marker bit removed, or kept for ids) and its length. */
function vint(bytes: Buffer, at: number, keepMarker: boolean): { value: number; length: number; unknown: boolean } {
  if (at >= bytes.length) throw bad('the file ends inside an element header');
  const first = bytes[at]!;
  let length = 1;
  while (length <= 8 && !(first & (0x80 >> (length - 1)))) length++;
  if (length > 8 || (keepMarker && length > 4)) throw bad('an element header is malformed');
  if (at + length > bytes.length) throw bad('the file ends inside an element header');
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    const b = bytes[at + i]!;
    value = value * 256 + b;
    if (b !== 0xff) allOnes = false;
  }
  return { value, length, unknown: !keepMarker && allOnes };
}

const uint = (b: Buffer) => b.reduce((n, x) => n * 256 + x, 0);

export function webmAudio(bytes: Buffer): AudioInfo {
  const head = vint(bytes, 0, true);
  if (head.value !== EBML) throw bad('not a WebM file');
  const headSize = vint(bytes, head.length, false);
  const headEnd = head.length + headSize.length + headSize.value;
  if (headSize.unknown || headEnd > bytes.length) throw bad('the WebM header is malformed');
  let docType = '';
  for (let at = head.length + headSize.length; at < headEnd; ) {
    const id = vint(bytes, at, true);
    const size = vint(bytes, at + id.length, false);
    const start = at + id.length + size.length;
    if (size.unknown || start + size.value > headEnd) throw bad('the WebM header is malformed');
    if (id.value === DOC_TYPE) docType = bytes.toString('latin1', start, start + size.value).replace(/\0+$/, '');
    at = start + size.value;
  }
  if (docType !== 'webm') throw bad(`a Matroska file of type ${JSON.stringify(docType.slice(0, 20))}, not WebM`);

  let scaleNs = 1_000_000;
  let declaredS: number | null = null;
  let clusterTime = 0;
  let lastBlock = -1;
  const tracks: { type: number; codec: string }[] = [];
  let track: { type: number; codec: string } | null = null;
  // Where each open container ends (Infinity for an unsized one), innermost last.
  const open: { id: number; end: number }[] = [];
  let elements = 0;
  for (let at = headEnd; at < bytes.length; ) {
    if (++elements > MAX_ELEMENTS) throw bad('the WebM file has too many elements');
    while (open.length && at >= open[open.length - 1]!.end) open.pop();
    const id = vint(bytes, at, true);
    const size = vint(bytes, at + id.length, false);
    const start = at + id.length + size.length;
    // A segment-level element closes an unsized cluster.
    if (SEGMENT_CHILDREN.has(id.value)) while (open.length && open[open.length - 1]!.id === CLUSTER) open.pop();
    if (size.unknown && !MAY_BE_UNSIZED.has(id.value)) throw bad('an element of unknown size where a size is required');
    const end = size.unknown ? Infinity : start + size.value;
    if (end !== Infinity && end > bytes.length) throw bad('the file ends inside an element (cut short?)');
    const parentEnd = open.length ? open[open.length - 1]!.end : Infinity;
    if (end !== Infinity && end > parentEnd) throw bad('an element runs past its parent');
    if (id.value === TRACK_ENTRY) {
      track = { type: 0, codec: '' };
      tracks.push(track);
    }
    if (CONTAINERS.has(id.value)) {
      open.push({ id: id.value, end });
      if (id.value === CLUSTER) clusterTime = 0;
      at = start;
      continue;
    }
    const body = bytes.subarray(start, end);
    if (id.value === TIMECODE_SCALE) scaleNs = uint(body);
    else if (id.value === DURATION) declaredS = body.length === 4 ? body.readFloatBE(0) : body.length === 8 ? body.readDoubleBE(0) : null;
    else if (id.value === TRACK_TYPE && track) track.type = uint(body);
    else if (id.value === CODEC_ID && track) track.codec = body.toString('latin1').replace(/\0+$/, '');
    else if (id.value === TIMECODE) clusterTime = uint(body);
    else if (id.value === SIMPLE_BLOCK || id.value === BLOCK) {
      const trackNumber = vint(body, 0, false);
      if (body.length < trackNumber.length + 3) throw bad('a block is too short');
      lastBlock = Math.max(lastBlock, clusterTime + body.readInt16BE(trackNumber.length));
    }
    at = end;
  }
  if (tracks.some((t) => t.type === 1)) throw bad('a WebM file with video: send videos as MP4 or MOV');
  const audio = tracks.filter((t) => t.type === 2);
  if (audio.length !== 1) throw bad(audio.length ? 'a WebM file with several audio tracks' : 'a WebM file with no audio track');
  const codec = audio[0]!.codec === 'A_OPUS' ? 'opus' : audio[0]!.codec === 'A_VORBIS' ? 'vorbis' : null;
  if (!codec) throw bad(`audio coded as ${JSON.stringify(audio[0]!.codec.slice(0, 20))}, not Opus or Vorbis`);
  if (lastBlock < 0) throw bad('a WebM file with no sound in it');
  if (!(scaleNs > 0)) throw bad('the WebM timecode scale is malformed');
  const measured = (lastBlock * scaleNs) / 1e9;
  const durationS = declaredS !== null && Number.isFinite(declaredS) && declaredS > 0 ? Math.max(measured, (declaredS * scaleNs) / 1e9) : measured;
  return { mime: 'audio/webm', codec, durationS: Math.round(durationS * 1000) / 1000 };
}

// ---- Ogg ----

export function oggAudio(bytes: Buffer): AudioInfo {
  let codec: AudioInfo['codec'] | null = null;
  let rate = 48_000;
  let preSkip = 0;
  let serial: number | null = null;
  let lastGranule = -1n;
  let pages = 0;
  for (let at = 0; at < bytes.length; ) {
    if (++pages > MAX_ELEMENTS) throw bad('the Ogg file has too many pages');
    if (at + 27 > bytes.length || bytes.toString('latin1', at, at + 4) !== 'OggS') throw bad(at === 0 ? 'not an Ogg file' : 'the Ogg file is malformed or cut short');
    const segments = bytes[at + 26]!;
    if (at + 27 + segments > bytes.length) throw bad('the Ogg file is cut short');
    let bodyLength = 0;
    for (let i = 0; i < segments; i++) bodyLength += bytes[at + 27 + i]!;
    const bodyAt = at + 27 + segments;
    if (bodyAt + bodyLength > bytes.length) throw bad('the Ogg file is cut short');
    const pageSerial = bytes.readUInt32LE(at + 14);
    if (serial === null) {
      serial = pageSerial;
      const body = bytes.subarray(bodyAt, bodyAt + bodyLength);
      if (body.length >= 19 && body.toString('latin1', 0, 8) === 'OpusHead') {
        codec = 'opus';
        preSkip = body.readUInt16LE(10);
      } else if (body.length >= 16 && body[0] === 1 && body.toString('latin1', 1, 7) === 'vorbis') {
        codec = 'vorbis';
        rate = body.readUInt32LE(12);
      } else throw bad('an Ogg file that holds neither Opus nor Vorbis');
    } else if (pageSerial !== serial) throw bad('an Ogg file with several streams');
    const granule = bytes.readBigInt64LE(at + 6);
    if (granule > lastGranule) lastGranule = granule;
    at = bodyAt + bodyLength;
  }
  if (!codec || lastGranule <= 0n || !(rate > 0)) throw bad('an Ogg file with no sound in it');
  const samples = Number(lastGranule) - (codec === 'opus' ? preSkip : 0);
  return { mime: 'audio/ogg', codec, durationS: Math.round((Math.max(0, samples) / rate) * 1000) / 1000 };
}

/** A voice note's format and length from its bytes, or null when the bytes are neither WebM nor Ogg. */
export function sniffAudio(bytes: Buffer): AudioInfo | null {
  if (bytes.length >= 4 && bytes.readUInt32BE(0) === EBML) return webmAudio(bytes);
  if (bytes.length >= 4 && bytes.toString('latin1', 0, 4) === 'OggS') return oggAudio(bytes);
  return null;
}
