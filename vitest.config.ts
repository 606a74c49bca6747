import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { chromiumArgs, chromiumPath } from './test/setup/chromium.js';

/**
 * Tests under test/ai, test/agent and test/tools run unchanged in all three runtimes;
 * test/node, test/browser and test/workers only in their own.
 */
const shared = [
  'test/ai/**/*.test.ts',
  'test/agent/**/*.test.ts',
  'test/session/**/*.test.ts',
  'test/tools/**/*.test.ts',
];

export default defineConfig({
  test: {
    globalSetup: ['test/setup/global-mock-server.ts'],
    projects: [
      {
        test: {
          name: 'node',
          include: [...shared, 'test/node/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'browser',
          include: [...shared, 'test/browser/**/*.test.ts'],
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
            }),
            instances: [{ browser: 'chromium' }],
            screenshotFailures: false,
          },
        },
      },
      {
        plugins: [
          cloudflareTest(() => ({
            miniflare: { compatibilityDate: '2026-04-01', compatibilityFlags: ['enable_request_signal'] },
          })),
        ],
        test: {
          name: 'workers',
          include: [...shared, 'test/workers/**/*.test.ts'],
        },
      },
      {
        // Durable Objects need a main module that exports their class: test/durable/worker.ts.
        plugins: [
          cloudflareTest(({ inject }) => ({
            main: './test/durable/worker.ts',
            miniflare: {
              compatibilityDate: '2026-04-01',
              compatibilityFlags: ['enable_request_signal'],
              bindings: { MOCK_URL: inject('mockUrl') },
              durableObjects: {
                AGENT_SESSIONS: { className: 'AgentSession', useSQLite: true },
                SHORT_SESSIONS: { className: 'ShortIdleSession', useSQLite: true },
              },
            },
          })),
        ],
        test: {
          name: 'durable',
          include: ['test/durable/**/*.test.ts'],
        },
      },
    ],
  },
});
