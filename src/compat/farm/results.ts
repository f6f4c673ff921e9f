/**
 * Totals of farm results (seed 002 `ResultAggregator`, `aggregateResults`, `isOverallSuccess`,
 * `formatResultsMarkdown`): what `executeBatch` returns and `batch_completed` carries.
 */
import type { AggregatedResults, FarmBatchResults, FarmResult } from './types.js';

const distinct = (values: Iterable<string>): string[] => [...new Set(values)];

/** `All 3 tasks completed successfully`, `3 tasks: 1 succeeded, 1 failed, 1 blocked`, or `No tasks completed`. */
export function summarize(success: number, failure: number, blocked: number): string {
  const total = success + failure + blocked;
  if (total === 0) return 'No tasks completed';
  if (failure === 0 && blocked === 0) return `All ${success} task${success === 1 ? '' : 's'} completed successfully`;
  const parts = [success ? `${success} succeeded` : '', failure ? `${failure} failed` : '', blocked ? `${blocked} blocked` : ''].filter(Boolean);
  return `${total} tasks: ${parts.join(', ')}`;
}

function nextSteps(success: number, failure: number, blocked: number): string[] {
  const steps: string[] = [];
  if (failure) steps.push('Review the failed tasks and their issues, then execute them again');
  if (blocked) steps.push('Free or register agents for the blocked tasks, then execute them again');
  if (success && !failure && !blocked) steps.push('All tasks complete: proceed to the next phase');
  return steps;
}

/** Collects results and totals them (seed 002 `ResultAggregator`). */
export class ResultAggregator {
  #results: FarmResult[] = [];

  add(result: FarmResult): void {
    this.#results.push(result);
  }

  addAll(results: readonly FarmResult[]): void {
    this.#results.push(...results);
  }

  get count(): number {
    return this.#results.length;
  }

  /** The totals of every result added. */
  aggregate(): AggregatedResults {
    const r = this.#results;
    const successCount = r.filter((x) => x.status === 'success').length;
    const failureCount = r.filter((x) => x.status === 'failure').length;
    const blockedCount = r.filter((x) => x.status === 'blocked').length;
    return {
      summary: summarize(successCount, failureCount, blockedCount),
      successCount,
      failureCount,
      blockedCount,
      artifacts: distinct(r.flatMap((x) => x.artifacts ?? [])),
      issues: distinct(r.flatMap((x) => x.issues ?? [])),
      nextSteps: nextSteps(successCount, failureCount, blockedCount),
      totalDuration: r.reduce((sum, x) => sum + (x.duration ?? x.durationMs ?? 0), 0),
    };
  }

  /** The counts, artifacts and issues so far (for progress reports). */
  getPartial(): Partial<AggregatedResults> {
    const { successCount, failureCount, blockedCount, artifacts, issues } = this.aggregate();
    return { successCount, failureCount, blockedCount, artifacts, issues };
  }

  clear(): void {
    this.#results = [];
  }

  getResults(): FarmResult[] {
    return [...this.#results];
  }
}

/** The totals of a list of results (seed 002 `aggregateResults`). */
export function aggregateResults(results: readonly FarmResult[]): AggregatedResults {
  const a = new ResultAggregator();
  a.addAll(results);
  return a.aggregate();
}

/** The totals of a batch with its per-task results. */
export function toBatchResults(results: FarmResult[]): FarmBatchResults {
  return { ...aggregateResults(results), results };
}

/**
 * True when nothing failed or was blocked (seed 002 `isOverallSuccess`). Takes the totals
 * (`executeBatch`'s answer, `aggregateResults`) or a list of results; an empty batch is a success.
 */
export function isOverallSuccess(results: AggregatedResults | readonly FarmResult[]): boolean {
  if (Array.isArray(results)) return (results as readonly FarmResult[]).every((r) => r.status === 'success');
  const a = results as AggregatedResults;
  return a.failureCount === 0 && a.blockedCount === 0;
}

/** The totals as a markdown report (seed 002 `formatResultsMarkdown`). */
export function formatResultsMarkdown(results: AggregatedResults): string {
  const list = (title: string, items: readonly string[]) => (items.length ? `### ${title}\n\n${items.map((i) => `- ${i}`).join('\n')}\n\n` : '');
  return (
    `## Orchestration Results\n\n**Summary:** ${results.summary}\n\n` +
    `| Metric | Value |\n|--------|-------|\n| Success | ${results.successCount} |\n| Failed | ${results.failureCount} |\n| Blocked | ${results.blockedCount} |\n| Duration | ${results.totalDuration}ms |\n\n` +
    list('Artifacts', results.artifacts) +
    list('Issues', results.issues) +
    list('Next Steps', results.nextSteps)
  ).trimEnd() + '\n';
}
