/**
 * qcore: the runtime-agnostic core. Web standards only: this entry runs
 * unchanged in browsers, Workers and Node.
 */

export * from './agent/index.js';
export { getApi, registerApi, unregisterApi } from './ai/api-registry.js';
export type { UsageUpdate } from './ai/assembler.js';
export { MessageAssembler } from './ai/assembler.js';
export { apiKeyEnvNames, getEnvApiKey } from './ai/env.js';
export { AssistantMessageEventStream, EventStream } from './ai/event-stream.js';
export type { KnownModelId, ModelIdOf } from './ai/models.js';
export { findModel, getModel, listModels, registerModel } from './ai/models.js';
export { PartialJsonParser } from './ai/partial-json.js';
export type { BedrockCredentials, BedrockStreamOptions } from './ai/providers/bedrock/index.js';
export {
  streamAnthropic,
  streamBedrock,
  streamGoogle,
  streamOpenAICompletions,
  streamOpenAIResponses,
} from './ai/providers/by-name.js';
export type { HttpErrorReader, ProviderRequest, ResponseConsumer } from './ai/request.js';
export { defineStreamFunction, ProviderError, parseEventJson, runProviderStream } from './ai/request.js';
export { readServerSentEvents } from './ai/sse.js';
export { complete, completeObject, StructuredOutputError, stream } from './ai/stream.js';
export { transformMessages } from './ai/transform-messages.js';
export type * from './ai/types.js';
export { calculateCost } from './ai/usage.js';
export * from './session/index.js';
export * from './tools/index.js';
