/** Starts `tutti serve` (the built CLI) as a real process and waits for its URL. */
import type { ChildProcess } from 'node:child_process';
import { startCli } from '../helpers/cli.js';

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  stderr(): string;
  stdout(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export async function startServe(args: string[], options: { dataDir: string; env?: Record<string, string>; timeoutMs?: number }): Promise<ServeProcess> {
  const child = startCli(['serve', '--port', '0', ...args], { dataDir: options.dataDir, env: options.env ?? {} });
  let err = '';
  let out = '';
  // Drained, so a chatty server never blocks on a full pipe.
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tutti serve did not start: ${err}`)), options.timeoutMs ?? 20_000);
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`tutti serve exited with ${code}: ${err}`));
    });
  });
  return {
    child,
    url,
    stderr: () => err,
    stdout: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
