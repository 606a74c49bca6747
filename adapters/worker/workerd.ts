/**
 * `qcore/worker` under workerd (the `workerd` export condition): the same
 * names, with session classes extending the runtime's own `DurableObject`.
 * Only this file imports `cloudflare:workers`, so the entry stays importable
 * under Node, where that module does not exist.
 */
import { DurableObject } from 'cloudflare:workers';
import { useDurableObjectBase } from './agent-session.js';

useDurableObjectBase(DurableObject);

export * from './index.js';
