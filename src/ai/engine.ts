/**
 * What the built-in protocols take from the shared code, handed to each one
 * when it loads instead of imported by it. A lazily loaded chunk that
 * imported these would make every bundler split them into a chunk of their
 * own, fetched and gzipped apart from the first chunk that `stream()` needs
 * anyway; handed over, they stay in that first chunk (about 300 B less
 * gzipped for an app that streams one protocol). The registry passes this
 * object to a protocol's default export; the static `streamAnthropic` and
 * siblings (tests, `register-all.ts`) pass it too. Structured output's
 * chunk (`structured-output.ts`) takes it the same way.
 */
import { readEnv } from './env.js';
import { errorKind } from './error-kind.js';
import { AssistantMessageEventStream } from './event-stream.js';
import { PartialJsonParser } from './partial-json.js';
import { clipText } from './redact.js';
import { defineStreamFunction, ProviderError, parseEventJson } from './request.js';
import { readServerSentEvents } from './sse.js';
import { normalizeToolCallId, transformMessages } from './transform-messages.js';
import { emptyUsage } from './usage.js';

export const engine = {
  AssistantMessageEventStream,
  clipText,
  defineStreamFunction,
  emptyUsage,
  errorKind,
  normalizeToolCallId,
  parseEventJson,
  PartialJsonParser,
  ProviderError,
  readEnv,
  readServerSentEvents,
  transformMessages,
};

export type Engine = typeof engine;
