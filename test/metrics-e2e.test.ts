// End to end, with real servers started once for this file: the daemon (`flashmm run` on the
// simulated venue, API on port 0), a real Prometheus scraping it with the committed alert rules
// plus one rule forced to fire, a real Alertmanager with the committed routing, and a local
// webhook receiver standing in for Slack.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  type Alertmanager, type Daemon, type Prometheus, startAlertmanager, startDaemon, startPrometheus, startWebhookReceiver,
  type WebhookReceiver,
} from './helpers/prometheus.js';
import { requireTool } from './helpers/tools.js';
import { freePort, removeDir, scratchDir } from './helpers/servers.js';

const deployDir = fileURLToPath(new URL('../deploy/', import.meta.url));
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** Routes the manifests probe that another issue is building: path → where. */
const PENDING_ROUTES: Readonly<Record<string, string>> = { '/ready': 'issue 12 (books valid, venue connected, reconciled)' };
const available = requireTool('prometheus', 'apt-get install -y prometheus')
  && requireTool('prometheus-alertmanager', 'apt-get install -y prometheus-alertmanager');

// The one alert this test forces: it reads a series the daemon exports, so it fires only if
// the whole path works (daemon → scrape → rule → Alertmanager → webhook).
const FORCED_RULES = stringify({
  groups: [{
    name: 'forced',
    rules: [{
      alert: 'FlashmmTestForcedAlert', expr: 'flashmm_uptime_seconds > 0',
      labels: { severity: 'critical' }, annotations: { summary: 'forced by the test on {{ $labels.instance }}' },
    }],
  }],
});

/** The committed Alertmanager config with the webhook URL file pointed at the receiver and no initial wait. */
function alertmanagerConfig(urlFile: string): string {
  interface Route { group_wait?: string; routes?: Route[] }
  const config = parse(readFileSync(`${deployDir}alertmanager/alertmanager.yml`, 'utf8')) as {
    route: Route; receivers: { slack_configs?: { api_url_file?: string }[] }[];
  };
  const shorten = (r: Route) => {
    r.group_wait = '0s';
    r.routes?.forEach(shorten);
  };
  shorten(config.route);
  for (const receiver of config.receivers) for (const slack of receiver.slack_configs ?? []) slack.api_url_file = urlFile;
  return stringify(config);
}

/** Every PromQL expression of the dashboards (Grafana's variables given values) and the rules. */
function expressions(): { where: string; expr: string }[] {
  const grafana = (e: string) => e.replaceAll('$__rate_interval', '1m').replaceAll('$instance', '.*').replaceAll('$market', '.*')
    .replace(/^label_values\((.*), *\w+\)$/, '$1');
  const out: { where: string; expr: string }[] = [];
  for (const file of readdirSync(`${deployDir}grafana/dashboards`)) {
    const dash = JSON.parse(readFileSync(`${deployDir}grafana/dashboards/${file}`, 'utf8')) as {
      panels: { title: string; datasource?: { type: string }; targets?: { expr?: string }[] }[];
      templating: { list: { name: string; datasource: { type: string }; query: { query: string } | string }[] };
    };
    for (const p of dash.panels) {
      if (p.datasource?.type !== 'prometheus') continue;
      for (const t of p.targets ?? []) if (t.expr !== undefined) out.push({ where: `${file}: ${p.title}`, expr: grafana(t.expr) });
    }
    for (const v of dash.templating.list) {
      if (v.datasource.type === 'prometheus') out.push({ where: `${file}: $${v.name}`, expr: grafana(typeof v.query === 'string' ? v.query : v.query.query) });
    }
  }
  const rules = parse(readFileSync(`${deployDir}prometheus/rules.yml`, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
  for (const r of rules.groups.flatMap((g) => g.rules)) out.push({ where: `rules.yml: ${r.alert}`, expr: r.expr });
  return out;
}

describe.skipIf(!available)('Prometheus and Alertmanager against a running daemon', () => {
  let daemon: Daemon;
  let prometheus: Prometheus;
  let alertmanager: Alertmanager;
  let receiver: WebhookReceiver;
  let dir: string;

  beforeAll(async () => {
    dir = scratchDir('alerting');
    receiver = await startWebhookReceiver();
    const urlFile = `${dir}/slack_webhook_url`;
    writeFileSync(urlFile, `${receiver.url}/services/T0/B0/test`);
    [daemon, alertmanager] = await Promise.all([startDaemon(), startAlertmanager(alertmanagerConfig(urlFile))]);
    const target = new URL(daemon.url).host;
    prometheus = await startPrometheus(stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: ['rules.yml', 'forced.yml'],
      alerting: { alertmanagers: [{ static_configs: [{ targets: [new URL(alertmanager.url).host] }] }] },
      scrape_configs: [{ job_name: 'flashmm', static_configs: [{ targets: [target] }] }],
    }), { 'rules.yml': readFileSync(`${deployDir}prometheus/rules.yml`, 'utf8'), 'forced.yml': FORCED_RULES });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([prometheus?.stop(), alertmanager?.stop(), daemon?.stop(), receiver?.close()]);
    removeDir(dir);
  });

  /** Polls `expr` (one scrape a second) until it has a result. */
  async function eventually(expr: string, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const result = await prometheus.query(expr);
      if (result.length > 0) return result;
      if (Date.now() > deadline) throw new Error(`${expr}: no result within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  test('Prometheus scrapes the daemon and returns its flashmm series', async () => {
    await eventually('up{job="flashmm"} == 1');
    const risk = await eventually('flashmm_risk_state{job="flashmm"}');
    expect(risk.map((s) => [s.metric['market'], s.value[1]])).toEqual([['SEI/USDC', '0']]);
    const build = await eventually('flashmm_build_info');
    expect(build[0]?.metric['version']).toBe('0.1.0');
    const names = await prometheus.query('count by (__name__) ({job="flashmm", __name__=~"flashmm_.+"})');
    // Ours and the process's (flashmm_process_*, flashmm_nodejs_*).
    expect(names.length).toBeGreaterThan(40);
    expect(names.map((n) => n.metric['__name__'])).toEqual(expect.arrayContaining([
      'flashmm_uptime_seconds', 'flashmm_kill_switch_engaged', 'flashmm_orders_sent_total', 'flashmm_position_utilisation_ratio',
      'flashmm_process_resident_memory_bytes', 'flashmm_nodejs_eventloop_lag_p99_seconds',
    ]));
  }, 45_000);

  test('every PromQL expression of the dashboards and the rules evaluates without error', async () => {
    await eventually('flashmm_uptime_seconds');
    const all = expressions();
    expect(all.length).toBeGreaterThan(50);
    const failures: string[] = [];
    for (const { where, expr } of all) await prometheus.query(expr).catch((e: Error) => failures.push(`${where}: ${e.message}`));
    expect(failures).toEqual([]);
    // And the dashboards' core panels have data from a daemon that has just started.
    for (const expr of ['sum(flashmm_pnl_realised_quote)', 'flashmm_position_utilisation_ratio', 'min(flashmm_uptime_seconds)']) {
      expect(await prometheus.query(expr), expr).toHaveLength(1);
    }
  });

  test('promtool check metrics: the live /metrics page', async () => {
    const page = await (await fetch(`${daemon.url}/metrics`)).text();
    const r = spawnSync('promtool', ['check', 'metrics'], { input: page, encoding: 'utf8' });
    // prom-client's own Node gauges end in _total, against the naming conventions; ours lint clean.
    const problems = `${r.stdout}${r.stderr}`.split('\n')
      .filter((l) => l !== '' && !/^flashmm_nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/.test(l));
    expect(problems).toEqual([]);
  });

  test('the paths the Kubernetes probes, the scrape annotation and the image health check use answer', async () => {
    const manifest = readFileSync(`${deployDir}kubernetes/deployment.yaml`, 'utf8');
    const paths = new Set([...manifest.matchAll(/^\s+(?:path|prometheus\.io\/path): (\/\S*)$/gm)].map((m) => m[1] ?? ''));
    expect([...paths].sort()).toEqual(['/health', '/metrics', '/ready']);
    for (const path of paths) {
      if (path in PENDING_ROUTES) continue;
      expect((await fetch(`${daemon.url}${path}`)).status, path).toBe(200);
    }
    // HEALTHCHECK: `flashmm health` finds the daemon from the same settings (a wildcard bind probed on loopback).
    const port = new URL(daemon.url).port;
    const health = (p: string) => spawnSync(process.execPath, [cli, 'health'], { env: { ...process.env, FLASHMM_API__HOST: '0.0.0.0', FLASHMM_API__PORT: p } });
    expect(health(port).status).toBe(0);
    const nothing = await freePort();
    const closed = spawnSync(process.execPath, [cli, 'health', '--url', `http://127.0.0.1:${nothing}`], { encoding: 'utf8' });
    expect(closed.status).toBe(1);
    expect(closed.stderr).toBe(`flashmm health: http://127.0.0.1:${nothing}/health: ECONNREFUSED\n`);
  });

  test('an alert fired by Prometheus reaches the webhook through Alertmanager as a Slack message', async () => {
    const delivered = await receiver.next((r) => r.body.includes('FlashmmTestForcedAlert'), 30_000);
    expect(delivered.path).toBe('/services/T0/B0/test');
    const message = JSON.parse(delivered.body) as { attachments: { title: string; color: string; text: string }[] };
    const [attachment] = message.attachments;
    expect(attachment?.title).toMatch(/^\[FIRING:1\] FlashmmTestForcedAlert /);
    expect(attachment?.color).toBe('danger'); // the critical route's receiver
    expect(attachment?.text).toBe(`forced by the test on ${new URL(daemon.url).host}\n`);
    // Nothing of the kind that pages at once is firing on a healthy daemon.
    const firing = await prometheus.query('ALERTS{alertname=~"FlashmmKillSwitchEngaged|FlashmmRiskHalted|FlashmmDown"}');
    expect(firing).toEqual([]);
  }, 45_000);
});
