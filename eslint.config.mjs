// Lint rules. The important one keeps workflow code deterministic: no Node built-ins, no activity
// implementations and no I/O libraries may be imported from workflows/ (Temporal's sandbox would
// fail at bundle time, or worse, replay would diverge).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'child_process', 'http', 'https', 'net', 'dns', 'crypto', 'stream', 'url', 'worker_threads', 'timers', 'zlib', 'events', 'util', 'process', 'buffer'];

export default tseslint.config(
  { ignores: ['node_modules/**', '.venv/**', 'data/**', 'gpu-worker/**', 'dist/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.flatMap((m) => [m, `node:${m}`]).map((name) => ({ name, message: 'Workflows must be deterministic: no Node APIs.' })),
          patterns: [
            { group: ['**/activities', '**/activities/**', '!**/activities/types'], message: 'Import activity types only (import type), never implementations.', allowTypeImports: true },
            { group: ['@temporalio/worker', '@temporalio/client', '@temporalio/activity', 'undici', 'pino', 'fastify', '@aws-sdk/*', 'playwright*', 'runpod-sdk'], message: 'No I/O libraries in workflow code.' },
          ],
        },
      ],
    },
  },
);
