// What the benchmarks that run a real server need: a free port and the gridline CLI as a child process.

import { execFile } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

/** The built CLI (dist-bench/src/cli.js beside dist-bench/bench/). */
export const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Run `gridline ARGS` to completion; its standard output, or an error naming the command. */
export function cli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { env, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`gridline ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}
