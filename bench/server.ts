// The benchmark's mock server runs in its own process, so the client's CPU
// time measures the client alone.
import { startMockServer } from '../testing/mock-server.js';

const server = await startMockServer();
process.stdout.write(`${server.url}\n`);
process.on('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
