/** The CLI simulator on a private PATH, with a scenario and a state dir, for tests. */
import { join } from 'node:path';
import { installSimulator, writeScenario, readCalls, readHangs, type SimCli, type SimScenario } from '../../src/testing/index.js';
import { systemPath, tmp } from '../agents/helpers.js';

export interface SimSetup {
  /** TUTTI_SIM_SCENARIO, TUTTI_SIM_STATE and a PATH of the simulator and the system's tools. */
  env: Record<string, string>;
  state: string;
  binDir: string;
  calls: () => ReturnType<typeof readCalls>;
  hangs: () => ReturnType<typeof readHangs>;
}

/** Writes `scenario` and installs the simulator (only `clis`, default all four). Needs `npm run build`. */
export function sim(scenario: SimScenario, clis?: readonly SimCli[]): SimSetup {
  const dir = tmp('tutti-sim-');
  const file = join(dir, 'scenario.yaml');
  writeScenario(file, scenario);
  const state = join(dir, 'state');
  const { binDir } = installSimulator(join(dir, 'bin'), clis ? { clis } : {});
  return { env: { TUTTI_SIM_SCENARIO: file, TUTTI_SIM_STATE: state, PATH: systemPath(binDir) }, state, binDir, calls: () => readCalls(state), hangs: () => readHangs(state) };
}
