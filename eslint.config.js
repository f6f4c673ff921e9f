// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', 'bench/peers/', 'web/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setImmediate: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', Buffer: 'readonly', performance: 'readonly', fetch: 'readonly', AbortController: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The engine core is logic over interfaces: no concrete store, driver, process or HTTP.
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['node:child_process', 'child_process', 'node:fs', 'fs', 'node:fs/promises', 'better-sqlite3', 'pg', 'node:http', 'node:net', 'commander'],
        patterns: [
          { group: ['**/store/sqlite/**', '**/store/postgres/**'], message: 'core depends on the Store interface only' },
          { group: ['**/agents/drivers/**', '**/agents/process*'], message: 'core depends on the AgentDriver interface only' },
          { group: ['**/cli/**', '**/server/**', '**/compat/**'], message: 'core is imported by faces, never the reverse' },
        ],
      }],
    },
  },
  {
    // Only the CLI reads argv, env and config files.
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', 'src/**/*.test.ts', 'src/testing/**'],
    rules: {
      'no-restricted-properties': ['error',
        { object: 'process', property: 'argv', message: 'argv is read only in src/cli' },
      ],
    },
  },
);
