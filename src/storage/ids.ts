// Time-ordered UUIDs (version 7, RFC 9562): ids sort by creation time, which keeps indexes compact
// and makes "newest first" a cheap ORDER BY id DESC.

import { randomBytes } from 'node:crypto';

let lastMs = 0;
let counter = 0;

// Random bytes drawn from the CSPRNG a page at a time: one call per id cost more than the rest of newId.
const POOL = 4096;
let pool = Buffer.alloc(0);
let used = POOL;
function random(n: number): Buffer {
  if (used + n > pool.length) {
    pool = randomBytes(POOL);
    used = 0;
  }
  const out = pool.subarray(used, used + n);
  used += n;
  return out;
}

export function newId(now: number = Date.now()): string {
  // Within one millisecond, a 12-bit counter keeps ids from one process strictly increasing.
  if (now <= lastMs) {
    counter = (counter + 1) & 0xfff;
    if (counter === 0) lastMs += 1;
    now = lastMs;
  } else {
    lastMs = now;
    counter = random(2).readUInt16BE(0) & 0x3ff;
  }
  const bytes = Buffer.from(random(16));
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
