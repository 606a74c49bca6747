/**
 * What `/undo` prints: the files put back, the ones left alone and why, and
 * that commands' changes stay.
 */
import type { UndoReport } from '../../../src/tools/undo-journal.js';
import type { Style } from './style.js';

const BASH_NOTE = 'Changes made by bash are not undone.';

export function describeUndo(report: UndoReport, style: Style): string {
  const { restored, deleted, skipped } = report;
  if (restored.length + deleted.length + skipped.length === 0) {
    return style.dim(`nothing to undo: the last prompt changed no files with write or edit. ${BASH_NOTE}`);
  }
  const lines = [
    ...restored.map((path) => `restored ${path}`),
    ...deleted.map((path) => `deleted ${path} (the prompt created it)`),
    ...skipped.map(({ path, reason }) => style.yellow(`not undone: ${path}: ${reason}`)),
  ];
  lines.push(style.dim(`${BASH_NOTE} The model is not told: say so in your next prompt if it matters.`));
  return lines.join('\n');
}
