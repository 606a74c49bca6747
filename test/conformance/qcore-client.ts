/**
 * The command the MCP conformance suite runs for its client scenarios: the
 * server URL comes as the last argument, the scenario in
 * MCP_CONFORMANCE_SCENARIO. It drives qcore's own client (`qcore/mcp`).
 */
import { connectMcp } from '../../src/mcp/index.js';

const url = process.argv.at(-1) as string;
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';

const client = await connectMcp({ name: 'conformance', url, timeoutMs: 10_000 });
try {
  if (scenario !== 'initialize') {
    for (const tool of client.tools()) {
      const schema = tool.parameters as { properties?: Record<string, { type?: string }> };
      const args: Record<string, unknown> = {};
      for (const [key, property] of Object.entries(schema.properties ?? {})) {
        args[key] =
          property.type === 'number' || property.type === 'integer' ? 1 : property.type === 'boolean' ? true : 'x';
      }
      const result = await tool.execute(args, {
        toolCallId: 'conformance',
        signal: AbortSignal.timeout(10_000),
        onUpdate: () => {},
      });
      process.stdout.write(`${tool.name}: ${JSON.stringify(result.content).slice(0, 200)}\n`);
    }
  }
} finally {
  await client.close();
}
