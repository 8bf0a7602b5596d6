#!/usr/bin/env node
// flashmm CLI: wires the commands in src/commands/ into one commander program.
import { Command } from 'commander';
import { registerBacktest } from './commands/backtest.js';
import { registerBook } from './commands/book.js';
import { registerCompare } from './commands/compare.js';
import { registerCtl } from './commands/ctl.js';
import { registerRun } from './commands/run.js';
import { registerSweep } from './commands/sweep.js';
import { registerToken } from './commands/token.js';
import { registerTrain } from './commands/train.js';
import { registerVersion } from './commands/version.js';
import { daemonVersion } from './version.js';

function buildProgram(): Command {
  const program = new Command()
    .name('flashmm')
    .description('FlashMM: market-making daemon for on-chain central limit order books')
    .version(daemonVersion(), '-V, --version', 'print the daemon version')
    .showHelpAfterError();
  registerRun(program);
  registerBook(program);
  registerBacktest(program);
  registerSweep(program);
  registerCompare(program);
  registerTrain(program);
  registerCtl(program);
  registerToken(program);
  registerVersion(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
