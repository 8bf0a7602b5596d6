// Signals held from the first moment of the CLI: imported first by cli.ts (before the native
// addon and the rest of the program load, which takes a good part of a second), so a SIGTERM
// during start-up is not met by Node's default action (the process killed, nothing cleaned up)
// but delivered to `flashmm run` once it can stop in order. Every other command releases them
// at once: a signal held meanwhile then takes its default action as if it had just arrived.
// No imports on purpose: this module must evaluate before anything else.

/** The signals the daemon handles: stop (SIGINT, SIGTERM) and the kill switch (SIGUSR2). */
export const HELD_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGUSR2'] as const;
export type HeldSignal = (typeof HELD_SIGNALS)[number];

const held: HeldSignal[] = [];
let claimant: ((signal: HeldSignal) => void) | null = null;
let holding = false;

const onSignal = (signal: HeldSignal): void => {
  if (claimant !== null) claimant(signal);
  else held.push(signal);
};

/** Starts holding (cli.ts does it by importing this module). */
export function holdSignals(): void {
  if (holding) return;
  holding = true;
  for (const s of HELD_SIGNALS) process.on(s, onSignal);
}

/**
 * Hands the signals to `handler`: those held so far (at once, in order) and every later one,
 * until the returned function releases them.
 */
export function claimSignals(handler: (signal: HeldSignal) => void): () => void {
  holdSignals();
  claimant = handler;
  for (const s of held.splice(0)) handler(s);
  return () => {
    if (claimant === handler) claimant = null;
  };
}

/** Stops holding; a signal held meanwhile takes its default action now (the process ends). */
export function releaseSignals(): void {
  if (!holding) return;
  holding = false;
  claimant = null;
  for (const s of HELD_SIGNALS) process.off(s, onSignal);
  const first = held.shift();
  held.length = 0;
  if (first !== undefined) process.kill(process.pid, first);
}

holdSignals();
