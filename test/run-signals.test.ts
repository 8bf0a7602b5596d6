// Signals to the real `flashmm run` process (docs/daemon.md, "Shutdown", "Exit codes"): a
// SIGTERM during start-up (while the program and the native addon still load) is held and
// stops the daemon in order, not by Node's default action; later signals skip nothing and never
// turn a clean exit into a death by signal; SIGUSR2 engages the kill switch and the daemon keeps running until a SIGTERM.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cargo.js';

const cli = fileURLToPath(new URL('dist/cli.js', repoRoot));
const dir = mkdtempSync(join(tmpdir(), 'flashmm-run-signals-'));
const configPath = join(dir, 'config.json');
writeFileSync(configPath, JSON.stringify({
  venue: { kind: 'sim' }, model: { enabled: false }, api: { enabled: false }, telemetry: { logFormat: 'json', logLevel: 'info' },
}));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Preloaded into the child: says when the CLI installs its first SIGTERM handler (its first
// line, early-signals.ts), so the test can signal inside the start-up window deterministically.
const ANNOUNCE = `data:text/javascript,process.on('newListener',(e)=>{if(e==='SIGTERM')process.stderr.write('test: SIGTERM handled\\n')})`;

type Line = Record<string, unknown>;

interface Daemon {
  readonly child: ChildProcessWithoutNullStreams;
  readonly logs: Line[];
  /** Resolves with the first log line whose message is `msg`. */
  until(msg: string): Promise<Line>;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(): Daemon {
  const child = spawn(process.execPath, ['--import', ANNOUNCE, cli, 'run', '--config', configPath], { stdio: 'pipe' });
  const logs: Line[] = [];
  const waiting: { msg: string; resolve: (l: Line) => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as Line;
    logs.push(line);
    for (const w of waiting.filter((x) => x.msg === line['msg'])) w.resolve(line);
  });
  // 'close', not 'exit': the process has ended and its output has been read to the end.
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const until = (msg: string) => {
    const seen = logs.find((l) => l['msg'] === msg);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<Line>((resolve, reject) => {
      waiting.push({ msg, resolve });
      void exit.then((e) => reject(new Error(`exited (${JSON.stringify(e)}) before '${msg}'`)));
    });
  };
  return { child, logs, until, exit };
}

function onStderr(child: ChildProcessWithoutNullStreams, text: string): Promise<void> {
  return new Promise((resolve) => {
    let seen = '';
    child.stderr.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (seen.includes(text)) resolve();
    });
  });
}

describe('flashmm run and its signals', () => {
  it('a SIGTERM during start-up stops it in order: exit 0, not killed by the default action', async () => {
    const d = start();
    await onStderr(d.child, 'test: SIGTERM handled');
    d.child.kill('SIGTERM');
    expect(await d.exit).toEqual({ code: 0, signal: null });
    expect(['stopped before start: nothing was placed', 'stopped cleanly: no open orders']).toContain(d.logs.at(-1)?.['msg']);
  }, 30_000);

  // The simulated venue cancels in-process, so the shutdown takes a millisecond: the later
  // signals land during it or after it, while the process drains. Either way they change
  // nothing (a signal during the shutdown on a slow venue: test/daemon-chaos.test.ts).
  it('a SIGINT and a second SIGTERM after the first change nothing: one shutdown, every order cancelled, exit 0', async () => {
    const d = start();
    await d.until('first quote sent');
    d.child.kill('SIGTERM');
    await d.until('shutting down: cancelling every order');
    d.child.kill('SIGINT');
    d.child.kill('SIGTERM');
    expect(await d.exit).toEqual({ code: 0, signal: null });
    expect(d.logs.filter((l) => l['msg'] === 'shutting down: cancelling every order')).toHaveLength(1);
    expect(d.logs.at(-1)).toMatchObject({ msg: 'stopped cleanly: no open orders', reason: 'SIGTERM', openOrders: 0 });
  }, 30_000);

  it('SIGUSR2 engages the kill switch and the daemon lives on; SIGTERM then stops it with exit 0', async () => {
    const d = start();
    await d.until('first quote sent');
    d.child.kill('SIGUSR2');
    const settled = await d.until('kill switch settled');
    expect(settled['outcome']).toMatchObject({ ok: true });
    expect(d.child.exitCode).toBeNull();
    d.child.kill('SIGTERM');
    expect(await d.exit).toEqual({ code: 0, signal: null });
    expect(d.logs.at(-1)).toMatchObject({ msg: 'stopped cleanly: no open orders', openOrders: 0 });
  }, 30_000);
});
