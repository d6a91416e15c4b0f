/**
 * The deployment files as a user runs them: `docker compose up` with no .env, `--scale worker=N`,
 * `--profile gpu`. No Docker engine exists here or in CI, so scripts/validate-deploy.sh checks the
 * files statically (compose-go, hadolint, shellcheck) and these tests assert on the Compose model
 * compose-go resolved, i.e. exactly what `docker compose` would run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const TOOLS = join(ROOT, '.tmp', 'deploy-tools');

interface HealthCheck { test?: string[]; disable?: boolean }
interface ServiceVolume { type: string; source?: string; target: string }
interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  container_name?: string;
  ports?: { target: number; published?: string }[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: HealthCheck;
  restart?: string;
  entrypoint?: string[] | null;
  command?: string[] | null;
  environment?: Record<string, string | null>;
  volumes?: ServiceVolume[];
  deploy?: { resources?: { reservations?: { devices?: { driver?: string; capabilities?: string[] }[] } } };
}
interface ComposeModel { services: Record<string, Service>; volumes: Record<string, unknown> }

let validation: { status: number | null; output: string };
let model: ComposeModel;

beforeAll(() => {
  const run = spawnSync('bash', [join(ROOT, 'scripts/validate-deploy.sh')], {
    encoding: 'utf8',
    env: { ...process.env, DEPLOY_TOOLS_DIR: TOOLS },
  });
  validation = { status: run.status, output: `${run.stdout}${run.stderr}` };
  if (run.status === 0) model = JSON.parse(readFileSync(join(TOOLS, 'docker-compose.model.json'), 'utf8'));
}, 600_000);

const services = (): Record<string, Service> => {
  if (!model) throw new Error('scripts/validate-deploy.sh failed, so there is no Compose model (see the first test)');
  return model.services;
};
const service = (name: string): Service => {
  const found = services()[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
};
const isOneShot = (s: Service) => s.restart === 'no' && s.profiles === undefined;
const isHealthChecked = (s: Service) => Boolean(s.healthcheck?.test?.length) && !s.healthcheck?.disable;

describe('static validation', () => {
  it('passes compose-go, hadolint and shellcheck for every deployment file', () => {
    expect(validation.status, validation.output).toBe(0);
    expect(validation.output).toContain('docker-compose.yml (compose-go)');
    expect(validation.output).toContain('Dockerfile (hadolint)');
    if (existsSync(join(ROOT, 'gpu-worker/Dockerfile'))) {
      expect(validation.output).toContain('gpu-worker/Dockerfile (hadolint)');
    }
  });

  it('compose-check rejects a compose file that depends on a service that does not exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'autodark-compose-'));
    try {
      const broken = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8').replace(
        /(temporal-schema:\n\s+condition: service_completed_successfully)/,
        'temporal-schemaa:\n        condition: service_completed_successfully',
      );
      expect(broken).toContain('temporal-schemaa');
      writeFileSync(join(dir, 'docker-compose.yml'), broken);
      const run = spawnSync(join(TOOLS, 'bin/compose-check'), [join(dir, 'docker-compose.yml')], { encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('temporal-schemaa');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docker-compose.yml', () => {
  it('runs the worker as a scalable service: no container_name, no published ports', () => {
    const worker = service('worker');
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports ?? []).toEqual([]);
    expect(worker.command).toEqual(['node_modules/.bin/tsx', 'scripts/worker.ts']);
    expect(worker.environment?.WORKER_TASK_QUEUES?.split(',')).toEqual([
      'autodark-orchestration',
      'autodark-media-cpu',
      'autodark-gpu',
      'autodark-browser',
    ]);
  });

  it('serves the api on 3000 and the Temporal UI on 8233', () => {
    expect(service('api').ports).toContainEqual(expect.objectContaining({ target: 3000, published: '3000' }));
    expect(service('temporal-ui').ports).toContainEqual(expect.objectContaining({ target: 8080, published: '8233' }));
  });

  it('waits only on health-checked services or one-shot jobs that must succeed', () => {
    const edges = Object.entries(services()).flatMap(([name, s]) =>
      Object.entries(s.depends_on ?? {}).map(([target, { condition }]) => ({ name, target, condition })),
    );
    expect(edges.length).toBeGreaterThan(0);
    for (const { name, target, condition } of edges) {
      const dependency = service(target);
      const where = `${name} -> ${target} (${condition})`;
      if (condition === 'service_healthy') expect(isHealthChecked(dependency), where).toBe(true);
      else if (condition === 'service_completed_successfully') expect(isOneShot(dependency), where).toBe(true);
      else expect.fail(`${where}: start order needs service_healthy or service_completed_successfully`);
    }
  });

  it('starts in order: postgres, schema, temporal, setup.sh; minio and its bucket; then the app', () => {
    const condition = (from: string, to: string) => service(from).depends_on?.[to]?.condition;
    expect(condition('temporal-schema', 'postgresql')).toBe('service_healthy');
    expect(condition('temporal', 'temporal-schema')).toBe('service_completed_successfully');
    expect(condition('temporal-admin-tools', 'temporal')).toBe('service_healthy');
    expect(condition('minio-init', 'minio')).toBe('service_healthy');
    for (const app of ['api', 'worker']) {
      expect(condition(app, 'temporal-admin-tools')).toBe('service_completed_successfully');
      expect(condition(app, 'minio-init')).toBe('service_completed_successfully');
    }
  });

  it('registers namespace and search attributes with temporal-config/setup.sh', () => {
    const admin = service('temporal-admin-tools');
    expect(admin.entrypoint).toEqual(['/bin/sh', '/temporal-config/setup.sh']);
    expect(admin.volumes).toContainEqual(
      expect.objectContaining({ type: 'bind', source: join(ROOT, 'temporal-config'), target: '/temporal-config' }),
    );
    expect(admin.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(existsSync(join(ROOT, 'temporal-config/setup.sh'))).toBe(true);
  });

  it('points the Temporal server at the dynamic config file in the repo', () => {
    const temporal = service('temporal');
    const mount = temporal.volumes?.find((v) => v.source === join(ROOT, 'temporal-config/dynamicconfig'));
    expect(mount).toBeDefined();
    const configPath = temporal.environment?.DYNAMIC_CONFIG_FILE_PATH ?? '';
    expect(configPath.startsWith(`${mount?.target}/`)).toBe(true);
    const hostFile = join(ROOT, 'temporal-config/dynamicconfig', configPath.slice(`${mount?.target}/`.length));
    expect(existsSync(hostFile), hostFile).toBe(true);
  });

  it('keeps postgres, minio and app data in named volumes', () => {
    const volumeOf = (name: string, target: string) =>
      service(name).volumes?.find((v) => v.target === target && v.type === 'volume')?.source;
    expect(volumeOf('postgresql', '/var/lib/postgresql/data')).toBe('postgres-data');
    expect(volumeOf('minio', '/data')).toBe('minio-data');
    expect(volumeOf('api', '/data')).toBe('app-data');
    expect(volumeOf('worker', '/data')).toBe('app-data');
    expect(Object.keys(model.volumes).sort()).toEqual(['app-data', 'minio-data', 'postgres-data']);
  });

  it('puts the GPU endpoint behind the gpu profile with NVIDIA devices reserved', () => {
    const gpu = service('gpu-endpoint');
    expect(gpu.profiles).toEqual(['gpu']);
    const devices = gpu.deploy?.resources?.reservations?.devices ?? [];
    expect(devices).toContainEqual(expect.objectContaining({ driver: 'nvidia', capabilities: expect.arrayContaining(['gpu', 'video']) }));
    const profiled = Object.entries(services()).filter(([, s]) => s.profiles?.length).map(([name]) => name);
    expect(profiled).toEqual(['gpu-endpoint']);
  });

  it('pins every image to a version', () => {
    for (const [name, s] of Object.entries(services())) {
      expect(s.image, name).toMatch(/^[^:]+(:[^:]+)?:(?!latest$)[\w.-]+$/);
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

  it('is the image compose builds for both api and worker', () => {
    for (const name of ['api', 'worker']) expect(service(name).build?.dockerfile, name).toBe('Dockerfile');
    expect(service('api').image).toBe(service('worker').image);
  });

  it('installs ffmpeg, fontconfig, Debian chromium and the caption fonts, and never downloads a browser', () => {
    for (const pkg of ['ffmpeg', 'fontconfig', 'chromium', 'fonts-dejavu-core', 'fonts-liberation2', 'fonts-noto-core']) {
      expect(dockerfile).toMatch(new RegExp(`^\\s+${pkg} \\\\$`, 'm'));
    }
    expect(dockerfile).toMatch(/PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1/);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
  });

  it('runs as a non-root user and health-checks the api', () => {
    const users = [...dockerfile.matchAll(/^USER (\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*\/health/m);
  });

  it('keeps host installs, data and secrets out of the build context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const path of ['.git', 'node_modules', '.venv', 'data', '.env']) expect(ignored).toContain(path);
  });
});
