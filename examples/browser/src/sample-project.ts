/**
 * A small project to give a first run something to read, search and edit.
 */
import type { Workspace } from 'qcore';

export const SAMPLE_FILES: Record<string, string> = {
  'README.md': `# Tiny shop

A toy TypeScript project living in your browser's IndexedDB. The agent can
read, search, edit and write these files; nothing leaves the browser except
what is sent to the model.

Try asking:

- "Summarise this project and write the summary to notes/summary.md"
- "Find the TODO comments and fix them"
- "Add a function that applies a discount code, with tests"
`,
  'package.json': `{
  "name": "tiny-shop",
  "version": "0.1.0",
  "type": "module",
  "scripts": { "test": "node --test" }
}
`,
  'src/cart.ts': `import { formatPrice } from './money.js';

export interface Item {
  name: string;
  priceCents: number;
  quantity: number;
}

export function total(items: Item[]): number {
  // TODO: reject negative quantities
  return items.reduce((sum, item) => sum + item.priceCents * item.quantity, 0);
}

export function receipt(items: Item[]): string {
  const lines = items.map((item) => \`\${item.quantity} × \${item.name}  \${formatPrice(item.priceCents * item.quantity)}\`);
  return [...lines, \`Total  \${formatPrice(total(items))}\`].join('\\n');
}
`,
  'src/money.ts': `/** Cents as dollars, such as 1999 → "$19.99". */
export function formatPrice(cents: number): string {
  // TODO: support other currencies
  return \`$\${(cents / 100).toFixed(2)}\`;
}
`,
  'test/cart.test.ts': `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { total } from '../src/cart.js';

test('total adds up price times quantity', () => {
  assert.equal(total([{ name: 'tea', priceCents: 350, quantity: 2 }]), 700);
});
`,
};

/** Writes the sample files, creating their folders; other files are left alone. */
export async function loadSampleProject(workspace: Workspace): Promise<string[]> {
  const written: string[] = [];
  for (const [path, content] of Object.entries(SAMPLE_FILES)) {
    const slash = path.lastIndexOf('/');
    if (slash > 0) await workspace.mkdir(path.slice(0, slash), { recursive: true });
    await workspace.writeFile(path, content);
    written.push(path);
  }
  return written;
}
