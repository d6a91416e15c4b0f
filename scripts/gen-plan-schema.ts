/**
 * Writes gpu-worker/plan.schema.json from the zod plan schema (media/plan.ts), so the
 * Python GPU worker validates plans against exactly what the TypeScript side accepts.
 *
 *   npx tsx scripts/gen-plan-schema.ts          write the file
 *   npx tsx scripts/gen-plan-schema.ts --check  exit 1 when the file is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { planSchema } from '../media/plan';

const target = join(__dirname, '..', 'gpu-worker', 'plan.schema.json');

// io 'input': fields with defaults are optional, as they are in the JSON a plan travels as.
const schema = { title: 'AutoDark media plan', ...z.toJSONSchema(planSchema, { io: 'input' }) };
const text = `${JSON.stringify(schema, null, 2)}\n`;

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // a missing file is out of date
  }
  if (current !== text) {
    console.error(`${target} is out of date: run npx tsx scripts/gen-plan-schema.ts`);
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
