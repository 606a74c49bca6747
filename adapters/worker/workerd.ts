/**
 * `qcore/worker` under workerd (the `workerd` export condition): the same
 * names, except that `defineAgentSession` extends the runtime's own
 * `DurableObject`. Only this file imports `cloudflare:workers`, so the
 * default entry stays importable under Node, where that module does not
 * exist. The class is passed in, not installed as a side effect, so that a
 * bundler that trusts `"sideEffects": false` keeps it.
 */
import { DurableObject } from 'cloudflare:workers';
import {
  type AgentSessionClass,
  type AgentSessionOptions,
  type AgentSessionSetup,
  defineAgentSessionOn,
} from './agent-session.js';

export * from './index.js';

export function defineAgentSession<Env>(
  setup: AgentSessionSetup<Env>,
  options: AgentSessionOptions = {},
): AgentSessionClass<Env> {
  return defineAgentSessionOn(DurableObject, setup, options);
}
