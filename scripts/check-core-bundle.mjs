// Proves the core runs on web standards: bundles it for the browser, fails on
// any Node built-in, and holds the minified+gzipped sizes to their budgets.
// Built as a user's bundler would: esbuild with code splitting, so each
// protocol is a chunk of its own, loaded by stream() on first use. A row's
// size is what a browser downloads: the initial chunks, plus the chunks that
// protocol's dynamic import pulls in; each chunk gzipped on its own.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/**
 * Sizes in bytes, minified and gzipped, zod excluded. `target` is what #10 asks for and README.md states;
 * `budget` is the ceiling enforced until the code gets there, so that nothing grows meanwhile. A row over
 * its target prints the modules behind it. Lower a budget when a change makes room. Raised once, by
 * 500 B on four rows, for two security fixes: credentials in model/options headers redacted from
 * provider errors, and RemoteWorkspace answers read within bounds. Lowered again to what the code
 * measures, rounded up to the next 500 B, once TS `private` members became `#private` (the minifier
 * renames those) and the protocols took the shared code from `src/ai/engine.ts` instead of importing
 * it (one chunk fewer per row): Anthropic 12,799 (published 12,935), openai-completions 13,223,
 * openai-responses 13,680, Gemini 15,194, Bedrock 16,731. The whole core's budget was raised once,
 * from 52,500 to 57,000, for #11: sessions as data (`src/session`, 6.4 KB minified) and the agent's
 * context accounting, compaction and summary prompt (10.6 KB minified), 56,857 B measured; neither
 * is in the one-protocol rows. Raised again for #12: the whole core to 58,500 for the agent's
 * approvals (held calls, approve/deny, resume: 2.9 KB minified), the write and edit tools' diff
 * previews and `extraBody` (58,205 B measured); the Anthropic row to 13,500 because `extraBody` is
 * applied to every request (+78 B on every row), which took the published row to 13,074 B. Raised
 * for #14: the whole core to 60,000 for the durable session client, `connectAgent(url, { sessionId
 * })` (`connect-session.ts`: reconnects with backoff and Last-Event-ID, resync, commands; 3.9 KB
 * minified, +1,490 B gzip), and #13's `retry` field in the SSE reader (+53 B); 59,748 B measured.
 * Raised for #15: structured output and tracing load in one lazy chunk (`layers.ts`: structured
 * output, its schema code and the chat span, 14 KB minified) and the agent's run spans and output
 * handling are in the whole core: the whole core to 68,000 (67,543 B measured). Each protocol's chunk
 * gained its native structured-output fields (`response_format`, `text.format`, `responseJsonSchema`,
 * `output_config`, `outputConfig`) and the first chunk the lazy loader and the catalog's
 * `structuredOutput` flags (about +100 B on every row): openai-completions to 13,600 (13,539),
 * openai-responses 14,100 (14,012), Gemini 15,600 (15,525), Bedrock 17,200 (17,145). The published
 * row to 14,000 (13,790): the few modules the root and the lazy chunk share (the mode rule and the
 * lazy loaders of the schema code and the JSON Schema checker) become small chunks of their own.
 */
const PROTOCOLS = {
  'anthropic-messages': { file: 'src/ai/providers/anthropic-messages-protocol.ts', target: 12_000, budget: 13_500 },
  'openai-completions': { file: 'src/ai/providers/openai-completions-protocol.ts', budget: 13_600 },
  'openai-responses': { file: 'src/ai/providers/openai-responses-protocol.ts', budget: 14_100 },
  'google-generative-ai': { file: 'src/ai/providers/google/google-generative-ai-protocol.ts', budget: 15_600 },
  // Bedrock brings a binary event-stream decoder with CRC32 and a SigV4 signer.
  'bedrock-converse-stream': { file: 'src/ai/providers/bedrock/bedrock-converse-stream-protocol.ts', budget: 17_200 },
};
const WHOLE_CORE = { target: 40_000, budget: 68_000 };
/** The Anthropic row as an app bundles the published `dist/`, whose chunks split the code a little more. */
const PUBLISHED_BUDGET = 14_000;

const root = resolve('src/index.ts');
// Inside the project, so that the published build's bare imports resolve.
mkdirSync('node_modules/.cache', { recursive: true });
const dir = mkdtempSync(resolve('node_modules/.cache/qcore-check-core-'));
let failed = false;
const rows = [];
const overTarget = [];

try {
  const streamOne = await bundle('stream-one', `export { stream, getModel } from ${JSON.stringify(root)};`);
  const whole = await bundle('whole-core', `export * from ${JSON.stringify(root)};`);
  if (streamOne && whole) {
    const initial = closure(streamOne, [entryChunk(streamOne)]);
    const lazy = [...initial].flatMap((key) =>
      streamOne.outputs[key].imports.filter((i) => i.kind === 'dynamic-import').map((i) => i.path),
    );
    for (const [api, { file, target, budget }] of Object.entries(PROTOCOLS)) {
      const chunks = lazy.map((key) => closure(streamOne, [key])).find((keys) => holds(streamOne, keys, file));
      if (!chunks || holds(streamOne, initial, file)) {
        console.error(`FAIL ${api}: not loaded lazily, or not by stream()`);
        failed = true;
        continue;
      }
      row(`stream() + getModel(), streaming ${api}`, streamOne, new Set([...initial, ...chunks]), budget, target);
    }
    row('stream() + getModel(), initial chunk only', streamOne, initial);
    row('stream() + getModel(), every protocol loaded', streamOne, new Set(Object.keys(streamOne.outputs)));
    row(
      'the whole core, every chunk',
      whole,
      new Set(Object.keys(whole.outputs)),
      WHOLE_CORE.budget,
      WHOLE_CORE.target,
    );
  }
  await checkPublished();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.table(rows);
for (const { name, built, chunks } of overTarget) printBreakdown(name, built, chunks);
if (failed) {
  console.error('core bundle check failed');
  process.exit(1);
}
console.log(
  `core bundle check passed: no Node built-ins, every budget holds${overTarget.length ? `; ${overTarget.length} over target` : ''}`,
);

/**
 * The same promise through the published package: tsup first splits `dist/` into chunks, and an
 * app's bundler then sees those. A chunk the root entry imports statically is fetched up front even
 * when the app uses none of it (esbuild keeps it once a dynamic import also reaches it), so no
 * protocol may be imported statically from the root entry. Built with tsup.config.ts's entries.
 */
async function checkPublished() {
  const config = readFileSync('tsup.config.ts', 'utf8');
  const block = /entry:\s*{([^}]*)}/.exec(config)?.[1] ?? '';
  const entryPoints = Object.fromEntries([...block.matchAll(/(\w+):\s*'([^']+)'/g)].map((m) => [m[1], m[2]]));
  const lib = join(dir, 'lib');
  let libMeta;
  try {
    const result = await build({
      entryPoints,
      outdir: lib,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      metafile: true,
      external: ['zod', 'hono', 'hono/*', '@hono/*', '@isomorphic-git/*', 'node:*'],
      logLevel: 'silent',
    });
    libMeta = result.metafile;
  } catch (error) {
    console.error(`FAIL the published build: ${error.errors?.[0]?.text ?? error.message}`);
    failed = true;
    return;
  }
  writeFileSync(join(lib, 'package.json'), JSON.stringify({ type: 'module', sideEffects: false }));
  const app = await bundle('published', `export { stream, getModel } from ${JSON.stringify(join(lib, 'index.js'))};`);
  if (!app) return;
  const initial = closure(app, [entryChunk(app)]);
  const sourcesOf = (keys) =>
    [...keys].flatMap((key) =>
      Object.entries(app.outputs[key].inputs)
        .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
        .flatMap(([input]) => Object.keys(libMeta.outputs[input]?.inputs ?? {})),
    );
  const upFront = sourcesOf(initial);
  for (const [api, { file }] of Object.entries(PROTOCOLS)) {
    if (upFront.includes(file)) {
      console.error(`FAIL published package: importing stream from the root loads ${api} up front`);
      failed = true;
    }
  }
  const lazy = [...initial].flatMap((key) =>
    app.outputs[key].imports.filter((i) => i.kind === 'dynamic-import').map((i) => i.path),
  );
  const { file, target } = PROTOCOLS['anthropic-messages'];
  const chunks = lazy.map((key) => closure(app, [key])).find((keys) => sourcesOf(keys).includes(file)) ?? [];
  row(
    'published package, streaming anthropic-messages',
    app,
    new Set([...initial, ...chunks]),
    PUBLISHED_BUDGET,
    target,
  );
}

async function bundle(name, code) {
  const entry = join(dir, `${name}.ts`);
  writeFileSync(entry, code);
  let result;
  try {
    result = await build({
      entryPoints: [entry],
      outdir: join(dir, `out-${name}`),
      bundle: true,
      splitting: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      metafile: true,
      external: ['zod'],
      logLevel: 'silent',
    });
  } catch (error) {
    console.error(`FAIL ${name}: the core does not bundle for the browser`);
    for (const message of error.errors ?? [error]) console.error(`  ${message.text ?? message}`);
    failed = true;
    return undefined;
  }
  const { inputs, outputs } = result.metafile;
  const nodeInputs = Object.keys(inputs).filter((input) => input.startsWith('node:'));
  const imports = Object.values(outputs).flatMap((output) => output.imports.map((i) => i.path));
  const builtins = [
    ...nodeInputs,
    ...imports.filter(
      (path) =>
        path.startsWith('node:') || /^(fs|path|os|http|https|child_process|crypto|stream|net|tls|zlib)$/.test(path),
    ),
  ];
  if (builtins.length > 0) {
    console.error(`FAIL ${name}: imports Node built-ins: ${builtins.join(', ')}`);
    failed = true;
  }
  const gzip = new Map();
  const minified = new Map();
  for (const file of result.outputFiles) {
    const key = Object.keys(outputs).find((output) => file.path.endsWith(output.replace(/^.*?out-[^/]+\//, '/')));
    gzip.set(key, gzipSync(file.contents, { level: 9 }).length);
    minified.set(key, file.contents.length);
  }
  return { outputs, gzip, minified, entry: `${name}.ts` };
}

/**
 * The chunk of the bundle's own entry. Lazy chunks have an `entryPoint` too (a dynamic import is
 * one), and esbuild may list one of them first, so the entry is found by its file name.
 */
function entryChunk(built) {
  return Object.keys(built.outputs).find((key) => built.outputs[key].entryPoint?.endsWith(built.entry));
}

/** The chunks a browser fetches before the code in `start` runs: their static imports, transitively. */
function closure(built, start) {
  const seen = new Set();
  const visit = (key) => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const i of built.outputs[key]?.imports ?? []) if (i.kind === 'import-statement') visit(i.path);
  };
  for (const key of start) visit(key);
  return seen;
}

function holds(built, keys, file) {
  return [...keys].some((key) => file in built.outputs[key].inputs);
}

function row(name, built, chunks, budget, target) {
  let gzip = 0;
  let minified = 0;
  for (const key of chunks) {
    gzip += built.gzip.get(key) ?? 0;
    minified += built.minified.get(key) ?? 0;
  }
  const ok = budget === undefined || gzip <= budget;
  if (!ok) failed = true;
  const onTarget = target === undefined || gzip <= target;
  if (!onTarget) overTarget.push({ name, built, chunks });
  rows.push({
    bundle: name,
    chunks: chunks.size,
    minified,
    gzip,
    target: target ?? '-',
    budget: budget ?? '-',
    ok: !ok ? 'OVER BUDGET' : onTarget ? 'ok' : 'over target',
  });
}

/** Minified bytes per folder and per largest module: gzip does not split by module, this does. */
function printBreakdown(name, built, chunks) {
  const modules = new Map();
  for (const key of chunks) {
    for (const [file, { bytesInOutput }] of Object.entries(built.outputs[key].inputs)) {
      const short = file.replace(/^.*node_modules\//, 'node_modules/').replace(/^.*?src\//, 'src/');
      modules.set(short, (modules.get(short) ?? 0) + bytesInOutput);
    }
  }
  const folders = new Map();
  for (const [file, bytes] of modules) {
    const folder = file.startsWith('node_modules/')
      ? file.split('/').slice(0, 2).join('/')
      : file.replace(/\/[^/]*$/, '/');
    folders.set(folder, (folders.get(folder) ?? 0) + bytes);
  }
  const top = (map, n) =>
    [...map]
      .filter(([, bytes]) => bytes > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([file, bytes]) => `${file} ${bytes}`)
      .join(', ');
  console.log(`over target: ${name}, minified bytes by folder: ${top(folders, 12)}`);
  console.log(`  largest modules: ${top(modules, 12)}`);
}
