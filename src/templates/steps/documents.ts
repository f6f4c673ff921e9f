/**
 * `tutti.documents`: the one place where a role's answer becomes files in the run's work dir.
 *
 * A text role (pm, architect) is executed by any agent. What it produced is read from the store:
 * - agents whose driver answers with text (`llm`, `function`, `test`): the latest successful
 *   attempt's output is the document (a string; or `{ document, files }`), and extra files are
 *   taken from fenced blocks named after them (```` ```sh scaffold.sh ````);
 * - agents that edit files themselves (`exec`, coding-agent CLIs), or a text agent that returned
 *   nothing: the files must be in the work dir already.
 * The files are then committed when the work dir is in a git repository, so worktrees branched
 * later (the engineer's) contain them. A missing file fails the step with a message meant for the
 * role, which the template's loop sends back to it as feedback.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { z } from 'zod';
import { NonRetryableError } from '../../core/errors.js';
import type { FunctionContext } from '../../agents/types.js';
import type { Store } from '../../store/types.js';
import { blockForFile, unwrapDocument } from './blocks.js';
import { commitPaths } from './git.js';
import { attemptOutput, latestSuccess } from './output.js';

/** Drivers whose attempt output is the answer text (not a log of work done on files). */
export const TEXT_DRIVERS: ReadonlySet<string> = new Set(['llm', 'function', 'test']);

export const documentsInputSchema = z.strictObject({
  from: z.string().min(1).describe('The task whose answer holds the documents.'),
  document: z.string().min(1).describe('Path of the main document, relative to the work dir.'),
  blocks: z.array(z.string().min(1)).default([]).describe('More files, taken from fenced blocks of the answer named after them.'),
  commit: z.boolean().default(true).describe('Commit the files when the work dir is in a git repository.'),
});
export type DocumentsInput = z.input<typeof documentsInputSchema>;

const structuredOutput = z.looseObject({ document: z.string().optional(), files: z.record(z.string(), z.string()).optional() });

export interface StepDeps {
  store: Store;
  dataDir: string;
  /** Environment of git and of commands run by steps. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** SIGTERM → SIGKILL grace of step commands, ms. */
  killGraceMs: number;
  /** Bytes kept of a step command's log. */
  maxLogBytes: number;
}

/** `path` inside `workDir`, absolute. @throws NonRetryableError when it leaves the work dir. */
export function insideWorkDir(workDir: string, path: string): string {
  const abs = resolve(workDir, path);
  const rel = relative(workDir, abs);
  if (isAbsolute(path) || rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new NonRetryableError(`'${path}' is not a file inside the work dir`);
  return abs;
}

function nonEmptyFile(path: string): boolean {
  try {
    return statSync(path).isFile() && statSync(path).size > 0;
  } catch {
    return false;
  }
}

/** What the answer says each file holds; null when the answer is not text to use. */
function filesFromAnswer(output: unknown, input: z.output<typeof documentsInputSchema>): { contents: Map<string, string>; missing: string[] } | null {
  const contents = new Map<string, string>();
  const missing: string[] = [];
  if (typeof output === 'string') {
    if (output.trim() === '') return null;
    contents.set(input.document, unwrapDocument(output));
    for (const f of input.blocks) {
      const block = blockForFile(output, f);
      if (block === null || block.trim() === '') missing.push(f);
      else contents.set(f, block);
    }
    return { contents, missing };
  }
  const s = structuredOutput.safeParse(output);
  if (!s.success || (s.data.document === undefined && s.data.files === undefined)) return null;
  const files = s.data.files ?? {};
  const doc = s.data.document ?? files[input.document];
  if (doc === undefined || doc.trim() === '') missing.push(input.document);
  else contents.set(input.document, doc.endsWith('\n') ? doc : `${doc}\n`);
  for (const f of input.blocks) {
    const c = files[f] ?? (s.data.document !== undefined ? blockForFile(s.data.document, f) : null);
    if (c === null || c === undefined || c.trim() === '') missing.push(f);
    else contents.set(f, c);
  }
  return { contents, missing };
}

/** The `tutti.documents` function. */
export function documentsStep(deps: StepDeps) {
  return async (ctx: FunctionContext): Promise<{ from: string; attempt: number; files: string[]; written: string[]; commit: string | null }> => {
    const parsed = documentsInputSchema.safeParse(ctx.input);
    if (!parsed.success) throw new NonRetryableError(`tutti.documents input: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const input = parsed.data;
    const paths = [input.document, ...input.blocks];
    const abs = new Map(paths.map((p) => [p, insideWorkDir(ctx.workDir, p)] as const));
    const attempt = await latestSuccess(deps.store, ctx.runId, input.from);
    if (!attempt) throw new NonRetryableError(`task '${input.from}' has no successful attempt to take documents from`);
    const agent = await deps.store.getAgent(attempt.agentId);
    const written: string[] = [];
    const answer = agent && TEXT_DRIVERS.has(agent.driver) ? filesFromAnswer(attemptOutput(attempt, deps.dataDir), input) : null;
    if (answer) {
      if (answer.missing.length) {
        throw new Error(
          `the answer of ${input.from} (attempt ${attempt.n}) lacks ${answer.missing.join(', ')}: ` +
            answer.missing.map((f) => `put ${f} in a fenced code block whose info string names it, e.g. \`\`\`sh ${f}`).join('; '),
        );
      }
      for (const [path, content] of answer.contents) {
        mkdirSync(dirname(abs.get(path)!), { recursive: true });
        writeFileSync(abs.get(path)!, content);
        written.push(path);
      }
    } else {
      const absent = paths.filter((p) => !nonEmptyFile(abs.get(p)!));
      if (absent.length) throw new Error(`${input.from} (agent ${attempt.agentId}, attempt ${attempt.n}) did not write ${absent.join(', ')} in the work dir`);
    }
    const commit = input.commit ? await commitPaths(ctx.workDir, paths, `tutti: ${input.from} writes ${paths.join(', ')} (run ${ctx.runId})`, deps.env ?? process.env) : null;
    ctx.log(`${written.length ? 'wrote' : 'kept'} ${paths.join(', ')}${commit ? ` (commit ${commit.slice(0, 12)})` : ''}`);
    return { from: input.from, attempt: attempt.n, files: paths, written, commit };
  };
}
