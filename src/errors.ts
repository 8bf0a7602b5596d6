// The one way the host reads an error: its message, and the stable `code` core errors carry
// across the binding (docs/market-state.md: INVALID_OPTION, BAD_LINE, SEQUENCE_GAP, ...).
// Branch on the code, never on the message text.

/** The message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The stable code of a core error (undefined for anything else). */
export function errorCode(err: unknown): string | undefined {
  const code = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
