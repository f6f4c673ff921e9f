/** Reading a text file the CLI was given, with a size limit (no parser loaded here: every command may use it). */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from './errors.js';

/**
 * Reads a text file (`-`: stdin) of at most `maxBytes`; a larger regular file is refused before
 * it is read. @throws UsageError (unreadable, or too large)
 */
export function readTextFile(path: string, what: string, maxBytes: number): string {
  let text: string;
  try {
    if (path !== '-') {
      const fd = openSync(resolve(path), 'r');
      try {
        const st = fstatSync(fd);
        if (st.isFile() && st.size > maxBytes) throw new UsageError(`${what} ${path} is larger than ${maxBytes} bytes (${st.size})`);
        text = readFileSync(fd, 'utf8');
      } finally {
        closeSync(fd);
      }
    } else text = readFileSync(0, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (text.length > maxBytes) throw new UsageError(`${what} ${path} is larger than ${maxBytes} bytes`);
  return text;
}
