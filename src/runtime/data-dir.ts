/** Where tutti keeps its data when nothing says otherwise. */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The default data dir: `~/.tutti`. */
export function defaultDataDir(): string {
  return join(homedir(), '.tutti');
}
