/**
 * `npm run bench`: every media benchmark, one after another (each writes bench/results/<name>.json).
 * The load benchmark (`npm run bench:load`) is separate: it measures the API, not media work.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const BENCHES = ['media-ops.ts', 'img2vid.ts', 'img2vid-jobs.ts', 'gpu-overhead.ts'];

for (const bench of BENCHES) {
  console.log(`\n=== bench/${bench}`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', resolve(__dirname, bench)], { stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`bench/${bench} failed (exit ${run.status ?? run.signal})`);
    process.exit(1);
  }
}
