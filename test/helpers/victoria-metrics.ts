// A real VictoriaMetrics for tests: a free loopback port, its own data directory, queries that
// see a point as soon as it is flushed (-search.latencyOffset=0s), stopped after. `restart`
// keeps the port and the data, for outage tests.
import { answers, freePort, removeDir, scratchDir, startServer, type RunningServer } from './servers.js';

export interface TestVictoriaMetrics {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Makes every point received so far searchable (instead of waiting for the periodic flush). */
  forceFlush(): Promise<void>;
  /** `/api/v1/export` of the series matching `selector`, one JSON object per series. */
  exportSeries(selector: string): Promise<ExportedSeries[]>;
  dispose(): Promise<void>;
}

export interface ExportedSeries {
  readonly metric: Readonly<Record<string, string>>;
  readonly values: readonly number[];
  readonly timestamps: readonly number[];
}

export async function startVictoriaMetrics(): Promise<TestVictoriaMetrics> {
  const port = await freePort();
  const dir = scratchDir('vm');
  const url = `http://127.0.0.1:${port}`;
  const spawnIt = () =>
    startServer({
      name: 'victoria-metrics',
      command: 'victoria-metrics',
      args: [
        `-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dir}`, '-search.latencyOffset=0s', '-retentionPeriod=100y',
        '-loggerLevel=ERROR', '-selfScrapeInterval=0',
      ],
      ready: () => answers(`${url}/health`),
    });
  let running: RunningServer = await spawnIt();
  return {
    port,
    url,
    stop: () => running.stop(),
    async start() {
      running = await spawnIt();
    },
    async forceFlush() {
      const res = await fetch(`${url}/internal/force_flush`);
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`force_flush: HTTP ${res.status}`);
    },
    async exportSeries(selector) {
      const res = await fetch(`${url}/api/v1/export?${new URLSearchParams({ 'match[]': selector })}`);
      const body = await res.text();
      if (!res.ok) throw new Error(`export: HTTP ${res.status}: ${body}`);
      return body.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as ExportedSeries);
    },
    async dispose() {
      await running.stop();
      removeDir(dir);
    },
  };
}
