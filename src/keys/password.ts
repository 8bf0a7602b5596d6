// Keystore passwords: from FLASHMM_KEYSTORE_PASSWORD, or typed at a terminal (hidden). Without
// either there is no password, and the error says how to give one.
import { read } from 'read';
import { Secret, SECRET_ENV } from '../config/secret.js';

export class PasswordError extends Error {
  override readonly name = 'PasswordError';
  readonly code = 'KEYSTORE_PASSWORD';
}

export const MIN_PASSWORD_LENGTH = 8;

export async function keystorePassword(env: NodeJS.ProcessEnv, { confirm }: { confirm: boolean }): Promise<Secret> {
  const fromEnv = env[SECRET_ENV.keystorePassword];
  const password = fromEnv !== undefined && fromEnv !== '' ? fromEnv : await prompt('Keystore password: ');
  if (password.length < MIN_PASSWORD_LENGTH) throw new PasswordError(`the keystore password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  if (confirm && fromEnv === undefined && (await prompt('Repeat the password: ')) !== password) {
    throw new PasswordError('the passwords differ');
  }
  return new Secret(password);
}

/** A hidden line from the terminal; the secret never echoes. */
export async function prompt(text: string): Promise<string> {
  if (process.stdin.isTTY !== true) {
    throw new PasswordError(`no terminal to ask on: set ${SECRET_ENV.keystorePassword} (and ${SECRET_ENV.mnemonic} to import)`);
  }
  return read({ prompt: text, silent: true, replace: '', output: process.stderr });
}
