// The ISO-BMFF structure check (defect 8): MP4, MOV and HEIC files must be what their header says even
// where ffmpeg and heif-convert are not installed. Real files from ffmpeg and heif-enc (where installed)
// pass; files built by hand exercise each rule: boxes tiling the file, 64-bit and to-the-end sizes,
// ftyp first, the movie's video track and its chunk offsets, HEIF's meta and item locations, and the
// bounds on the work.

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ContainerError, checkContainer, checkContainerFile } from '../../src/media/container.js';
import { detectTools } from '../../src/media/process.js';
import { box, box64, ftyp, fullBox, handMadeHeic, handMadeMovie } from '../support/media.js';

const run = promisify(execFile);
const tools = await detectTools();
const work = await fs.mkdtemp(path.join(os.tmpdir(), 'gridline-container-test-'));
afterAll(() => fs.rm(work, { recursive: true, force: true }));

const refused = async (bytes: Buffer, kind: 'video' | 'heif', pattern: RegExp, quicktime = false) => {
  const error: unknown = await checkContainer(bytes, kind, quicktime).then(() => null, (e: unknown) => e);
  expect(error, `expected a refusal matching ${pattern}`).toBeInstanceOf(ContainerError);
  expect((error as Error).message).toMatch(pattern);
};

describe('movies', () => {
  it('accepts a complete movie, as MP4 and as MOV, with a 64-bit mdat and with a last box sized 0 (to the end)', async () => {
    await checkContainer(handMadeMovie(), 'video');
    await checkContainer(handMadeMovie({ quicktime: true }), 'video', true);
    await checkContainer(handMadeMovie({ largeMdat: true }), 'video');
    const toTheEnd = handMadeMovie({ mdatBytes: 300 });
    toTheEnd.writeUInt32BE(0, toTheEnd.length - 308); // the mdat's size field: 0 = to the end of the file
    expect(toTheEnd.toString('latin1', toTheEnd.length - 304, toTheEnd.length - 300)).toBe('mdat');
    await checkContainer(toTheEnd, 'video');
  });

  it('refuses junk behind the header, stray bytes after the last box, and boxes that claim more than the file holds', async () => {
    const junk = Buffer.from('not a box, just some text that a server without ffmpeg would have stored as a video '.repeat(20));
    await refused(Buffer.concat([ftyp('isom', 'isom'), junk]), 'video', /no box at byte|claims/);
    await refused(Buffer.concat([handMadeMovie(), Buffer.from([1, 2, 3])]), 'video', /3 stray bytes/);
    await refused(Buffer.concat([handMadeMovie(), box('free', Buffer.alloc(4)).subarray(0, 10)]), 'video', /claims 12 bytes; 10 remain/);
    await refused(handMadeMovie({ mdatBytes: 500 }).subarray(0, 700), 'video', /box mdat at byte \d+ claims 508 bytes/);
    const huge = handMadeMovie({ largeMdat: true });
    huge.writeBigUInt64BE(2n ** 40n, huge.length - 64 - 8); // the mdat's largesize
    await refused(huge, 'video', /claims 1099511627776 bytes/);
  });

  it('needs ftyp first (MOV may open the classic QuickTime way), one moov, a video track and media data', async () => {
    const movie = handMadeMovie();
    const ftypLength = movie.readUInt32BE(0);
    const withoutFtyp = movie.subarray(ftypLength);
    await refused(withoutFtyp, 'video', /starts with moov, not ftyp/);
    // A classic QuickTime file may open with free space (or wide, moov, mdat) instead of ftyp; an MP4 may not.
    const classic = handMadeMovie({ quicktime: true });
    const opened = Buffer.concat([box('free', Buffer.alloc(classic.readUInt32BE(0) - 8)), classic.subarray(classic.readUInt32BE(0))]);
    await checkContainer(opened, 'video', true);
    await refused(opened, 'video', /starts with free, not ftyp/);
    await refused(Buffer.concat([ftyp('isom', 'isom'), box('mdat', Buffer.alloc(10))]), 'video', /has no moov/);
    await refused(Buffer.concat([ftyp('isom', 'isom'), box('moov', fullBox('mvhd', 0, Buffer.alloc(96))), box('mdat', Buffer.alloc(10))]), 'video', /no video track/);
    const noMdat = Buffer.from(movie.subarray(0, movie.length - 72));
    await refused(noMdat, 'video', /no mdat/);
    await refused(Buffer.concat([ftyp('isom', 'isom'), ftyp('isom', 'isom')]), 'video', /several ftyp/);
  });

  it('refuses a video track whose chunks lie outside the media data', async () => {
    const movie = handMadeMovie();
    const at = movie.indexOf(Buffer.from('stco', 'latin1'));
    movie.writeUInt32BE(5, at + 12); // the first chunk offset, into the ftyp
    await refused(movie, 'video', /chunk 1 of a video track lies outside the media data/);
  });

  it('bounds its work: at most 100,000 boxes', async () => {
    const free = box('free');
    const many = Buffer.concat([ftyp('isom', 'isom'), ...Array.from({ length: 100_001 }, () => free)]);
    const started = performance.now();
    await refused(many, 'video', /more than 100000 boxes/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it.skipIf(!tools.ffmpeg)('accepts what ffmpeg writes: MP4, MOV with sound, fragmented MP4 (files on disk)', async () => {
    const make = async (name: string, args: string[]) => {
      const file = path.join(work, name);
      await run(tools.ffmpeg!, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=duration=1:size=160x120:rate=10', ...args, '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', file], { timeout: 20_000 });
      return file;
    };
    await checkContainerFile(await make('a.mp4', []), 'video');
    await checkContainerFile(await make('a.mov', ['-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac']), 'video', true);
    await checkContainerFile(await make('frag.mp4', ['-movflags', 'frag_keyframe+empty_moov']), 'video');
    const faststart = await make('fast.mp4', ['-movflags', '+faststart']);
    await checkContainerFile(faststart, 'video');
    // The same file with junk appended is refused.
    await fs.appendFile(faststart, Buffer.alloc(100, 0xff));
    await expect(checkContainerFile(faststart, 'video')).rejects.toThrow(ContainerError);
  });
});

describe('HEIF', () => {
  it('accepts a complete HEIC and refuses one missing what a decoder needs', async () => {
    await checkContainer(handMadeHeic(), 'heif');
    const heic = handMadeHeic();
    const rename = (from: string, to: string) => {
      const copy = Buffer.from(heic);
      copy.write(to, copy.indexOf(Buffer.from(from, 'latin1')), 'latin1');
      return copy;
    };
    await refused(rename('pitm', 'pitx'), 'heif', /meta has no pitm/);
    await refused(rename('iloc', 'ilox'), 'heif', /meta has no iloc/);
    await refused(rename('iprp', 'iprx'), 'heif', /meta has no iprp/);
    await refused(rename('pict', 'vide'), 'heif', /handler is "vide", not pict/);
    await refused(Buffer.concat([ftyp('heic', 'mif1', 'heic'), box('mdat', Buffer.alloc(100))]), 'heif', /has no meta/);
  });

  it('refuses a primary item without a location, and items that lie outside the file', async () => {
    const heic = handMadeHeic();
    const pitm = heic.indexOf(Buffer.from('pitm', 'latin1'));
    const other = Buffer.from(heic);
    other.writeUInt16BE(7, pitm + 8); // the primary item is now item 7
    await refused(other, 'heif', /primary item 7 has no location/);
    const far = Buffer.from(heic);
    const iloc = far.indexOf(Buffer.from('iloc', 'latin1'));
    far.writeUInt32BE(heic.length + 10, iloc + 4 + 4 + 2 + 2 + 2 + 2 + 2); // the extent's offset, past the end
    await refused(far, 'heif', /item 1 lies outside the file/);
    await refused(Buffer.concat([ftyp('heic', 'mif1', 'heic'), Buffer.alloc(300, 0x41)]), 'heif', /box AAAA at byte 24 claims/);
    await refused(Buffer.concat([ftyp('heic', 'mif1', 'heic'), Buffer.alloc(300, 0x01)]), 'heif', /no box at byte 24/);
  });

  it('reads 64-bit box sizes at the top level', async () => {
    const heic = handMadeHeic();
    const ftypLength = heic.readUInt32BE(0);
    const rest = heic.subarray(ftypLength);
    // The same file with ftyp as a 64-bit box: 8 bytes longer, so the item's offset moves by 8.
    const big = Buffer.concat([box64('ftyp', heic.subarray(8, ftypLength)), rest]);
    const iloc = big.indexOf(Buffer.from('iloc', 'latin1'));
    const offsetAt = iloc + 4 + 4 + 2 + 2 + 2 + 2 + 2;
    big.writeUInt32BE(big.readUInt32BE(offsetAt) + 8, offsetAt);
    await checkContainer(big, 'heif');
  });

  const heifEnc = tools.heifConvert ? path.join(path.dirname(tools.heifConvert), 'heif-enc') : null;
  it.skipIf(!heifEnc || !tools.ffmpeg)('accepts what heif-enc writes', async () => {
    const jpeg = path.join(work, 'in.jpg');
    await run(tools.ffmpeg!, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240', '-frames:v', '1', jpeg]);
    const heic = path.join(work, 'out.heic');
    await run(heifEnc!, ['-q', '40', jpeg, '-o', heic], { timeout: 15_000 });
    await checkContainerFile(heic, 'heif');
  });
});
