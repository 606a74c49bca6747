/**
 * examples/worker, the durable-session Worker, run as a user has it, for the
 * tests that talk to it (worker-example.test.ts, browser-durable.e2e.test.ts):
 * a copy outside the repository with `qcore` in its node_modules built from
 * this repository (package.json and a tsup build of dist/, so `qcore/worker`
 * comes through the package's `workerd` export condition, as `wrangler deploy`
 * would bundle it), started with `wrangler dev --local` offline (no metrics,
 * no error reports, no Cloudflare account) and its vars given on the command
 * line; stopping it stops workerd and removes the copy.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const EXAMPLE = join(ROOT, 'examples/worker');

const OFFLINE_ENV = {
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
};

/** A TCP port free on 127.0.0.1 just now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A copy of examples/worker, and the `wrangler dev` running it once started. */
export class ExampleWorker {
  /** The copy: the example's files and node_modules/qcore; `.wrangler/` once it has run. */
  readonly app: string;
  /** `http://127.0.0.1:<port>`, no trailing slash, once started. */
  url = '';
  /** What wrangler has printed, stdout and stderr. */
  output = '';
  readonly #base: string;
  readonly #building: Promise<unknown>;
  #wrangler: ChildProcess | undefined;
  #exited: Promise<number | null> | undefined;

  private constructor(base: string, app: string, building: Promise<unknown>) {
    this.#base = base;
    this.app = app;
    this.#building = building;
  }

  /**
   * Copies the example into a new temporary directory (named from `prefix`)
   * and starts building qcore into its node_modules; `start` waits for that.
   */
  static copy(prefix: string): ExampleWorker {
    const base = mkdtempSync(join(tmpdir(), prefix));
    // The package as npm would install it: package.json and dist/ (no type declarations: nothing here checks types).
    const pkg = join(base, 'worker/node_modules/qcore');
    mkdirSync(pkg, { recursive: true });
    copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
    const building = promisify(execFile)(
      process.execPath,
      [join(ROOT, 'node_modules/tsup/dist/cli-default.js'), '--out-dir', join(pkg, 'dist'), '--no-dts', '--silent'],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
    );
    // The example's files beside it, with its tsconfig.json: its repository `paths` lead nowhere here, so imports fall to node_modules.
    const app = join(base, 'worker');
    mkdirSync(join(app, 'src'), { recursive: true });
    for (const file of ['package.json', 'wrangler.jsonc', 'tsconfig.json', 'src/index.ts']) {
      copyFileSync(join(EXAMPLE, file), join(app, file));
    }
    return new ExampleWorker(base, app, building);
  }

  /**
   * Once qcore is built, runs the example's own dev script on a free port,
   * with each of `vars` given as `--var NAME:value`; resolves when wrangler
   * says it is ready.
   */
  async start(vars: Record<string, string>): Promise<void> {
    await this.#building;
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = { ...process.env, ...OFFLINE_ENV };
    delete env.CLOUDFLARE_API_TOKEN;
    const args = ['dev', '--local', '--ip', '127.0.0.1', '--port', String(port)];
    for (const [name, value] of Object.entries(vars)) args.push('--var', `${name}:${value}`);
    const child = spawn(join(ROOT, 'node_modules/.bin/wrangler'), args, {
      cwd: this.app,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#wrangler = child;
    this.#exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdout?.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    await this.waitFor('wrangler to be ready', () => this.output.includes(`Ready on ${this.url}`), 60_000);
  }

  /** Polls `ok` every 100 ms; fails, with what wrangler said, after `timeoutMs` or if wrangler has exited. */
  async waitFor(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; wrangler said:\n${this.output}`);
      const code = this.#wrangler?.exitCode;
      if (code !== null) throw new Error(`wrangler exited (${code}):\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Stops wrangler (SIGTERM, SIGKILL after 10 s) and removes the copy. */
  async stop(): Promise<void> {
    // Signalling wrangler's own PID stops workerd with it.
    const wrangler = this.#wrangler;
    if (wrangler && wrangler.exitCode === null) {
      wrangler.kill('SIGTERM');
      const stopped = await Promise.race([
        this.#exited,
        new Promise((resolve) => setTimeout(() => resolve('timeout'), 10_000)),
      ]);
      if (stopped === 'timeout') wrangler.kill('SIGKILL');
    }
    rmSync(this.#base, { recursive: true, force: true });
  }
}
