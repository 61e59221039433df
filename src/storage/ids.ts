// Time-ordered UUIDs (version 7, RFC 9562): ids sort by creation time, which keeps indexes compact
// and makes "newest first" a cheap ORDER BY id DESC.

import { randomBytes } from 'node:crypto';

let lastMs = 0;
let counter = 0;

export function newId(now: number = Date.now()): string {
  // Within one millisecond, a 12-bit counter keeps ids from one process strictly increasing.
  if (now <= lastMs) {
    counter = (counter + 1) & 0xfff;
    if (counter === 0) lastMs += 1;
    now = lastMs;
  } else {
    lastMs = now;
    counter = randomBytes(2).readUInt16BE(0) & 0x3ff;
  }
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
