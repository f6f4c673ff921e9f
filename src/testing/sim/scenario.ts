/**
 * What the CLI simulator does, per invocation: a scenario file (YAML or JSON, named by
 * `TUTTI_SIM_SCENARIO`) holds entries; each invocation runs the first entry whose `match` fits it
 * (CLI, task and attempt from `TUTTI_TASK_ID`/`TUTTI_ATTEMPT`, the CLI's call number, a prompt
 * substring, resumed or not), performs its `actions` for real (files, shell commands) while
 * printing them in the CLI's own event format, and ends with its `outcome` as the real CLI ends
 * that way (texts, events and exit codes: see each protocol module). No entry matching: the CLI
 * answers "Nothing to do." and succeeds without changing anything.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';

export const SIM_CLIS = ['claude', 'codex', 'gemini', 'cursor'] as const;
/** A CLI the simulator speaks (`cursor` is the program `cursor-agent`). */
export type SimCli = (typeof SIM_CLIS)[number];

const cli = z.enum(SIM_CLIS);
const count = z.number().int().min(0);

/** Token counts (tokens). */
export const simUsageSchema = z
  .strictObject({
    input: count.optional().describe('New (uncached) input tokens.'),
    cacheWrite: count.optional().describe('Input tokens written to the prompt cache (Claude cache_creation_input_tokens).'),
    cacheRead: count.optional().describe('Input tokens read from the prompt cache.'),
    output: count.optional().describe('Output tokens.'),
  })
  .describe('Tokens; missing fields default to a small realistic session.');

const matchSchema = z
  .strictObject({
    cli: z.union([cli, z.array(cli).min(1)]).optional().describe('Which CLI(s).'),
    task: z.string().optional().describe('TUTTI_TASK_ID of the invocation.'),
    attempt: z.number().int().positive().optional().describe('TUTTI_ATTEMPT of the invocation.'),
    call: z.number().int().positive().optional().describe("The CLI's call number in this state dir, from 1 (probes are not calls)."),
    prompt: z.string().optional().describe('A substring of the prompt.'),
    resume: z.boolean().optional().describe('Whether the invocation resumes a session.'),
  })
  .describe('All given fields must fit; none given: every invocation.');

const chatterSchema = z
  .strictObject({
    eventsPerSecond: z.number().positive().max(100_000).default(20),
    bytesPerEvent: z.number().int().min(16).max(1 << 20).default(200),
    events: z.number().int().positive().optional().describe('How many events; with `seconds`, whichever ends first.'),
    seconds: z.number().positive().optional().describe('For how long; neither events nor seconds: until killed.'),
    usage: simUsageSchema.optional().describe('Usage each chattered assistant message reports (Claude: per message id).'),
  })
  .describe('Realistic assistant/tool events at a rate, for load tests.');

/** One thing the simulated agent does, in order. Paths are relative to the cwd or absolute, with `{cwd}`, `{repo}`, `{home}`. */
export const simActionSchema = z.union([
  z.strictObject({ say: z.string().describe('Assistant text.') }),
  z.strictObject({ write: z.string().describe('File path.'), content: z.string() }),
  z.strictObject({ edit: z.string().describe('File path.'), find: z.string(), replace: z.string() }).describe('Replaces the first occurrence; a missing file or text is a failed tool call.'),
  z.strictObject({ delete: z.string().describe('File path.') }),
  z.strictObject({ read: z.string().describe('File path.') }),
  z.strictObject({ run: z.string().describe('Shell command, really executed with sh -c in the cwd.'), timeoutMs: z.number().int().positive().optional() }),
  z.strictObject({ sleep: z.number().int().min(0).describe('ms') }),
  z.strictObject({ chatter: chatterSchema }),
]);
export type SimAction = z.infer<typeof simActionSchema>;

const resetShape = {
  resetInSeconds: z.number().min(0).optional().describe('The limit resets this long after the invocation.'),
  resetAt: z.string().optional().describe('The limit resets at this ISO time (wins over resetInSeconds).'),
};

/** How the invocation ends. */
export const simOutcomeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('success'), text: z.string().optional().describe('Final answer (default: the last `say`).'), usage: simUsageSchema.optional(), costUsd: z.number().min(0).optional() }),
  z.strictObject({ kind: z.literal('error'), message: z.string().default('The agent could not finish the task.'), usage: simUsageSchema.optional(), costUsd: z.number().min(0).optional() }),
  z.strictObject({
    kind: z.literal('rate_limit'),
    ...resetShape,
    form: z.enum(['clock', 'dated', 'relative', 'none', 'legacy']).optional().describe('How the text gives the reset: clock time, date and time, a duration, not at all, or the old `…|<epoch>` form (Claude). Default: clock within 24 h, else dated.'),
    zone: z.string().optional().describe('IANA zone of the printed time (Claude prints it; Codex uses the local zone, TZ). Default UTC.'),
    window: z.enum(['five_hour', 'seven_day', 'seven_day_opus', 'seven_day_sonnet']).default('five_hour').describe('Claude rate_limit_event rateLimitType.'),
    event: z.boolean().default(true).describe('Claude: also emit the machine-readable rate_limit_event (status rejected, resetsAt).'),
  }),
  z.strictObject({ kind: z.literal('capacity'), retryInSeconds: z.number().int().min(0).optional(), model: z.string().optional() }),
  z.strictObject({ kind: z.literal('out_of_credits') }),
  z.strictObject({ kind: z.literal('auth') }),
  z.strictObject({ kind: z.literal('budget'), maxBudgetUsd: z.number().positive().optional().describe('Default: the --max-budget-usd given, else 1.'), costUsd: z.number().min(0).optional() }).describe('Claude only: result subtype error_max_budget_usd.'),
  z.strictObject({ kind: z.literal('network') }).describe('Retries an unreachable service until killed.'),
  z.strictObject({ kind: z.literal('crash'), exitCode: z.number().int().min(1).max(255).default(1), signal: z.enum(['SIGSEGV', 'SIGABRT', 'SIGKILL', 'SIGTERM', 'SIGBUS']).optional(), stderr: z.string().optional() }),
  z.strictObject({
    kind: z.literal('hang'),
    grandchild: z.boolean().default(true).describe('Also start `sleep` as a child (its pid in <state>/grandchild.<pid>).'),
    escape: z.boolean().default(false).describe('Also start one that leaves the process group (setsid; pid in <state>/escaped.<pid>).'),
  }),
  z.strictObject({ kind: z.literal('invalid_output'), text: z.string().default('this is not an event stream') }),
]);
export type SimOutcome = z.infer<typeof simOutcomeSchema>;

export const simEntrySchema = z.strictObject({
  name: z.string().optional().describe('Recorded in calls.jsonl.'),
  match: matchSchema.default({}),
  actions: z.array(simActionSchema).default([]),
  outcome: simOutcomeSchema.default({ kind: 'success' }),
});
export type SimEntry = z.infer<typeof simEntrySchema>;

const cliSettingsSchema = z.strictObject({
  version: z.string().optional().describe('What --version prints.'),
  loggedIn: z.boolean().optional().describe('Auth probes (claude auth status, codex login status, cursor-agent status). Default: logged in unless the next matching entry ends in `auth`.'),
  model: z.string().optional(),
});

/** A simulator scenario. */
export const simScenarioSchema = z.strictObject({
  version: z.literal(1).default(1),
  clis: z.partialRecord(cli, cliSettingsSchema).default({}),
  entries: z.array(simEntrySchema).default([]),
});
/** A validated scenario (defaults filled). */
export type SimScenarioResolved = z.infer<typeof simScenarioSchema>;
/** A scenario as written (what {@link writeScenario} takes). */
export type SimScenario = z.input<typeof simScenarioSchema>;

/** Why a scenario file is not usable: one line for stderr. */
export class SimScenarioError extends Error {
  override readonly name = 'SimScenarioError';
}

/**
 * Reads and validates a scenario file (YAML or JSON).
 * @throws SimScenarioError when unreadable or invalid (the message names the file and the field).
 */
export function loadScenario(file: string): SimScenarioResolved {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SimScenarioError(`cannot read scenario ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new SimScenarioError(`scenario ${file} is not YAML or JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  const r = simScenarioSchema.safeParse(raw ?? {});
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new SimScenarioError(`invalid scenario ${file}: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  return r.data;
}

/**
 * Validates a scenario and writes it (JSON when `file` ends in `.json`, else YAML).
 * @throws SimScenarioError when the scenario is invalid.
 */
export function writeScenario(file: string, scenario: SimScenario): void {
  const r = simScenarioSchema.safeParse(scenario);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new SimScenarioError(`invalid scenario: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  writeFileSync(file, file.endsWith('.json') ? `${JSON.stringify(scenario, null, 2)}\n` : stringifyYaml(scenario));
}

/** What an invocation is matched on. */
export interface SimCallKey {
  cli: SimCli;
  task?: string;
  attempt?: number;
  /** 1-based; undefined for probes (they match entries without `call`). */
  call?: number;
  prompt?: string;
  resume?: boolean;
}

/** The first entry fitting `key` (its index), or null. Fields of `key` left undefined do not exclude. */
export function matchEntry(s: SimScenarioResolved, key: SimCallKey): { entry: SimEntry; index: number } | null {
  for (let i = 0; i < s.entries.length; i++) {
    const m = s.entries[i]!.match;
    if (m.cli !== undefined && !(Array.isArray(m.cli) ? m.cli : [m.cli]).includes(key.cli)) continue;
    if (m.task !== undefined && key.task !== undefined && m.task !== key.task) continue;
    if (m.task !== undefined && key.task === undefined) continue;
    if (m.attempt !== undefined && m.attempt !== key.attempt) continue;
    if (m.call !== undefined && key.call !== undefined && m.call !== key.call) continue;
    if (m.prompt !== undefined && key.prompt !== undefined && !key.prompt.includes(m.prompt)) continue;
    if (m.resume !== undefined && key.resume !== undefined && m.resume !== key.resume) continue;
    return { entry: s.entries[i]!, index: i };
  }
  return null;
}
