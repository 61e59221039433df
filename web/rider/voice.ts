// Voice notes: many riders would rather say it than type it (Tibetan speakers especially). Recorded with
// MediaRecorder as Opus in WebM (Chrome, every Android browser), Ogg (Firefox) or AAC in MP4 (Safari on an
// iPhone), at a low bitrate that keeps two minutes under half a megabyte; the server measures and limits
// the length itself.

import type { QueuedFile } from './queue.js';

/** What the server takes, in the order we prefer. */
const TYPES = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm', 'audio/mp4'];
const EXTENSIONS: Record<string, string> = { 'audio/webm': 'webm', 'audio/ogg': 'ogg', 'audio/mp4': 'm4a' };
export const VOICE_MAX_SECONDS = 120;

export const voiceSupported = (): boolean => typeof MediaRecorder === 'function' && Boolean(navigator.mediaDevices?.getUserMedia) && TYPES.some((t) => MediaRecorder.isTypeSupported(t));

export interface Recording {
  /** Stop and keep what was said. */
  stop(): Promise<QueuedFile>;
  /** Stop and throw it away. */
  cancel(): void;
}

/** Start recording from the microphone; `onStop` is called if the recording ends by itself (the time limit). */
export async function startRecording(onStop: (file: QueuedFile) => void): Promise<Recording> {
  const mimeType = TYPES.find((t) => MediaRecorder.isTypeSupported(t))!;
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
  const recorder = new MediaRecorder(stream, { mimeType, audioBitsPerSecond: 24_000 });
  const chunks: Blob[] = [];
  recorder.ondataavailable = (event) => event.data.size && chunks.push(event.data);
  let resolveStop: ((file: QueuedFile) => void) | null = null;
  let cancelled = false;
  const finished = new Promise<QueuedFile>((resolve) => {
    recorder.onstop = () => {
      for (const track of stream.getTracks()) track.stop();
      const type = recorder.mimeType.split(';')[0] || 'audio/webm';
      const file: QueuedFile = { name: `voice.${EXTENSIONS[type] ?? 'webm'}`, type, kind: 'audio', blob: new Blob(chunks, { type }) };
      resolve(file);
      if (!cancelled) (resolveStop ?? onStop)(file);
    };
  });
  recorder.start(1000);
  const limit = setTimeout(() => recorder.state !== 'inactive' && recorder.stop(), VOICE_MAX_SECONDS * 1000);
  return {
    stop() {
      clearTimeout(limit);
      resolveStop = () => undefined;
      if (recorder.state !== 'inactive') recorder.stop();
      return finished;
    },
    cancel() {
      clearTimeout(limit);
      cancelled = true;
      if (recorder.state !== 'inactive') recorder.stop();
    },
  };
}
