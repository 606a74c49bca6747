/**
 * Cold `import('qcore')`: what a fresh Node process pays to load the root
 * entry, over a bare `node -e` importing an empty module, in the same run.
 * Target: ≤ 25 ms. It measures the built `dist/index.js` (run `npm run build`
 * first), because that is what users load; `QCORE_DIST=/other/dist`
 * measures another build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 11);
const TARGET_MS = 25;
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Milliseconds a fresh `node -e` spends in `import(url)`, timed inside the
 * child: spawning Node is the same for both sides and only adds noise.
 */
function timeImport(url: string): number {
  const script = `const t=performance.now();import(${JSON.stringify(url)}).then(()=>console.log(performance.now()-t))`;
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const elapsed = Number(child.stdout.trim());
  if (child.status !== 0 || !Number.isFinite(elapsed)) throw new Error(`node -e exited with ${child.status}`);
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export interface ColdImport {
  baselineMs: number;
  importMs: number;
  overBaselineMs: number;
}

export function benchColdImport(dist = process.env.QCORE_DIST ?? join(REPO, 'dist')): ColdImport | undefined {
  const entry = join(dist, 'index.js');
  if (!existsSync(entry)) return undefined;
  const url = pathToFileURL(entry).href;
  const baseline: number[] = [];
  const imported: number[] = [];
  // Interleaved, so a busy moment on a shared machine hits both sides alike. The baseline
  // imports an empty module, so the ESM loader's own start-up is not counted against qcore.
  for (let run = 0; run < RUNS; run++) {
    baseline.push(timeImport('data:text/javascript,'));
    imported.push(timeImport(url));
  }
  const baselineMs = median(baseline);
  const importMs = median(imported);
  return { baselineMs, importMs, overBaselineMs: importMs - baselineMs };
}

export function reportColdImport(): boolean {
  const dist = process.env.QCORE_DIST ?? join(REPO, 'dist');
  const result = benchColdImport(dist);
  if (!result) {
    console.log(`cold import('qcore'): skipped, no ${join(dist, 'index.js')} (run npm run build)`);
    return true;
  }
  const stale = !process.env.QCORE_DIST && newestMtime(join(REPO, 'src')) > statSync(join(dist, 'index.js')).mtimeMs;
  const ok = result.overBaselineMs <= TARGET_MS;
  console.log(
    `cold import('qcore'): ${result.overBaselineMs.toFixed(1)} ms over bare node ` +
      `(${result.importMs.toFixed(1)} vs ${result.baselineMs.toFixed(1)} ms, median of ${RUNS}) ` +
      `target ≤ ${TARGET_MS} ms ${ok ? 'ok' : 'OVER'}${stale ? ' (dist is older than src: npm run build)' : ''}`,
  );
  return ok;
}

// A report, so the ratio bench after it still runs; `--check` makes a miss fail.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (!reportColdImport() && process.argv.includes('--check')) process.exitCode = 1;
}
