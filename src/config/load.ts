// Loading the configuration. Precedence, lowest first:
//   1. schema defaults (an empty config is a complete one: see schema.ts)
//   2. config/<env>.yml, env = options.env ?? FLASHMM_ENV ?? development
//   3. config/local.yml, this machine's overrides (skipped when env is `local`: then it is #2)
//   — or, instead of 2 and 3, the one file given with --config (explicit means reproducible)
//   4. FLASHMM_SECTION__KEY environment variables (env-overrides.ts)
// Objects merge key by key; lists and scalars replace. The result is validated as a whole and
// every problem is reported at once, each naming the layer it came from and its key path.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument, visit } from 'yaml';
import { envOverrides, keepExact } from './env-overrides.js';
import { describeIssue, renderValue } from './issues.js';
import { formatPath, isPlainObject, LayeredConfig, secretKeyPaths, valueAt, type PlainObject } from './layers.js';
import { configSchema, ENVIRONMENTS, type Config, type Environment } from './schema.js';
import { isSecretKey, SECRET_ENV } from './secret.js';

export interface ConfigProblem {
  /** The file or environment variable the bad key came from, or `defaults`. */
  readonly source: string;
  /** Printed key path, e.g. `risk.maxPositionLots`. */
  readonly path: string;
  readonly reason: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map((p) => `${p.source}: ${p.path}: ${p.reason}`).join('\n'));
    this.problems = problems;
  }
}

export interface LoadConfigOptions {
  /** An explicit config file (--config): replaces config/<env>.yml and config/local.yml. */
  readonly configPath?: string;
  readonly env?: Environment;
  /** Where <env>.yml and local.yml live: FLASHMM_CONFIG_DIR, else the package's config/. */
  readonly configDir?: string;
  readonly envVars?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  readonly config: Config;
  /** The layers that were applied, lowest precedence first (files, then variables). */
  readonly sources: readonly string[];
}

const packageConfigDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'config');

/** `config/development.yml` when under the working directory, else the absolute path. */
function displayName(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

function readYaml(file: string, name: string): PlainObject {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `cannot read: ${String(e)}`;
    throw new ConfigError([{ source: name, path: '(file)', reason }]);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    // YAML syntax errors quote a line of the file: show only the first line of each message.
    const problems = doc.errors.map((e) => ({ source: name, path: '(yaml)', reason: e.message.split('\n')[0] ?? e.code }));
    throw new ConfigError(problems);
  }
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value === 'number' && node.source !== undefined) node.value = keepExact(node.source, node.value);
    },
  });
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {}; // a file of comments only
  if (!isPlainObject(value)) throw new ConfigError([{ source: name, path: '(top level)', reason: 'expected a mapping' }]);
  return value;
}

const SECRET_HINT = `secrets are not allowed in configuration: set ${Object.values(SECRET_ENV).join(', ')} in the environment`;

function rejectSecrets(layer: unknown, source: string, at: readonly PropertyKey[] = []): ConfigProblem[] {
  return secretKeyPaths(layer, at).map((path) => ({ source, path: formatPath(path), reason: SECRET_HINT }));
}

function selectEnv(options: LoadConfigOptions, envVars: NodeJS.ProcessEnv): Environment {
  const chosen = options.env ?? envVars['FLASHMM_ENV'] ?? 'development';
  const env = ENVIRONMENTS.find((e) => e === chosen);
  if (env === undefined) {
    const reason = `expected one of ${ENVIRONMENTS.join(', ')}, got ${renderValue(chosen)}`;
    throw new ConfigError([{ source: options.env !== undefined ? 'options' : 'FLASHMM_ENV', path: 'env', reason }]);
  }
  return env;
}

export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const envVars = options.envVars ?? process.env;
  const env = selectEnv(options, envVars);
  const configDir = options.configDir ?? envVars['FLASHMM_CONFIG_DIR'] ?? packageConfigDir;
  const files: string[] = [];
  if (options.configPath !== undefined) {
    files.push(resolve(options.configPath));
  } else {
    files.push(join(configDir, `${env}.yml`));
    const local = join(configDir, 'local.yml');
    if (env !== 'local' && existsSync(local)) files.push(local);
  }

  const layered = new LayeredConfig();
  const problems: ConfigProblem[] = [];
  const sources: string[] = [];
  files.forEach((file, i) => {
    const name = displayName(file);
    const layer = readYaml(file, name);
    problems.push(...rejectSecrets(layer, name));
    // config/<env>.yml must be the file for that environment.
    if (i === 0 && options.configPath === undefined && layer['env'] !== undefined && layer['env'] !== env) {
      problems.push({ source: name, path: 'env', reason: `this file is for ${renderValue(env)}, got ${renderValue(layer['env'])}` });
    }
    layered.merge(layer, name);
    sources.push(name);
  });
  // An explicit file may name its environment; otherwise the selected one applies.
  if (layered.raw['env'] === undefined) {
    const source = options.env !== undefined ? 'options' : envVars['FLASHMM_ENV'] !== undefined ? 'FLASHMM_ENV' : 'defaults';
    layered.set(['env'], env, source);
  }

  for (const o of envOverrides(envVars)) {
    if (o.path.some((key) => typeof key === 'string' && isSecretKey(key))) {
      problems.push({ source: o.variable, path: formatPath(o.path), reason: SECRET_HINT });
    } else {
      problems.push(...rejectSecrets(o.value, o.variable, o.path));
    }
    layered.set(o.path, o.value, o.variable);
    sources.push(o.variable);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const result = configSchema.safeParse(layered.raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const value = valueAt(layered.raw, issue.path);
      for (const d of describeIssue(issue, value)) {
        const path = [...issue.path, ...d.subPath];
        const reason = d.showValue ? `${d.reason}, got ${renderValue(value)}` : d.reason;
        problems.push({ source: layered.sourceOf(path), path: formatPath(path), reason });
      }
    }
    throw new ConfigError(problems);
  }
  return { config: result.data, sources };
}
