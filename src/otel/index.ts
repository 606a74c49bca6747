/**
 * The `qcore/otel` entry: qcore's tracer hook on OpenTelemetry. The core
 * takes any `Tracer` (`StreamOptions.tracing`, `AgentOptions.tracing`) and
 * imports no tracing library; `otelTracer()` makes one that starts
 * OpenTelemetry spans, so qcore's `chat`, `invoke_agent` and `execute_tool`
 * spans reach whatever exporter the app set up.
 *
 * ```ts
 * import { otelTracer } from 'qcore/otel';
 * const agent = new Agent({ model, tools, tracing: { tracer: otelTracer(), agentName: 'coder' } });
 * ```
 *
 * `@opentelemetry/api` is an optional peer: only this entry needs it, and
 * without it `otelTracer()` throws one line that says what to install. The
 * root entry does not re-export this folder, so the core bundle does not grow.
 */
import type * as OpenTelemetry from '@opentelemetry/api';
import type { Span, SpanAttributes, Tracer } from '../ai/types.js';
import { isMissingPackage, MissingPeerError } from '../server/missing-peer.js';

const PEER = '@opentelemetry/api';

/** The instrumentation scope's version: qcore's own. */
const VERSION = '0.1.0';

const api = await import('@opentelemetry/api').then(
  (module) => module,
  (error: unknown) => {
    if (isMissingPackage(error, PEER)) return undefined;
    throw error;
  },
);

/** The OpenTelemetry span behind each span this entry made, for its children. */
const otelSpans = new WeakMap<Span, OpenTelemetry.Span>();

/** OpenTelemetry takes no `undefined` values. */
function attributesOf(attributes: SpanAttributes): OpenTelemetry.Attributes {
  const out: OpenTelemetry.Attributes = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}

/**
 * A qcore `Tracer` on OpenTelemetry: `tracer`, or by default the global
 * provider's `qcore` tracer. A `chat` span (a request to a provider) is of
 * kind `CLIENT`, the agent's and tools' spans `INTERNAL`. A span goes under
 * its `parent` (a span of this tracer, or an OpenTelemetry span), else under
 * the active context's span. A failure is recorded as an exception, with
 * status `ERROR`.
 */
export function otelTracer(tracer?: OpenTelemetry.Tracer): Tracer {
  if (!api) throw new MissingPeerError('otelTracer', [PEER]);
  const { context, SpanKind, SpanStatusCode, trace } = api;
  const otel = tracer ?? trace.getTracer('qcore', VERSION);
  return {
    startSpan(name, attributes, parent) {
      // A parent of another tracer is taken for an OpenTelemetry span when it is one.
      const parentSpan =
        parent && (otelSpans.get(parent) ?? (isOtelSpan(parent) ? (parent as OpenTelemetry.Span) : undefined));
      const active = context.active();
      const span = otel.startSpan(
        name,
        {
          kind: attributes['gen_ai.operation.name'] === 'chat' ? SpanKind.CLIENT : SpanKind.INTERNAL,
          attributes: attributesOf(attributes),
        },
        parentSpan ? trace.setSpan(active, parentSpan) : active,
      );
      const wrapped: Span = {
        setAttributes(more) {
          span.setAttributes(attributesOf(more));
        },
        end(error) {
          if (error !== undefined) {
            const message = error instanceof Error ? error.message : String(error);
            span.recordException(error instanceof Error ? error : message);
            span.setStatus({ code: SpanStatusCode.ERROR, message });
          }
          span.end();
        },
      };
      otelSpans.set(wrapped, span);
      return wrapped;
    },
  };
}

function isOtelSpan(span: Span): boolean {
  return typeof (span as Partial<OpenTelemetry.Span>).spanContext === 'function';
}
