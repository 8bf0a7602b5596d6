#!/usr/bin/env node
// flashmm CLI: wires the commands in src/commands/ into one commander program.
import { Command } from 'commander';
import { registerBacktest } from './commands/backtest.js';
import { registerBook } from './commands/book.js';
import { registerCompare } from './commands/compare.js';
import { registerHealth } from './commands/health.js';
import { registerReport } from './commands/report.js';
import { registerKeys } from './commands/keys.js';
import { registerCtl } from './commands/ctl.js';
import { registerRun } from './commands/run.js';
import { registerSweep } from './commands/sweep.js';
import { registerToken } from './commands/token.js';
import { registerTrain } from './commands/train.js';
import { registerVersion } from './commands/version.js';
import { runPlan } from './commands/run-banner.js';
import { loadConfig } from './config/load.js';
import { daemonVersion } from './version.js';

const START_HERE = `
Start here:
  flashmm run                 the daemon on the embedded simulated venue (no keys, no network),
                              API and metrics on http://127.0.0.1:8080; Ctrl-C cancels every
                              order and exits
  flashmm run --help          what the current configuration trades and where to look
  flashmm backtest --generate zi --json --records > bt.json
                              a one-minute backtest on a generated market, every record kept
  flashmm report --backtest bt.json --market usdm:BTCUSDT
                              its performance report: an HTML page and a PNG card`;

/** \`flashmm run --help\` ends with what the configuration loaded now would trade. */
function runHelp(): string {
  try {
    const { config, sources } = loadConfig();
    return `\n${runPlan(config, sources)}  (--config and --env choose another configuration)`;
  } catch (err) {
    return `\nThe current configuration does not load:\n${err instanceof Error ? err.message : String(err)}`;
  }
}

function buildProgram(): Command {
  const program = new Command()
    .name('flashmm')
    .description('FlashMM: market-making daemon for on-chain central limit order books')
    .version(daemonVersion(), '-V, --version', 'print the daemon version')
    .showHelpAfterError()
    .addHelpText('after', START_HERE);
  registerRun(program);
  program.commands.find((c) => c.name() === 'run')?.addHelpText('after', runHelp);
  registerBook(program);
  registerBacktest(program);
  registerSweep(program);
  registerCompare(program);
  registerTrain(program);
  registerReport(program);
  registerKeys(program);
  registerCtl(program);
  registerToken(program);
  registerVersion(program);
  registerHealth(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
