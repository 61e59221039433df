// Choosing the media store from one configuration string (e.g. GRIDLINE_MEDIA):
//   data/media | /srv/media | local:DIR | file:///srv/media           -> LocalMediaStore
//   s3://BUCKET/PREFIX?endpoint=http://host:9000&region=us-east-1&forcePathStyle=true -> S3MediaStore
// S3 credentials never go in the string: the SDK reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or a
// profile or role) as usual.

import { fileURLToPath } from 'node:url';
import { S3MediaStore, type S3MediaStoreOptions } from './s3.js';
import { LocalMediaStore } from './store.js';
import type { MediaStore } from './types.js';

export type MediaStoreConfig = { driver: 'local'; root: string } | { driver: 's3'; options: S3MediaStoreOptions };

const ACCEPTED = 'a directory path, local:DIR, file:///DIR or s3://BUCKET/PREFIX?endpoint=URL&region=REGION&forcePathStyle=true';
const S3_PARAMS = new Set(['endpoint', 'region', 'forcePathStyle']);

/** Parses a media store string without creating anything; throws an Error naming the accepted forms. */
export function parseMediaStoreUrl(url: string): MediaStoreConfig {
  const text = url.trim();
  if (text === '') throw new Error(`the media store is empty: use ${ACCEPTED}`);
  // A scheme is two or more letters before ':' (so a Windows drive letter such as C:\ stays a path).
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) return { driver: 'local', root: text };
  if (scheme === 'local') {
    const root = text.slice('local:'.length);
    if (root === '') throw new Error(`"${text}" names no directory: use local:DIR, e.g. local:data/media`);
    return { driver: 'local', root };
  }
  if (scheme === 'file') return { driver: 'local', root: fileURLToPath(text) };
  if (scheme === 's3') return { driver: 's3', options: parseS3(text) };
  throw new Error(`unsupported media store "${text.slice(0, 80)}" (scheme ${scheme}:): use ${ACCEPTED}`);
}

/** The store a configuration string names. */
export function mediaStoreFromUrl(url: string): MediaStore {
  const config = parseMediaStoreUrl(url);
  return config.driver === 'local' ? new LocalMediaStore(config.root) : new S3MediaStore(config.options);
}

function parseS3(text: string): S3MediaStoreOptions {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`"${text}" is not a valid URL: use s3://BUCKET/PREFIX?endpoint=URL&region=REGION&forcePathStyle=true`);
  }
  if (url.username || url.password) {
    throw new Error('put S3 credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, not in the media store URL');
  }
  if (!url.hostname) throw new Error(`"${text}" names no bucket: use s3://BUCKET/PREFIX`);
  const options: S3MediaStoreOptions = { bucket: url.hostname, prefix: decodeURIComponent(url.pathname).replace(/^\/+/, '') };
  for (const [name, value] of url.searchParams) {
    if (!S3_PARAMS.has(name)) throw new Error(`unknown S3 media store parameter "${name}": accepted are ${[...S3_PARAMS].join(', ')}`);
    if (name === 'endpoint') {
      if (!/^https?:\/\/[^/]/.test(value)) throw new Error(`S3 endpoint "${value}" must be an http:// or https:// URL`);
      options.endpoint = value;
    } else if (name === 'region') {
      options.region = value;
    } else {
      if (value !== 'true' && value !== 'false') throw new Error(`forcePathStyle must be true or false, not "${value}"`);
      options.forcePathStyle = value === 'true';
    }
  }
  return options;
}
