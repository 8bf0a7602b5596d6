// The alert rules and the Alertmanager config, checked by their own tools: `promtool check rules`
// (lint fatal), `promtool test rules` (each alert shown firing and not firing, rules.test.yml),
// `promtool check config` and `amtool check-config`. End to end (a real Prometheus firing into a
// real Alertmanager) is in metrics-e2e.test.ts.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { requireTool } from './helpers/tools.js';

const deployDir = fileURLToPath(new URL('../deploy/', import.meta.url));
const withPromtool = test.skipIf(!requireTool('promtool', 'apt-get install -y prometheus'));
const withAmtool = test.skipIf(!requireTool('amtool', 'apt-get install -y prometheus-alertmanager'));

function run(command: string, args: string[]) {
  const r = spawnSync(command, args, { encoding: 'utf8', cwd: deployDir });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

interface RuleFile { groups: { rules: { alert?: string; labels?: { severity?: string } }[] }[] }
const rules = parse(readFileSync(`${deployDir}prometheus/rules.yml`, 'utf8')) as RuleFile;
const alerts = rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert === undefined ? [] : [r])));

describe('alert rules', () => {
  test('the seed\'s alerts and ours are all there, each with a routed severity', () => {
    const names = alerts.map((a) => a.alert);
    for (const required of [
      'FlashmmHighLatency', 'FlashmmLowPredictionAccuracy', 'FlashmmPositionUtilisationHigh', 'FlashmmDown',
      'FlashmmFeedStale', 'FlashmmRiskHalted', 'FlashmmKillSwitchEngaged', 'FlashmmRedisUnreachable',
    ]) expect(names).toContain(required);
    for (const a of alerts) expect(['critical', 'warning'], a.alert).toContain(a.labels?.severity);
  });

  withPromtool('promtool check rules --lint-fatal', () => {
    const r = run('promtool', ['check', 'rules', '--lint-fatal', 'prometheus/rules.yml']);
    expect(r.output).toContain(`SUCCESS: ${rules.groups.flatMap((g) => g.rules).length} rules found`);
    expect(r.status).toBe(0);
  });

  withPromtool('promtool test rules: every alert is tested firing and not firing', () => {
    const tests = readFileSync(`${deployDir}prometheus/rules.test.yml`, 'utf8');
    const spec = parse(tests) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] };
    const cases = spec.tests.flatMap((t) => t.alert_rule_test);
    for (const a of alerts) {
      const mine = cases.filter((c) => c.alertname === a.alert);
      expect(mine.some((c) => c.exp_alerts.length > 0), `${a.alert} firing`).toBe(true);
      expect(mine.some((c) => c.exp_alerts.length === 0), `${a.alert} not firing`).toBe(true);
    }
    const r = run('promtool', ['test', 'rules', 'prometheus/rules.test.yml']);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  withPromtool('promtool check config: the compose stack\'s prometheus.yml and its rules', () => {
    const r = run('promtool', ['check', 'config', 'prometheus/prometheus.yml']);
    expect(r.output).toContain('SUCCESS: 1 rule files found');
    expect(r.status).toBe(0);
  });

  withAmtool('amtool check-config: alertmanager.yml routes every severity to a Slack-compatible receiver', () => {
    const r = run('amtool', ['check-config', 'alertmanager/alertmanager.yml']);
    expect(r.status, r.output).toBe(0);
    interface Route { receiver: string; matchers?: string[]; group_by?: string[]; group_wait?: string; repeat_interval?: string; routes?: Route[] }
    const am = parse(readFileSync(`${deployDir}alertmanager/alertmanager.yml`, 'utf8')) as {
      route: Route; receivers: { name: string; slack_configs?: { api_url_file?: string; api_url?: string }[] }[];
    };
    expect(am.route.group_by).toEqual(['alertname', 'job', 'instance', 'market']);
    expect(am.route.repeat_interval).toBeDefined();
    const critical = am.route.routes?.find((r) => r.matchers?.includes('severity="critical"'));
    expect(critical?.repeat_interval).toBe('30m');
    for (const receiver of am.receivers) {
      // The webhook URL carries its token: from a secret file, never inline.
      expect(receiver.slack_configs?.[0]?.api_url_file, receiver.name).toBe('/run/secrets/slack_webhook_url');
      expect(receiver.slack_configs?.[0]?.api_url).toBeUndefined();
    }
  });
});
