// The daemon's model file: where a configured path points, and a watcher that hot-reloads it
// into every market when it changes (each market's `MarketState` forecasts with it; a file that
// fails to load is logged and the old model keeps serving).
import { existsSync, type FSWatcher, watch } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/** Where a configured model path points: absolute, else the working directory, else the package. */
export function resolveModelPath(path: string, packageRoot: string): string | null {
  if (isAbsolute(path)) return existsSync(path) ? path : null;
  for (const base of [process.cwd(), packageRoot]) {
    const candidate = resolve(base, path);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** Calls `reload(path)` once the file at `path` has changed and settled; `close()` stops. */
export function watchModelFile(path: string, reload: (path: string) => void): { close(): void } {
  let timer: NodeJS.Timeout | null = null;
  const watcher: FSWatcher = watch(path, () => {
    // Editors and copies write in several steps: reload once the file has settled.
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => reload(path), 200);
  });
  return {
    close: () => {
      if (timer !== null) clearTimeout(timer);
      watcher.close();
    },
  };
}
