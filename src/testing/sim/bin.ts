#!/usr/bin/env node
/**
 * `tutti-sim`: the coding-agent CLI simulator. `tutti-sim claude -p …`, or installed under the
 * names claude, codex, gemini and cursor-agent (installSimulator of `tutti/testing`). See
 * docs/coding-agents.md "Simulator".
 */
import { main } from './runner.js';

void main(process.argv);
