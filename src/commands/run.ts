import type { Command } from 'commander';
import { coreVersion } from '../native.js';
import { daemonVersion } from '../version.js';

// Until the trading engine lands (issue 5) `run` says plainly what it will do and that it
// does nothing yet. It must never pretend to trade.
const PLAN = [
  'When the trading engine is built, `flashmm run` with no configuration will:',
  '  - start the embedded simulated venue (the core\'s simulated exchange fed by a market generator),',
  '  - keep live order books, compute features and the model\'s short-horizon forecast,',
  '  - quote both sides through the quoting models, the risk manager and the order manager,',
  '  - serve an HTTP API, a live web page and Prometheus metrics.',
];

export function runMessage(): string {
  return [
    `flashmm ${daemonVersion()} (core ${coreVersion()})`,
    'The trading engine is not built yet (issue 5): nothing is started and nothing is traded.',
    ...PLAN,
  ].join('\n');
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the market-making daemon (placeholder until the trading engine lands)')
    .action(() => {
      console.log(runMessage());
    });
}
