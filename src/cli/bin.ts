#!/usr/bin/env node
/** Entry of the `tutti`, `orch` and `ai_orch` binaries. */
import { basename } from 'node:path';
import { guardPipes } from './pipes.js';
import { main } from './main.js';

guardPipes();

main(process.argv.slice(2), basename(process.argv[1] ?? '')).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`tutti: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
