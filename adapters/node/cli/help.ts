/**
 * `qcore --help`, `qcore serve --help`, `qcore mcp --help` and `qcore --version`.
 */
import { readFileSync } from 'node:fs';
import { CODING_TOOL_NAMES } from '../../../src/tools/coding-tools.js';
import { THINKING_LEVELS } from './args.js';
import { DEFAULT_MODELS, DEFAULT_PROVIDER, DEFAULT_THINKING } from './resolve-model.js';

export const HELP = `qcore: a coding agent in your terminal

Usage:
  qcore [options] [prompt]        interactive session (prompt, if given, is sent first)
  qcore -p "prompt" [options]     print mode: print the final answer and exit
  echo "prompt" | qcore [options] print mode, prompt from stdin
  qcore --demo                    try it with no API key and no network
  qcore serve --root DIR ...      serve a directory as a remote workspace (qcore serve --help)
  qcore mcp [options]             serve the coding tools to an MCP client over stdio (qcore mcp --help)

Model:
  --provider NAME       anthropic, openai, qwen, kimi, deepseek, or one from your config
                        (default ${DEFAULT_PROVIDER}, model ${DEFAULT_MODELS[DEFAULT_PROVIDER]})
  -m, --model ID        model id; with no --provider, the provider that has this id
  --base-url URL        another endpoint, such as a proxy or a local OpenAI-compatible server
  --api-key KEY         the provider's key. Anyone who can run \`ps\` on this machine sees it:
                        prefer the environment (ANTHROPIC_API_KEY, OPENAI_API_KEY, ...) or
                        models.providers.<provider>.api_key in the config file
  --thinking LEVEL      ${THINKING_LEVELS.join(', ')} (default ${DEFAULT_THINKING})

Agent:
  --tools LIST          comma-separated subset of ${CODING_TOOL_NAMES.join(',')} (default: all)
  --cwd DIR             work in DIR instead of the current directory. The file tools
                        cannot reach outside it; bash starts there but is not confined:
                        without --sandbox it can run anything you can
  --sandbox             run bash in bubblewrap (Linux only): the filesystem read-only but
                        for DIR and a private /tmp; $QCORE_HOME, ~/.ssh, ~/.aws and other
                        credential files hidden; no network. bash still reads every other
                        file. If bwrap cannot run, qcore stops (apt install bubblewrap)
  --sandbox-network     with --sandbox, let commands use the network
  --env NAME            give commands the variable NAME from this environment, even one
                        that looks like a secret (repeatable; also "env" in the config)
  --hide-thinking       do not show the model's thinking
  --approval MODE       ask (default: bash and first edits of a file ask), auto-edit (edits
                        free, bash asks) or yolo (nothing asks); also permissions.defaultMode.
                        Print mode with no terminal asks nothing: it refuses what would ask

Sessions (saved in $QCORE_HOME/sessions, default ~/.qcore/sessions):
  -c, --continue        resume the latest session of this directory, with its model
  -r, --resume          choose which of this directory's sessions to resume, from a list
  --session FILE        use FILE as the session, resuming it if it exists
  --no-session          save nothing
  A long conversation is compacted as it nears the model's context window: its older
  part becomes a summary (the file keeps everything). "compaction" in the config tunes it.

Output:
  -p, --print PROMPT    print mode: only the final answer goes to stdout
  --json                print mode, one JSON agent event per line
  --output-schema FILE  print mode: the answer must match the JSON Schema in FILE, and
                        stdout gets it as JSON (with --json: the last line's "output");
                        one that does not match is shown the model once, then exit 1
  -h, --help            this help
  -v, --version         the version

Environment:
  QCORE_HOME            where config.json, sessions/ and history live (default ~/.qcore)
  QCORE_PROVIDER, QCORE_MODEL, QCORE_THINKING
                        defaults that flags override and that override the config file
  NO_COLOR              no colours

Interactive: Enter sends; a line typed while the agent works is queued for it. Ctrl-C
aborts the turn (twice quits). /help lists the commands (/model, /thinking, /compact,
/clear, /session, /cost, /undo, /exit).

Exit codes: 0 success, 1 failure (message on stderr), 2 usage error, 130 interrupted.`;

export const SERVE_HELP = `qcore serve: serve a directory as a remote workspace over HTTP

Usage:
  QCORE_TOKEN=$(openssl rand -hex 32) qcore serve --root DIR [--port N] [--host H] [--cors ORIGIN]

Options:
  --root DIR       the directory served (default: the current directory)
  --port N         the port (default: any free port; the URL is printed)
  --host H         the address to listen on (default 127.0.0.1). Anything else exposes a
                   shell to the network, and qcore warns; put a TLS proxy in front
  --allow-host H   a name the Host header may carry besides loopback names and --host,
                   such as the one a proxy forwards (repeatable); others get 403
  --cors ORIGIN    let a web page from ORIGIN call the server
  --mcp            also serve the coding tools to MCP clients at /mcp (Streamable HTTP,
                   the same token and Host check)
  --token T        the bearer token clients must send. Anyone who can run \`ps\` sees it:
                   prefer the QCORE_TOKEN environment variable
  --sandbox        run commands in bubblewrap (Linux only), as qcore --sandbox does: the
                   filesystem read-only but for DIR and a private /tmp, $QCORE_HOME and
                   credential files hidden, no network. The file routes are confined to
                   DIR either way
  --sandbox-network  with --sandbox, let commands use the network

The server refuses to start without a token, or with one shorter than 16 characters
(make one as above). It runs at most 8 commands at once.`;

/** package.json sits one level up from dist/cli.js, three from this source file. */
export function version(): string {
  for (const relative of ['../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'qcore' && pkg.version) return pkg.version;
    } catch {
      // Try the next place.
    }
  }
  return 'unknown';
}

export const MCP_HELP = `qcore mcp: the coding tools on a directory, served over stdio to an MCP client

Usage:
  qcore mcp [--cwd DIR] [--tools LIST] [--sandbox [--sandbox-network]]

Add it to an MCP client as a stdio server, for example:
  { "mcpServers": { "qcore": { "command": "qcore", "args": ["mcp", "--cwd", "/path/to/project"] } } }

Options:
  --cwd DIR          the directory the tools work in (default: the current one); the file
                     tools cannot reach outside it
  --tools LIST       the tools to offer, comma-separated (read,write,edit,ls,find,grep,bash)
  --sandbox          run bash in bubblewrap (Linux): writes only in DIR and a private /tmp,
                     no network, $QCORE_HOME and credential files hidden
  --sandbox-network  with --sandbox, let commands use the network

Without --sandbox, bash runs anything the client asks, as you: the client's own approvals are
the only check, so give it only to clients you trust. stdout carries only MCP messages.`;
