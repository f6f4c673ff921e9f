/**
 * Agent config of the CLI drivers (`claude`, `codex`, `gemini`, `cursor`) and of the `coding`
 * driver, as zod schemas: the boundary where a config file or plan meets the drivers.
 */
import { z } from 'zod';
import { budgetLimitsSchema } from './budget.js';
import { CLI_NAMES, type CliName } from './types.js';

const cliEnum = z.enum(CLI_NAMES);
const perCli = <T extends z.ZodType>(t: T) => z.partialRecord(cliEnum, t);

/** Settings shared by every driver that runs coding-agent CLIs. */
export const cliSettingsShape = {
  model: z.string().min(1).max(200).optional().describe('Model override (--model / -m) for every CLI.'),
  programs: perCli(z.string().min(1).max(4096)).optional().describe('Program per CLI (path or name on PATH). Default claude, codex, gemini, cursor-agent.'),
  flags: perCli(z.array(z.string().max(4096)).max(100)).optional().describe("Replace a CLI's default permission/sandbox flags."),
  args: perCli(z.array(z.string().max(65_536)).max(100)).optional().describe('Extra argv appended per CLI.'),
  cliTimeoutMs: z.number().int().positive().max(7 * 24 * 3600_000).optional().describe('Hard timeout of one CLI run, ms. Default 1800000 (30 min).'),
  networkRetries: z.number().int().min(1).max(1000).optional().describe('Retries of an unreachable service before a CLI counts as unavailable. Default 5.'),
  env: z.record(z.string(), z.string()).optional().describe('Extra environment of the CLIs.'),
  killGraceMs: z.number().int().min(0).max(600_000).optional().describe('SIGTERM → SIGKILL grace, ms. Default: the engine’s.'),
};

export const cliAgentConfigSchema = z.looseObject(cliSettingsShape);
export type CliAgentConfig = z.infer<typeof cliAgentConfigSchema>;

/** Config of `coding` agents: a CLI fallback chain, or a command, run in the task's workspace. */
export const codingAgentConfigSchema = z
  .looseObject({
    ...cliSettingsShape,
    cli: z
      .union([cliEnum, z.array(cliEnum).min(1).max(CLI_NAMES.length)])
      .optional()
      .describe('A CLI or a fallback chain, e.g. [claude, codex, gemini].'),
    command: z.array(z.string().max(65_536)).min(1).max(10_000).optional().describe('Or a command (argv; `{prompt}` becomes the prompt, else the prompt goes to stdin).'),
    validateTimeoutMs: z.number().int().positive().optional().describe('Timeout of each validation command, ms. Default 600000 (10 min).'),
    setupTimeoutMs: z.number().int().positive().optional().describe('Timeout of the setup command, ms. Default 600000 (10 min).'),
    budget: budgetLimitsSchema.optional().describe('Budget of each run of this agent (wall ms, tokens, USD), reserved per attempt before dispatch.'),
  })
  .refine((c) => (c.cli === undefined) !== (c.command === undefined), { message: 'a coding agent needs exactly one of cli (a CLI or a chain) or command' });
export type CodingAgentConfig = z.infer<typeof codingAgentConfigSchema>;

/** The chain of a coding config, without repeats. */
export function chainOf(cli: CliName | CliName[] | undefined): CliName[] {
  if (cli === undefined) return [];
  return [...new Set(Array.isArray(cli) ? cli : [cli])];
}

/** `path: message; …` of zod issues. */
export function issuesText(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ');
}

/** Parses the comma list of `--agent-cli` (`claude,codex,gemini`). @throws Error naming the unknown CLI. */
export function parseCliList(text: string): CliName[] {
  const names = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (names.length === 0) throw new Error('--agent-cli needs a CLI name (claude, codex, gemini, cursor)');
  for (const n of names) if (!(CLI_NAMES as readonly string[]).includes(n)) throw new Error(`unknown CLI '${n}' (known: ${CLI_NAMES.join(', ')})`);
  return [...new Set(names as CliName[])];
}
