// `flashmm ctl`: the operator's CLI over the control plane's API. The daemon's URL comes from
// --url or FLASHMM_API_URL (default http://127.0.0.1:8080), the token from FLASHMM_API_TOKEN.
// Human tables by default, the API's JSON with --json. Exit codes: 0 done, 1 the API refused
// (the message says why), 2 the daemon could not be reached.
import type { Command } from 'commander';
import { parse } from 'yaml';
import { loadSecrets } from '../config/secret.js';
import { table } from './table.js';

export interface CtlOptions {
  readonly url?: string;
  readonly json?: boolean;
}

export class CtlError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2) {
    super(message);
  }
}

export interface Api {
  get(path: string): Promise<unknown>;
  send(method: 'POST' | 'PATCH', path: string, body: unknown): Promise<unknown>;
}

export function apiClient(options: CtlOptions, env: NodeJS.ProcessEnv = process.env): Api {
  const base = (options.url ?? env['FLASHMM_API_URL'] ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const token = loadSecrets(env).apiToken;
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(base + path, {
        method,
        headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token.reveal()}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      throw new CtlError(`cannot reach the daemon at ${base}: ${err instanceof Error ? err.message : String(err)}`, 2);
    }
    const payload = (await res.json().catch(() => null)) as { error?: { message?: string; hook?: string } } | null;
    if (!res.ok) {
      const e = payload?.error;
      const hint = res.status === 401 && token === undefined ? ' (set FLASHMM_API_TOKEN)' : '';
      throw new CtlError(`${res.status}: ${e?.message ?? res.statusText}${e?.hook === undefined ? '' : ` (needs ${e.hook})`}${hint}`, 1);
    }
    return payload;
  };
  return { get: (path) => call('GET', path), send: (method, path, body) => call(method, path, body) };
}

const market = (symbol: string) => `/api/v1/markets/${encodeURIComponent(symbol)}`;
const admin = (path: string) => `/api/v1/admin/${path}`;

interface Summary { symbol: string; risk: string; reasons: string[]; paused: boolean }
interface Status { mode: string; venue: string; uptimeSeconds: number; killed: boolean; markets: Summary[]; model: { enabled: boolean; path: string; generation: number | null } }
interface Level { price: number; size: number }
interface MarketView {
  symbol: string; tickSize: string; lotSize: string; risk: string; book: { bid: Level | null; ask: Level | null; valid: boolean };
  quotes: unknown[]; position: { lots: number }; pnl: { net: string | null }; sigma: number | null;
}

function price(ticks: number | undefined, tickSize: string): string {
  if (ticks === undefined) return '–';
  const decimals = tickSize.includes('.') ? tickSize.length - tickSize.indexOf('.') - 1 : 0;
  return (ticks * Number(tickSize)).toFixed(decimals);
}

function statusText(s: Status): string {
  const head = `${s.mode} · venue ${s.venue} · up ${Math.round(s.uptimeSeconds)} s · kill switch ${s.killed ? 'ENGAGED' : 'off'}` +
    ` · model ${s.model.enabled ? `${s.model.path}${s.model.generation === null ? '' : ` (generation ${s.model.generation})`}` : 'off'}`;
  return `${head}\n${table(['market', 'risk', 'paused', 'reasons'], s.markets.map((m) => [m.symbol, m.risk, m.paused ? 'yes' : 'no', m.reasons.join(', ')]))}`;
}

function marketsText(views: MarketView[]): string {
  return table(['market', 'risk', 'bid', 'ask', 'quotes', 'position lots', 'net P&L', 'σ'], views.map((m) => [
    m.symbol, m.risk, price(m.book.bid?.price, m.tickSize), price(m.book.ask?.price, m.tickSize), String(m.quotes.length),
    String(m.position.lots), m.pnl.net ?? '–', m.sigma === null ? '–' : m.sigma.toFixed(3),
  ]));
}

/** `a.b.c=value` pairs as one nested patch; values are YAML scalars (0.2, true, [10, 20], text). */
export function paramsPatch(assignments: readonly string[]): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new CtlError(`expected key=value, got '${a}'`, 1);
    const keys = a.slice(0, eq).split('.');
    let node = patch;
    keys.slice(0, -1).forEach((k) => {
      node[k] ??= {};
      node = node[k] as Record<string, unknown>;
    });
    node[keys.at(-1) as string] = parse(a.slice(eq + 1)) as unknown;
  }
  return patch;
}

type Action = (api: Api, args: string[]) => Promise<{ json: unknown; text: string }>;

const change = (what: string) => (r: unknown) => {
  const { before, after } = r as { before: unknown; after: unknown };
  return { json: r, text: `${what}\nbefore: ${JSON.stringify(before)}\nafter:  ${JSON.stringify(after)}` };
};

const ACTIONS: Record<string, { args: string; description: string; run: Action }> = {
  status: { args: '', description: 'mode, venue, uptime, kill switch, model, risk per market', run: async (api) => {
    const s = (await api.get('/api/v1/status')) as Status;
    return { json: s, text: statusText(s) };
  } },
  markets: { args: '[symbols...]', description: 'book top, our quotes, position, P&L and σ per market', run: async (api, symbols) => {
    const names = symbols.length > 0 ? symbols : ((await api.get('/api/v1/status')) as Status).markets.map((m) => m.symbol);
    const views = await Promise.all(names.map(async (s) => (await api.get(market(s))) as MarketView));
    return { json: views, text: marketsText(views) };
  } },
  positions: { args: '', description: 'positions and P&L per market', run: async (api) => {
    const { positions } = (await api.get('/api/v1/positions')) as { positions: { symbol: string; lots: number; averageEntryTicks: number | null; volumeLots: number }[] };
    const { pnl } = (await api.get('/api/v1/pnl')) as { pnl: { symbol: string; realised: string | null; unrealised: string | null; fees: string | null; net: string | null }[] };
    const rows = positions.map((p) => {
      const q = pnl.find((x) => x.symbol === p.symbol);
      return [p.symbol, String(p.lots), p.averageEntryTicks === null ? '–' : p.averageEntryTicks.toFixed(2), String(p.volumeLots), q?.realised ?? '–', q?.unrealised ?? '–', q?.fees ?? '–', q?.net ?? '–'];
    });
    return { json: { positions, pnl }, text: table(['market', 'lots', 'entry ticks', 'volume lots', 'realised', 'unrealised', 'fees', 'net'], rows) };
  } },
  pause: { args: '<symbol>', description: 'stop quoting a market (its orders are pulled)', run: async (api, [s]) =>
    change(`paused ${s}`)(await api.send('POST', admin(`markets/${encodeURIComponent(s ?? '')}/pause`), {})) },
  resume: { args: '<symbol>', description: 'quote a paused market again', run: async (api, [s]) =>
    change(`resumed ${s}`)(await api.send('POST', admin(`markets/${encodeURIComponent(s ?? '')}/resume`), {})) },
  kill: { args: '', description: 'kill switch: cancel every order and halt every market', run: async (api) => {
    const r = (await api.send('POST', admin('kill'), {})) as { settled: boolean; detail: string };
    return { json: r, text: `kill switch engaged: ${r.detail}` };
  } },
  release: { args: '', description: 'release the kill switch', run: async (api) => change('kill switch released')(await api.send('POST', admin('release'), {})) },
  set: { args: '<key=value...>', description: 'change parameters, e.g. strategy.glft.gamma=0.2 risk.maxPositionLots=50', run: async (api, pairs) =>
    change('parameters changed (applied at the next tick)')(await api.send('PATCH', admin('params'), paramsPatch(pairs))) },
  'reload-model': { args: '', description: 'reload the model file', run: async (api) => change('model reloaded')(await api.send('POST', admin('model/reload'), {})) },
};

export async function runCtl(action: string, args: string[], options: CtlOptions, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const spec = ACTIONS[action];
  if (spec === undefined) throw new CtlError(`unknown action ${action}`, 1);
  const out = await spec.run(apiClient(options, env), args);
  return options.json === true ? JSON.stringify(out.json, null, 2) : out.text;
}

export function registerCtl(program: Command): void {
  const ctl = program.command('ctl').description('control a running daemon through its API (token from FLASHMM_API_TOKEN)');
  for (const [name, spec] of Object.entries(ACTIONS)) {
    ctl.command(`${name} ${spec.args}`.trim())
      .description(spec.description)
      .option('--url <url>', 'the daemon API (default FLASHMM_API_URL or http://127.0.0.1:8080)')
      .option('--json', "print the API's JSON")
      .action(async (...params: unknown[]) => {
        const command = params.at(-1) as Command;
        const options = command.opts<CtlOptions>();
        const args = params.slice(0, -2).flatMap((a) => (Array.isArray(a) ? a.map(String) : a === undefined ? [] : [String(a)]));
        try {
          console.log(await runCtl(name, args, options));
        } catch (err) {
          console.error(`flashmm ctl ${name}: ${err instanceof Error ? err.message : String(err)}`);
          process.exitCode = err instanceof CtlError ? err.exitCode : 1;
        }
      });
  }
}
