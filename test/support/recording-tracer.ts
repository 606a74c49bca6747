import type { Span, SpanAttributes, Tracer } from '../../src/ai/types.js';

/** A span as the recording tracer saw it: its attributes merged, its parent, how it ended. */
export interface RecordedSpan {
  name: string;
  attributes: SpanAttributes;
  parent: RecordedSpan | undefined;
  ended: boolean;
  error: unknown;
  /** Which span ended how many-th, from 1. */
  endOrder: number;
}

/** A plain-object `Tracer` that keeps every span in memory, in start order. */
export function recordingTracer(): { tracer: Tracer; spans: RecordedSpan[]; of(span: Span): RecordedSpan } {
  const spans: RecordedSpan[] = [];
  const records = new Map<Span, RecordedSpan>();
  let ends = 0;
  const tracer: Tracer = {
    startSpan(name, attributes, parent) {
      const record: RecordedSpan = {
        name,
        attributes: { ...attributes },
        parent: parent ? records.get(parent) : undefined,
        ended: false,
        error: undefined,
        endOrder: 0,
      };
      spans.push(record);
      const span: Span = {
        setAttributes(more) {
          if (record.ended) throw new Error(`${name}: attributes set after the span ended`);
          Object.assign(record.attributes, more);
        },
        end(error) {
          if (record.ended) throw new Error(`${name}: ended twice`);
          record.ended = true;
          record.error = error;
          record.endOrder = ++ends;
        },
      };
      records.set(span, record);
      return span;
    },
  };
  return { tracer, spans, of: (span) => records.get(span) as RecordedSpan };
}

/** Every span, attributes and errors included, as one string: for looking for what must not be there. */
export function dump(spans: RecordedSpan[]): string {
  return JSON.stringify(
    spans.map(({ parent, error, ...span }) => ({
      ...span,
      parent: parent?.name,
      error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : error,
    })),
  );
}
