// Merging config layers while remembering which layer set each key, so that an error can
// name the file (or environment variable) the bad value came from.
import type { KeyPath } from './env-overrides.js';
import { isSecretKey } from './secret.js';

export type PlainObject = Record<string, unknown>;

export function isPlainObject(v: unknown): v is PlainObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `markets[0].symbol`: how key paths are printed in errors. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out === '' ? '' : '.'}${String(p)}`;
  return out === '' ? '(top level)' : out;
}

/** The merged raw config and, per printed key path, the layer that last set it. */
export class LayeredConfig {
  readonly raw: PlainObject = {};
  readonly #sources = new Map<string, string>();

  /** Deep-merges `layer` (objects merge, lists and scalars replace) and records its source. */
  merge(layer: PlainObject, source: string): void {
    this.#mergeInto(this.raw, layer, [], source);
  }

  /** Sets one key (an environment override), creating the objects and lists on the way. */
  set(path: KeyPath, value: unknown, source: string): void {
    let node: unknown = this.raw;
    path.forEach((key, i) => {
      const last = i === path.length - 1;
      const here = path.slice(0, i + 1);
      const container = node as Record<string | number, unknown>;
      // The source is recorded for the key set and for containers created on the way, not for
      // existing ones, so a missing key is still blamed on the file that holds its parent.
      if (last) {
        container[key] = value;
        this.#sources.set(formatPath(here), source);
        this.#recordAll(value, [...here], source);
      } else if (typeof container[key] !== 'object' || container[key] === null) {
        container[key] = typeof path[i + 1] === 'number' ? [] : {};
        this.#sources.set(formatPath(here), source);
      }
      node = container[key];
    });
  }

  /** The layer that set `path` or its nearest ancestor; `defaults` when no layer did. */
  sourceOf(path: readonly PropertyKey[]): string {
    for (let n = path.length; n > 0; n--) {
      const source = this.#sources.get(formatPath(path.slice(0, n)));
      if (source !== undefined) return source;
    }
    return 'defaults';
  }

  #mergeInto(target: PlainObject, layer: PlainObject, at: PropertyKey[], source: string): void {
    for (const [key, value] of Object.entries(layer)) {
      const path = [...at, key];
      this.#sources.set(formatPath(path), source);
      const existing = target[key];
      if (isPlainObject(value) && isPlainObject(existing)) {
        this.#mergeInto(existing, value, path, source);
      } else {
        target[key] = structuredClone(value);
        this.#recordAll(value, path, source);
      }
    }
  }

  #recordAll(value: unknown, at: PropertyKey[], source: string): void {
    if (typeof value !== 'object' || value === null) return;
    for (const [key, child] of Object.entries(value)) {
      const path = [...at, Array.isArray(value) ? Number(key) : key];
      this.#sources.set(formatPath(path), source);
      this.#recordAll(child, path, source);
    }
  }
}

/** Key paths anywhere in `value` whose name is a secret's (`storage.influx.token`). */
export function secretKeyPaths(value: unknown, at: readonly PropertyKey[] = []): PropertyKey[][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const path = [...at, Array.isArray(value) ? Number(key) : key];
    return isSecretKey(key) ? [path] : secretKeyPaths(child, path);
  });
}

/** The value at `path` in `root`, or undefined. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}
