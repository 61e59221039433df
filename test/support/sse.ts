// A Server-Sent Events reader for tests over real HTTP: fetch's body read block by block, as it arrives.

import type { LiveEvent } from '../../src/services/notify/live.js';

export interface SseBlock {
  id?: string;
  event: string;
  data: string;
  retry?: string;
  comment?: string;
}

/** A stream read with fetch: its blocks one at a time, as they arrive. */
export class Stream {
  private readonly blocks: SseBlock[] = [];
  private waiter?: () => void;
  private buffer = '';
  done = false;
  readonly ended: Promise<void>;

  private constructor(
    readonly response: Response,
    private readonly abort: AbortController,
  ) {
    this.ended = this.pump();
  }

  static async open(base: string, path: string, headers: Record<string, string> = {}): Promise<Stream> {
    const abort = new AbortController();
    const response = await fetch(`${base}${path}`, { headers, signal: abort.signal });
    return new Stream(response, abort);
  }

  private async pump(): Promise<void> {
    if (!this.response.body) return;
    const reader = this.response.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        this.buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = this.buffer.indexOf('\n\n')) >= 0) {
          const text = this.buffer.slice(0, end);
          this.buffer = this.buffer.slice(end + 2);
          const block: SseBlock = { event: 'message', data: '' };
          for (const line of text.split('\n')) {
            const colon = line.indexOf(':');
            const field = line.slice(0, colon);
            const value = line.slice(colon + 1).replace(/^ /, '');
            if (colon === 0) block.comment = value;
            else if (field === 'id') block.id = value;
            else if (field === 'event') block.event = value;
            else if (field === 'data') block.data += value;
            else if (field === 'retry') block.retry = value;
          }
          this.blocks.push(block);
          this.waiter?.();
        }
      }
    } catch {
      // Aborted by close().
    } finally {
      this.done = true;
      this.waiter?.();
    }
  }

  /** The next block that matches (others are passed over), within `ms`. */
  async next(match: (b: SseBlock) => boolean = () => true, ms = 3000): Promise<SseBlock> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.blocks.findIndex(match);
      if (i >= 0) return this.blocks.splice(0, i + 1).at(-1)!;
      if (this.done) throw new Error('the stream ended');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching block within ${ms} ms; had: ${JSON.stringify(this.blocks)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** The next `event: case`, as its data. */
  async nextCase(ms = 3000): Promise<LiveEvent & { id: string | undefined }> {
    const block = await this.next((b) => b.event === 'case', ms);
    return { ...(JSON.parse(block.data) as LiveEvent), id: block.id };
  }

  /** Up to `ready` (resuming: the events replayed before it, and a reset if one came). */
  async untilReady(): Promise<{ ready: number; before: SseBlock[] }> {
    const before: SseBlock[] = [];
    for (;;) {
      const block = await this.next();
      if (block.event === 'ready') return { ready: Number(block.id), before };
      if (block.retry === undefined && block.comment === undefined) before.push(block);
    }
  }

  close(): void {
    this.abort.abort();
  }
}

export const waitFor = async (check: () => boolean, ms = 2000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};
