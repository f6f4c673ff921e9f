/** Every CLI adapter by name. */
import { claudeAdapter } from './claude.js';
import { codexAdapter } from './codex.js';
import { cursorAdapter } from './cursor.js';
import { geminiAdapter } from './gemini.js';
import type { CliAdapter, CliName } from './types.js';

export const CLI_ADAPTERS: Readonly<Record<CliName, CliAdapter>> = {
  claude: claudeAdapter,
  codex: codexAdapter,
  gemini: geminiAdapter,
  cursor: cursorAdapter,
};
