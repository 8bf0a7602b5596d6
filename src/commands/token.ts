// `flashmm token create --role admin --name alice`: a new API token, printed once, and the
// config entry that holds its hash. The daemon never stores or logs the token itself.
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { createToken } from '../api/auth.js';
import { API_ROLES, type ApiRole } from '../api/config.js';

export interface CreateTokenOptions {
  readonly role: string;
  readonly name: string;
  readonly json?: boolean;
}

export function createTokenOutput(options: CreateTokenOptions): string {
  if (!(API_ROLES as readonly string[]).includes(options.role)) throw new Error(`--role: expected one of ${API_ROLES.join(', ')}, got '${options.role}'`);
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(options.name)) throw new Error('--name: expected 1–64 letters, digits, . _ @ -');
  const { token, sha256 } = createToken();
  const entry = { name: options.name, role: options.role as ApiRole, sha256 };
  if (options.json === true) return JSON.stringify({ token, ...entry });
  return [
    'token (shown once: hand it to its holder; FlashMM keeps only its hash):',
    `  ${token}`,
    '',
    'add to the config (api.tokens):',
    stringify({ api: { tokens: [entry] } }).trimEnd(),
    '',
    'clients send it as `Authorization: Bearer <token>`; `flashmm ctl` reads it from FLASHMM_API_TOKEN.',
  ].join('\n');
}

export function registerToken(program: Command): void {
  const token = program.command('token').description('API tokens for the control plane');
  token
    .command('create')
    .description('create a token: prints it once, and the hash to put in the config')
    .requiredOption('--role <role>', `one of ${API_ROLES.join(', ')}`)
    .requiredOption('--name <name>', 'who holds it (the audit log names it)')
    .option('--json', 'print {token, name, role, sha256} as JSON')
    .action((options: CreateTokenOptions) => {
      try {
        console.log(createTokenOutput(options));
      } catch (err) {
        console.error(`flashmm token create: ${err instanceof Error ? err.message : String(err)}`);
        process.exitCode = 64; // EX_USAGE
      }
    });
}
