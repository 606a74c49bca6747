/**
 * What the built-in protocols take from the shared code, handed to each one
 * when it loads instead of imported by it. A lazily loaded chunk that
 * imported these would make every bundler split them into a chunk of their
 * own, fetched and gzipped apart from the first chunk that `stream()` needs
 * anyway; handed over, they stay in that first chunk (about 300 B less
 * gzipped for an app that streams one protocol). The registry passes this
 * object to a protocol's default export; the static `streamAnthropic` and
 * siblings (tests, `register-all.ts`) pass it too.
 */
import { readEnv } from './env.js';
import { errorKind } from './error-kind.js';
import { clipText } from './redact.js';
import { defineStreamFunction, ProviderError, parseEventJson } from './request.js';
import { readServerSentEvents } from './sse.js';
import { normalizeToolCallId, transformMessages } from './transform-messages.js';

export const engine = {
  clipText,
  defineStreamFunction,
  errorKind,
  normalizeToolCallId,
  parseEventJson,
  ProviderError,
  readEnv,
  readServerSentEvents,
  transformMessages,
};

export type Engine = typeof engine;
