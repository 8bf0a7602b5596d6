#!/usr/bin/env node
// flashmm CLI entry. Signals are held first (early-signals.ts), before the program and the
// native addon load (a good part of a second): a SIGTERM during start-up then stops `flashmm run`
// in order instead of killing it. The program itself is program.ts.
import './early-signals.js';

await import('./program.js');
