/**
 * Amazon Bedrock's ConverseStream API
 * (`POST /model/{modelId}/converse-stream`), answered as a binary AWS event
 * stream. One request shape serves every model on Bedrock; model quirks are
 * data on the model, never guessed from its id:
 * - `compat.supportsCacheControl: true` puts `cachePoint` blocks after the
 *   system prompt and the last message (Claude and Nova accept them; other
 *   models reject them, so the default is off here);
 * - `compat.thinkingFormat` says how `options.reasoning` reaches a reasoning
 *   model: unset means Claude's extended thinking with a token budget,
 *   `reasoning_effort` means adaptive thinking with an effort level (Claude
 *   4.6 and later), `none` means nothing is sent (models that reason on
 *   their own).
 *
 * Authentication, in this order: `options.apiKey` (a Bedrock API key, sent as
 * a bearer token), `options.credentials` (signed with SigV4), then the
 * environment: `AWS_BEARER_TOKEN_BEDROCK`, or `AWS_ACCESS_KEY_ID` +
 * `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`).
 *
 * Region: `options.region`, else `credentials.region`, else `AWS_REGION` /
 * `AWS_DEFAULT_REGION`. When `model.baseUrl` is an AWS Bedrock runtime host
 * (`bedrock-runtime[-fips].<region>.amazonaws.com`), its region is replaced
 * by that one; any other base URL (a proxy, a VPC endpoint, the mock) is used
 * as is and the region only signs.
 *
 * Provider data kept on content parts, read back only for the same model:
 * - thinking: `{ signature }`;
 * - redacted thinking: `{ redactedContent }`, the encrypted reasoning as base64.
 */
import type { MessageAssembler } from '../../assembler.js';
import type { Engine } from '../../engine.js';
import type { ProviderRequest } from '../../request.js';
import type {
  Context,
  ErrorKind,
  ImageContent,
  Message,
  Model,
  ReasoningLevel,
  StreamFunction,
  StreamOptions,
  TextContent,
  ToolChoice,
  ToolResultMessage,
} from '../../types.js';
import { EventStreamError, type EventStreamMessage, readEventStream } from './eventstream.js';
import { resolveRegion } from './region.js';
import { type AwsCredentials, signAwsRequest } from './sigv4.js';

// The shared code this protocol calls, handed over by `defineBedrock` (see `engine.ts`), not imported:
// an import would split it into a chunk of its own in every app's bundle.
let clipText: Engine['clipText'];
let errorKind: Engine['errorKind'];
let normalizeToolCallId: Engine['normalizeToolCallId'];
let parseEventJson: Engine['parseEventJson'];
let ProviderError: Engine['ProviderError'];
let readEnv: Engine['readEnv'];
let transformMessages: Engine['transformMessages'];
type ProviderError = InstanceType<Engine['ProviderError']>;

export interface BedrockCredentials extends AwsCredentials {
  region?: string;
}

export interface BedrockStreamOptions extends StreamOptions {
  /** AWS credentials to sign with. Without them, the environment's are used. */
  credentials?: BedrockCredentials;
  /** The AWS region; wins over `credentials.region` and `AWS_REGION`. */
  region?: string;
}

const SERVICE = 'bedrock';
const MIN_ANSWER_TOKENS = 1024;
const THINKING_BUDGETS: Record<Exclude<ReasoningLevel, 'off'>, number> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16384,
};
const EFFORTS: Record<Exclude<ReasoningLevel, 'off'>, 'low' | 'medium' | 'high'> = {
  minimal: 'low',
  low: 'low',
  medium: 'medium',
  high: 'high',
};
const IMAGE_FORMATS: Record<string, WireImageFormat> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};
const IMAGE_OMITTED = '(image omitted: this model does not accept images)';
const EMPTY_RESULT = '(no output)';
const MISSING_CREDENTIALS =
  'No AWS credentials for Amazon Bedrock: pass options.credentials or options.apiKey, or set AWS_ACCESS_KEY_ID and ' +
  'AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN for temporary credentials, and AWS_REGION), or AWS_BEARER_TOKEN_BEDROCK.';

// ---------------------------------------------------------------- request wire format

type WireImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';
type CachePoint = { cachePoint: { type: 'default' } };
type WireText = { text: string };
type WireImage = { image: { format: WireImageFormat; source: { bytes: string } } };
type WireBlock =
  | WireText
  | WireImage
  | CachePoint
  | { toolUse: { toolUseId: string; name: string; input: Record<string, unknown> } }
  | { toolResult: { toolUseId: string; content: (WireText | WireImage)[]; status: 'success' | 'error' } }
  | { reasoningContent: { reasoningText: { text: string; signature: string } } }
  | { reasoningContent: { redactedContent: string } };

interface WireMessage {
  role: 'user' | 'assistant';
  content: WireBlock[];
}

type WireToolChoice = { auto: Record<string, never> } | { any: Record<string, never> } | { tool: { name: string } };

interface WireRequestBody {
  messages: WireMessage[];
  system?: (WireText | CachePoint)[];
  inferenceConfig: { maxTokens: number; temperature?: number };
  toolConfig?: {
    tools: { toolSpec: { name: string; description: string; inputSchema: { json: unknown } } }[];
    toolChoice?: WireToolChoice;
  };
  additionalModelRequestFields?: {
    thinking: { type: 'enabled'; budget_tokens: number } | { type: 'adaptive' | 'disabled' };
    output_config?: { effort: 'low' | 'medium' | 'high' };
  };
  outputConfig?: {
    textFormat: { type: 'json_schema'; structure: { jsonSchema: { schema: string; name: string } } };
  };
}

// ---------------------------------------------------------------- stream wire format

interface WireUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/** `reasoningContent` deltas carry one of these fields at a time. */
interface WireReasoningDelta {
  text?: string;
  signature?: string;
  redactedContent?: string;
}

interface WireDelta {
  text?: string;
  toolUse?: { input?: string };
  reasoningContent?: WireReasoningDelta;
}

/** Payloads by `:event-type`; Bedrock pads each with a random `p` field, ignored here. */
interface WireEvents {
  messageStart: { role?: string };
  contentBlockStart: { contentBlockIndex: number; start?: { toolUse?: { toolUseId: string; name: string } } };
  contentBlockDelta: { contentBlockIndex: number; delta?: WireDelta };
  contentBlockStop: { contentBlockIndex: number };
  messageStop: { stopReason?: string };
  metadata: { usage?: WireUsage };
}

// ---------------------------------------------------------------- entry point

/** The protocol, given the shared code: the registry calls it on first use, `bedrock-converse-stream.ts` at once. */
export default function defineBedrock(engine: Engine): StreamFunction<BedrockStreamOptions> {
  ({ clipText, errorKind, normalizeToolCallId, parseEventJson, ProviderError, readEnv, transformMessages } = engine);
  return engine.defineStreamFunction<BedrockStreamOptions>(buildRequest, consumeStream, (_body, headers) => {
    // AWS names the error in a header (`ValidationException:http://…`), not in the body.
    const label = headers.get('x-amzn-errortype')?.split(':')[0];
    // These come as 403s, but the credentials are wrong, not their rights.
    return label ? { label, kind: /Unrecognized|Signature|Expired/.test(label) ? 'auth' : undefined } : undefined;
  });
}

type Auth = { type: 'bearer'; token: string } | { type: 'sigv4'; credentials: AwsCredentials };

function buildRequest(
  model: Model,
  context: Context,
  options: BedrockStreamOptions,
  apiKey: string | undefined,
): ProviderRequest {
  const auth = resolveAuth(options, apiKey);
  const { baseUrl, region } = resolveRegion(
    model.baseUrl,
    options.region ?? options.credentials?.region ?? readEnv('AWS_REGION') ?? readEnv('AWS_DEFAULT_REGION'),
  );
  const request: ProviderRequest = {
    url: `${baseUrl}/model/${encodeURIComponent(model.id)}/converse-stream`,
    headers: { 'content-type': 'application/json' },
    body: buildBody(model, context, options),
  };
  if (auth.type === 'bearer') {
    request.headers.authorization = `Bearer ${auth.token}`;
    request.secrets = [auth.token];
  } else {
    const credentials = auth.credentials;
    request.secrets = [credentials.secretAccessKey, ...(credentials.sessionToken ? [credentials.sessionToken] : [])];
    request.sign = ({ url, headers, body }) =>
      signAwsRequest({
        method: 'POST',
        url,
        headers,
        body,
        credentials,
        region,
        service: SERVICE,
        contentSha256: true,
      });
  }
  return request;
}

function resolveAuth(options: BedrockStreamOptions, apiKey: string | undefined): Auth {
  if (apiKey) return { type: 'bearer', token: apiKey };
  const given = options.credentials;
  if (given) {
    if (!given.accessKeyId || !given.secretAccessKey) {
      throw new ProviderError('options.credentials needs both accessKeyId and secretAccessKey', 'auth');
    }
    const credentials: AwsCredentials = { accessKeyId: given.accessKeyId, secretAccessKey: given.secretAccessKey };
    if (given.sessionToken) credentials.sessionToken = given.sessionToken;
    return { type: 'sigv4', credentials };
  }
  const token = readEnv('AWS_BEARER_TOKEN_BEDROCK');
  if (token) return { type: 'bearer', token };
  const accessKeyId = readEnv('AWS_ACCESS_KEY_ID');
  const secretAccessKey = readEnv('AWS_SECRET_ACCESS_KEY');
  if (!accessKeyId || !secretAccessKey) throw new ProviderError(MISSING_CREDENTIALS, 'auth');
  const credentials: AwsCredentials = { accessKeyId, secretAccessKey };
  const sessionToken = readEnv('AWS_SESSION_TOKEN');
  if (sessionToken) credentials.sessionToken = sessionToken;
  return { type: 'sigv4', credentials };
}

function buildBody(model: Model, context: Context, options: StreamOptions): WireRequestBody {
  const cache = model.compat?.supportsCacheControl === true;
  const messages = convertMessages(
    transformMessages(context.messages, model, (id) => normalizeToolCallId(id, 64)),
    model,
  );
  if (cache) messages[messages.length - 1]?.content.push(cachePoint());

  const tools = context.tools ?? [];
  const history = messages.some((message) =>
    message.content.some((block) => 'toolUse' in block || 'toolResult' in block),
  );
  // Converse has no "none" tool choice: leaving the tools out is how to forbid calls, unless the
  // history holds tool blocks, which Bedrock accepts only alongside a tool configuration.
  const sendTools = tools.length > 0 && (options.toolChoice !== 'none' || history);
  const toolChoice = sendTools ? toWireToolChoice(options.toolChoice) : undefined;
  // Claude refuses thinking together with a forced tool; the caller's tool choice wins.
  const forcesTool = toolChoice !== undefined && !('auto' in toolChoice);

  let maxTokens = options.maxTokens ?? model.maxTokens;
  const level = options.reasoning;
  let thinking: WireRequestBody['additionalModelRequestFields'];
  const format = model.compat?.thinkingFormat;
  if (model.reasoning && level && level !== 'off' && !forcesTool) {
    if (format === 'reasoning_effort') {
      thinking = { thinking: { type: 'adaptive' }, output_config: { effort: EFFORTS[level] } };
    } else if (format !== 'none') {
      let budget = THINKING_BUDGETS[level];
      // Thinking counts against maxTokens, which must exceed the budget; raise it, up to the model's limit.
      const ceiling = Math.max(model.maxTokens, maxTokens);
      if (maxTokens < budget + MIN_ANSWER_TOKENS) maxTokens = Math.min(budget + MIN_ANSWER_TOKENS, ceiling);
      if (budget + MIN_ANSWER_TOKENS > maxTokens)
        budget = Math.max(THINKING_BUDGETS.minimal, maxTokens - MIN_ANSWER_TOKENS);
      if (budget < maxTokens) thinking = { thinking: { type: 'enabled', budget_tokens: budget } };
    }
  } else if (forcesTool && model.reasoning && format === 'reasoning_effort') {
    // Adaptive models may think unasked (Claude Opus 5 does by default), and a forced tool needs it off.
    thinking = { thinking: { type: 'disabled' } };
  }

  const body: WireRequestBody = { messages, inferenceConfig: { maxTokens } };
  if (context.systemPrompt) {
    body.system = cache ? [{ text: context.systemPrompt }, cachePoint()] : [{ text: context.systemPrompt }];
  }
  // Claude accepts no temperature but 1 while thinking; leaving it out is the safe form.
  if (options.temperature !== undefined && !thinking) body.inferenceConfig.temperature = options.temperature;
  if (sendTools) {
    body.toolConfig = {
      tools: tools.map((tool) => ({
        toolSpec: { name: tool.name, description: tool.description, inputSchema: { json: tool.parameters } },
      })),
    };
    if (toolChoice) body.toolConfig.toolChoice = toolChoice;
  }
  if (thinking) body.additionalModelRequestFields = thinking;
  // Structured output: OutputConfig.textFormat, an OutputFormat of type json_schema whose structure is a
  // JsonSchemaDefinition, the schema a JSON string (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_OutputFormat.html,
  // https://docs.aws.amazon.com/bedrock/latest/userguide/structured-output.html). Claude refuses an object
  // schema without `additionalProperties: false`, which zod's input schemas leave out: it is added where unset.
  const output = options.responseFormat;
  if (output) {
    // An object's own `additionalProperties` wins over the default spread before it.
    const schema = JSON.stringify(output.schema, (_key, value) =>
      value?.type === 'object' ? { additionalProperties: false, ...value } : value,
    );
    body.outputConfig = {
      textFormat: { type: 'json_schema', structure: { jsonSchema: { schema, name: output.name } } },
    };
  }
  return body;
}

function cachePoint(): CachePoint {
  return { cachePoint: { type: 'default' } };
}

function toWireToolChoice(choice: ToolChoice | undefined): WireToolChoice | undefined {
  if (choice === undefined || choice === 'none') return undefined;
  if (choice === 'auto') return { auto: {} };
  if (choice === 'required') return { any: {} };
  return { tool: { name: choice.name } };
}

// ---------------------------------------------------------------- context conversion

function convertMessages(messages: readonly Message[], model: Model): WireMessage[] {
  const out: WireMessage[] = [];
  const images = model.input.includes('image');
  // Bedrock wants strictly alternating roles: consecutive messages of one role become one.
  const push = (role: WireMessage['role'], content: WireBlock[]): void => {
    if (content.length === 0) return;
    const last = out[out.length - 1];
    if (last?.role === role) last.content.push(...content);
    else out.push({ role, content });
  };
  for (const message of messages) {
    if (message.role === 'toolResult') {
      push('user', [toolResult(message, images)]);
    } else if (message.role === 'user') {
      const parts =
        typeof message.content === 'string' ? [{ type: 'text' as const, text: message.content }] : message.content;
      push('user', userBlocks(parts, images));
    } else {
      const content: WireBlock[] = [];
      for (const part of message.content) {
        if (part.type === 'text') {
          if (part.text.trim()) content.push({ text: part.text });
        } else if (part.type === 'thinking') {
          const data = part.providerData;
          if (part.redacted) {
            if (typeof data?.redactedContent === 'string') {
              content.push({ reasoningContent: { redactedContent: data.redactedContent } });
            }
          } else if (typeof data?.signature === 'string' && data.signature) {
            content.push({ reasoningContent: { reasoningText: { text: part.thinking, signature: data.signature } } });
          }
          // Unsigned reasoning (a model that does not sign it) is not sent back: no model asks for it.
        } else {
          content.push({ toolUse: { toolUseId: part.id, name: part.name, input: part.arguments } });
        }
      }
      push('assistant', content);
    }
  }
  return out;
}

function userBlocks(parts: readonly (TextContent | ImageContent)[], images: boolean): (WireText | WireImage)[] {
  const out: (WireText | WireImage)[] = [];
  for (const part of parts) {
    if (part.type === 'text') {
      // Bedrock rejects blank text blocks.
      if (part.text.trim()) out.push({ text: part.text });
      continue;
    }
    const format = IMAGE_FORMATS[part.mimeType.toLowerCase()];
    if (!images) out.push({ text: IMAGE_OMITTED });
    else if (!format) out.push({ text: `(image omitted: ${part.mimeType} is not supported)` });
    else out.push({ image: { format, source: { bytes: part.data } } });
  }
  return out;
}

function toolResult(message: ToolResultMessage, images: boolean): WireBlock {
  const content = userBlocks(message.content, images);
  // A tool result must carry at least one content block.
  if (content.length === 0) content.push({ text: EMPTY_RESULT });
  return {
    toolResult: { toolUseId: message.toolCallId, content, status: message.isError ? 'error' : 'success' },
  };
}

// ---------------------------------------------------------------- streaming

interface BlockState {
  index: number;
  kind: 'text' | 'thinking' | 'redacted' | 'tool';
  /** Signature or encrypted reasoning received so far; both may arrive in pieces. */
  data: string;
}

type StopMapping = 'stop' | 'length' | 'toolUse' | { error: string; kind: ErrorKind };

/**
 * Turns decoded event-stream messages into assembler calls. Its members stay
 * TS `private`, not `#private`: `#` would save about 45 B gzipped, but
 * measured 5-10% slower on `npm run bench`'s Bedrock tool-argument stream,
 * a row already close to its 1.3x target (the difference is near the noise).
 */
class StreamReader {
  private readonly blocks: (BlockState | undefined)[] = [];
  private readonly utf8 = new TextDecoder();
  private stop: StopMapping | undefined;
  private usageSeen = false;

  private readonly asm: MessageAssembler;

  constructor(asm: MessageAssembler) {
    this.asm = asm;
  }

  onMessage = (message: EventStreamMessage): void => {
    const headers = message.headers;
    const messageType = headers[':message-type'];
    if (messageType === 'exception') throw this.exception(String(headers[':exception-type']), message.payload);
    if (messageType === 'error') {
      throw frameError(String(headers[':error-code']), String(headers[':error-message'] ?? ''));
    }
    const type = headers[':event-type'];
    switch (type) {
      case 'contentBlockStart': {
        const event = this.parse<WireEvents['contentBlockStart']>(message.payload);
        const tool = event.start?.toolUse;
        if (tool) {
          const index = this.asm.startToolCall(tool.toolUseId, tool.name);
          this.blocks[event.contentBlockIndex] = { index, kind: 'tool', data: '' };
        }
        return;
      }
      case 'contentBlockDelta': {
        const event = this.parse<WireEvents['contentBlockDelta']>(message.payload);
        if (event.delta) this.applyDelta(event.contentBlockIndex, event.delta);
        return;
      }
      case 'contentBlockStop': {
        const event = this.parse<WireEvents['contentBlockStop']>(message.payload);
        const block = this.blocks[event.contentBlockIndex];
        if (block) this.asm.endBlock(block.index);
        return;
      }
      case 'messageStop':
        this.stop = mapStopReason(this.parse<WireEvents['messageStop']>(message.payload).stopReason);
        this.finishIfComplete();
        return;
      case 'metadata':
        this.applyUsage(this.parse<WireEvents['metadata']>(message.payload).usage);
        this.usageSeen = true;
        this.finishIfComplete();
        return;
      default:
        // messageStart and event types added later.
        return;
    }
  };

  /** At the end of the body: a reply that reached `messageStop` is complete even without its metadata. */
  end(): void {
    if (this.stop !== undefined) this.finish(this.stop);
  }

  private finishIfComplete(): void {
    // messageStop comes before the metadata that carries the usage; the reply ends when both arrived.
    if (this.stop !== undefined && this.usageSeen) this.finish(this.stop);
  }

  private finish(stop: StopMapping): void {
    if (typeof stop === 'object') this.asm.fail('error', stop.error, stop.kind);
    else this.asm.finish(stop);
  }

  private parse<T>(payload: Uint8Array): T {
    return parseEventJson<T>(this.utf8.decode(payload), this.asm);
  }

  private applyDelta(wireIndex: number, delta: WireDelta): void {
    let block = this.blocks[wireIndex];
    if (delta.text !== undefined) {
      if (!delta.text) return;
      // Text blocks have no start event: the first delta opens one.
      if (block?.kind !== 'text') block = this.open(wireIndex, 'text');
      this.asm.textDelta(block.index, delta.text);
    } else if (delta.toolUse) {
      if (block?.kind === 'tool' && delta.toolUse.input) this.asm.toolCallDelta(block.index, delta.toolUse.input);
    } else if (delta.reasoningContent) {
      const reasoning = delta.reasoningContent;
      if (reasoning.redactedContent !== undefined) {
        if (block?.kind !== 'redacted') block = this.open(wireIndex, 'redacted');
        block.data = joinBase64(block.data, reasoning.redactedContent);
        this.asm.addProviderData(block.index, { redactedContent: block.data });
        return;
      }
      if (!reasoning.text && !reasoning.signature) return;
      if (block?.kind !== 'thinking') block = this.open(wireIndex, 'thinking');
      if (reasoning.text) this.asm.thinkingDelta(block.index, reasoning.text);
      if (reasoning.signature) {
        block.data += reasoning.signature;
        this.asm.addProviderData(block.index, { signature: block.data });
      }
    }
  }

  private open(wireIndex: number, kind: 'text' | 'thinking' | 'redacted'): BlockState {
    const index =
      kind === 'text'
        ? this.asm.startText()
        : kind === 'thinking'
          ? this.asm.startThinking()
          : this.asm.startThinking(undefined, true);
    const block: BlockState = { index, kind, data: '' };
    this.blocks[wireIndex] = block;
    return block;
  }

  private applyUsage(usage: WireUsage | undefined): void {
    if (!usage) return;
    // inputTokens leaves out cache reads and writes, as Anthropic's input_tokens does.
    this.asm.setUsage({
      input: usage.inputTokens,
      output: usage.outputTokens,
      cacheRead: usage.cacheReadInputTokens ?? 0,
      cacheWrite: usage.cacheWriteInputTokens ?? 0,
    });
  }

  private exception(type: string, payload: Uint8Array): ProviderError {
    const text = this.utf8.decode(payload);
    let detail = '';
    try {
      const body = JSON.parse(text) as { message?: unknown; Message?: unknown };
      const message = body.message ?? body.Message;
      if (typeof message === 'string') detail = clipText(this.asm.redact(message), 1000);
    } catch {
      // Redacted before the cut, or a secret across it would leave all but its tail.
      detail = clipText(this.asm.redact(text), 200);
    }
    return frameError(type, detail);
  }
}

/**
 * An exception frame's type names its kind (throttlingException,
 * serviceUnavailableException…); a validationException, like its HTTP 400,
 * is `invalid_request` or, by its wording, `context_overflow`.
 */
function frameError(type: string, detail: string): ProviderError {
  const text = detail ? `${type}: ${detail}` : type;
  const kind = errorKind(0, type);
  return new ProviderError(text, kind === 'invalid_request' || kind === 'unknown' ? errorKind(400, text) : kind);
}

async function consumeStream(response: Response, asm: MessageAssembler, touch: () => void): Promise<void> {
  if (!response.body) return;
  const reader = new StreamReader(asm);
  try {
    await readEventStream(response.body, reader.onMessage, touch);
  } catch (error) {
    // A cut connection may be retried when nothing was shown yet; corrupt bytes are not worth another try.
    if (error instanceof EventStreamError) {
      throw new ProviderError(error.message, error.truncated ? 'network' : 'invalid_output');
    }
    throw error;
  }
  reader.end();
}

function mapStopReason(reason: string | undefined): StopMapping {
  switch (reason) {
    case 'tool_use':
      return 'toolUse';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'guardrail_intervened':
    case 'content_filtered':
      return { error: `The response was blocked (stop reason "${reason}")`, kind: 'refusal' };
    case 'malformed_model_output':
    case 'malformed_tool_use':
      return {
        error: `The model produced output Bedrock could not parse (stop reason "${reason}")`,
        kind: 'invalid_output',
      };
    default:
      // end_turn, stop_sequence, and reasons added later.
      return 'stop';
  }
}

/** Appends base64 that may arrive in pieces; decoding first keeps padding inside the joined value valid. */
function joinBase64(previous: string, next: string): string {
  if (!previous) return next;
  return btoa(atob(previous) + atob(next));
}
