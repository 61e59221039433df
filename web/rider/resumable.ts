// Videos go through Gridline's resumable upload (tus 1.0 at /api/v1/uploads) in 512 KB chunks: on a weak
// signal a 20 MB video sent in one request would start again from nothing after every drop. The upload's
// address is kept with the queued report, so after a lost connection, a closed app or a reboot the next
// try asks the server how far it got (HEAD) and sends only the rest.

import { ApiError, request, type RequestOptions, type Session } from '../shared/api.js';

export const CHUNK_BYTES = 512 * 1024;
/** Videos above this go resumable; smaller files travel inside the report's own form. */
export const RESUMABLE_ABOVE = 1024 * 1024;

export interface UploadState {
  url: string | null;
  mediaId: string | null;
}

/** A tus request: the protocol's version header on top of the app's own request (session, errors). */
const tus = (url: string, session: Session, init: RequestOptions) => request(url, { ...init, session, headers: { ...init.headers, 'tus-resumable': '1.0.0' } });

const b64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

/**
 * Send `blob` resumably, from wherever the server says it stands; `progress` is told of the upload's address
 * as soon as it exists (to keep with the report) and of each chunk. Returns the media id.
 */
export async function uploadResumable(blob: Blob, name: string, state: UploadState, session: Session, progress: (state: UploadState, sent: number) => Promise<void>): Promise<string> {
  if (state.mediaId) return state.mediaId;
  let url = state.url;
  let offset = 0;
  if (url) {
    try {
      const head = await tus(url, session, { method: 'HEAD' });
      const done = head.headers.get('gridline-media-id');
      if (done) return done;
      offset = Number(head.headers.get('upload-offset') ?? 0);
    } catch (error) {
      // Gone (expired, or refused and dropped): start again.
      if (!(error instanceof ApiError) || (error.status !== 404 && error.status !== 410)) throw error;
      url = null;
    }
  }
  if (!url) {
    const created = await tus('/api/v1/uploads', session, { method: 'POST', headers: { 'upload-length': String(blob.size), 'upload-metadata': `filename ${b64(name)},filetype ${b64(blob.type || 'application/octet-stream')}` } });
    url = created.headers.get('location');
    if (!url) throw new ApiError(0, 'offline', 'The upload was not started.');
    offset = 0;
    await progress({ url, mediaId: null }, 0);
  }
  for (;;) {
    const answer = await tus(url, session, { method: 'PATCH', headers: { 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset) }, body: blob.slice(offset, offset + CHUNK_BYTES) });
    const mediaId = answer.headers.get('gridline-media-id');
    if (mediaId) {
      await progress({ url, mediaId }, blob.size);
      return mediaId;
    }
    offset = Number(answer.headers.get('upload-offset') ?? offset + CHUNK_BYTES);
    await progress({ url, mediaId: null }, offset);
  }
}
