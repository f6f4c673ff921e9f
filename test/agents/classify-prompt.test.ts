/** Reset times in quota messages, and the prompt an agent gets (criteria, context, rules, feedback). */
import { describe, expect, it } from 'vitest';
import { cleanFeedback, composePrompt, parseDuration, parseResetTime } from '../../src/agents/drivers/cli/index.js';
import { splitCommandLine } from '../../src/workspace/index.js';
import { isTuttiError } from '../../src/core/errors.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');

describe('parseResetTime', () => {
  it.each([
    ['Claude AI usage limit reached|1773151200', 1773151200_000],
    ['usage limit reached, resets at 2026-03-10T15:30:00Z', Date.parse('2026-03-10T15:30:00Z')],
    ['try again in 2 days 3 hours 5 minutes', NOW + ((2 * 24 + 3) * 60 + 5) * 60_000],
    ['Please retry in 12.5s.', NOW + 12_500],
    ['Please retry in 800ms', NOW + 800],
    ['Your quota will reset after 1h5m3s.', NOW + 3_903_000],
    ['429 Too Many Requests; Retry-After: 30', NOW + 30_000],
    ["You've hit your limit · resets 7pm (UTC)", Date.parse('2026-03-10T19:00:00Z')],
    ['5-hour limit reached ∙ resets 3am (UTC)', Date.parse('2026-03-11T03:00:00Z')],
    ['try again at 11:15 AM UTC', Date.parse('2026-03-11T11:15:00Z')],
    ['resets 8pm (Europe/Berlin)', Date.parse('2026-03-10T19:00:00Z')],
    // Claude Code 2.1: clock and dated forms with the zone it names.
    ["You've hit your limit · resets 6:20pm (Europe/Berlin)", Date.parse('2026-03-10T17:20:00Z')],
    ["You've hit your limit · resets Apr 23 at 4pm (America/Recife)", Date.parse('2026-04-23T19:00:00Z')],
    ["You've hit your limit · resets Jan 2, 2027 at 4pm (UTC)", Date.parse('2027-01-02T16:00:00Z')],
    // A date without a year already past this year is next year's.
    ["You've hit your limit · resets Feb 16, 11am (Europe/Berlin)", Date.parse('2027-02-16T10:00:00Z')],
    // Codex error.rs: local time, the same day or dated; ModelCapError's short duration.
    ["You've hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits or try again at Dec 3rd, 2026 7:34 AM.", new Date(2026, 11, 3, 7, 34).getTime()],
    ['Model boomslang is at capacity. Please try a different model. Try again in 2m.', NOW + 120_000],
    ['Selected model is at capacity. Try again in less than a minute.', NOW + 60_000],
    // Gemini (server message) and its retry hint.
    ['You have exhausted your capacity on this model. Your quota will reset after 1h5m3s.', NOW + 3_903_000],
    ['Quota exceeded.\nSuggested retry after 60s.', NOW + 60_000],
  ])('%s', (text, expected) => {
    expect(parseResetTime(text, NOW)).toBe(expected);
  });

  it('a clock time without a zone is local time, the next time the clock shows it', () => {
    const next = new Date(NOW);
    next.setHours(7, 34, 0, 0);
    if (next.getTime() <= NOW) next.setDate(next.getDate() + 1);
    expect(parseResetTime("You've hit your usage limit. Try again at 7:34 AM.", NOW)).toBe(next.getTime());
  });

  it('is undefined when the text gives no time, and never in the past', () => {
    expect(parseResetTime('rate limit exceeded', NOW)).toBeUndefined();
    expect(parseResetTime('usage limit reached|1000000000', NOW)).toBe(NOW);
  });

  it('reads only a contiguous duration', () => {
    expect(parseDuration('3 hours, 5 minutes and 10 seconds')).toBe((3 * 3600 + 5 * 60 + 10) * 1000);
    expect(parseDuration('2 hours or upgrade to 5 seats')).toBe(2 * 3600_000);
    expect(parseDuration('no numbers')).toBeUndefined();
  });
});

describe('composePrompt', () => {
  const task = {
    title: 'fix',
    prompt: 'Fix the failing test in src/sum.js',
    acceptanceCriteria: ['npm test passes', 'no new dependency'],
    context: '# Conventions\nUse tabs.',
    allowedPaths: ['src/'],
    forbiddenPaths: ['dist/**'],
  };

  it('puts the task, criteria, rules, validation commands and context in order', () => {
    const p = composePrompt({ task, validate: ['npm test'], feedback: null, iteration: 1 });
    const order = ['Fix the failing test', '## Acceptance criteria', '- npm test passes', '## Rules', 'Change only files matching: src/', 'Do not change files matching: dist/**', '`npm test`', '## Context', 'Use tabs.'];
    let at = -1;
    for (const part of order) {
      const i = p.indexOf(part);
      expect(i, part).toBeGreaterThan(at);
      at = i;
    }
    expect(p).not.toContain('Feedback');
  });

  it('adds the previous attempt’s feedback without the JSON artifacts line the engine appends', () => {
    const feedback = 'attempt 1 failed: validation failed: `npm test` exited with code 1\nexpected 3, got 2\n{"commits":[{"sha":"abc","subject":"x"}],"testLog":"/t","changedFiles":["a"],"tutti":"coding-attempt"}';
    const p = composePrompt({ task, feedback, iteration: 2, maxIterations: 3 });
    expect(p).toContain('## Feedback from the previous attempt (this is iteration 2 of 3)');
    expect(p).toContain('expected 3, got 2');
    expect(p).not.toContain('"commits"');
    expect(cleanFeedback('only text')).toBe('only text');
  });

  it('cuts a huge context and keeps the end of a huge feedback', () => {
    const p = composePrompt({ task: { ...task, context: 'c'.repeat(200_000) }, feedback: `${'x'.repeat(20_000)}THE END`, iteration: 2 });
    expect(p.length).toBeLessThan(100_000);
    expect(p).toContain('more characters cut');
    expect(p).toContain('THE END');
  });
});

describe('splitCommandLine (validate and setup commands, no shell)', () => {
  it('splits words and honours quotes and escapes', () => {
    expect(splitCommandLine('npm test')).toEqual(['npm', 'test']);
    expect(splitCommandLine(`node -e "console.log('a b')" x\\ y ''`)).toEqual(['node', '-e', "console.log('a b')", 'x y', '']);
    expect(splitCommandLine(`sh -c 'npm test && npm run lint'`)).toEqual(['sh', '-c', 'npm test && npm run lint']);
  });

  it.each(['npm test && npm run lint', 'npm test | tee log', 'echo $HOME', 'CI=1 npm test', 'a > b', 'echo "$(id)"', '"unclosed', '   '])('refuses %j with a typed error', (line) => {
    let err: unknown;
    try {
      splitCommandLine(line);
    } catch (e) {
      err = e;
    }
    expect(isTuttiError(err, 'ERR_INVALID_INPUT')).toBe(true);
  });

  it('tells how to use a shell when one is needed', () => {
    expect(() => splitCommandLine('npm test && npm run lint')).toThrow(/sh -c 'npm test && npm run lint'/);
  });
});
