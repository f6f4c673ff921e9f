/**
 * The cases `npm run bench:peers` runs on every system, and which systems run each: W1 (chain
 * 1,000 and 10,000 no-op), W2 (fan 1,000 + join), W3 (the chain and the fan with `true`
 * processes, 2 at a time), W7 (store bytes per step after W1's chains), W4 (the WfCommons DAGs).
 */
import { chainDag, fanDag } from './shapes.js';

/**
 * @typedef {{ key: string, id: string, title: string, dag: import('./shapes.js').Dag,
 *   mode: import('./work.js').Mode, bytes: boolean, big: boolean }} Case
 * @returns {Case[]}
 */
export function throughputCases() {
  return [
    { key: 'chain1k', id: 'W1', title: 'chain 1,000', dag: chainDag(1000), mode: 'noop', bytes: true, big: false },
    { key: 'chain10k', id: 'W1', title: 'chain 10,000', dag: chainDag(10000), mode: 'noop', bytes: true, big: true },
    { key: 'fan1k', id: 'W2', title: 'fan 1,000 + join', dag: fanDag(1000), mode: 'noop', bytes: false, big: false },
    { key: 'execChain', id: 'W3', title: 'exec chain 1,000', dag: chainDag(1000), mode: 'exec', bytes: false, big: false },
    { key: 'execFan', id: 'W3', title: 'exec fan 1,000 + join', dag: fanDag(1000), mode: 'exec', bytes: false, big: false },
  ];
}

/** @param {{ modes?: string[] }} system @param {Case} c */
export const runsCase = (system, c) => (system.modes ?? ['noop', 'sleep', 'exec']).includes(c.mode);
