/**
 * Interaction routes. They carry no `Authorization` (discord.js sends them with `auth: false`): the
 * interaction token is the credential, and they are outside the global rate limit.
 *
 * - POST /interactions/{id}/{token}/callback — the first answer, within 3 s, once (else 10062 / 40060);
 * - /webhooks/{application}/{token}/messages/@original (GET, PATCH, DELETE) — the reply;
 * - POST /webhooks/{application}/{token} and /messages/{id} — follow-ups.
 * The token is good for 15 minutes; after that these answer 401 code 50027.
 */
import { CallbackType, InteractionType, Limits, MessageFlag, MessageType } from './constants.js';
import { Errors } from './errors.js';
import type { RestRequest, RouteDefinition } from './http.js';
import type { InteractionRecord, Interactions } from './interactions.js';
import { PARSE_USERS, type FakeMessage, type MessageStore, type UploadedFile } from './messages.js';
import { checkUploadLimit } from './rest.js';
import {
  invalidFormBody,
  isObject,
  validateChoices,
  validateMessageBody,
  type JsonObject,
} from './validate.js';
import type { World } from './world.js';

const ALLOWED_CALLBACKS: Record<number, readonly number[]> = {
  [InteractionType.ApplicationCommand]: [
    CallbackType.ChannelMessageWithSource,
    CallbackType.DeferredChannelMessageWithSource,
    CallbackType.Modal,
  ],
  [InteractionType.MessageComponent]: [
    CallbackType.ChannelMessageWithSource,
    CallbackType.DeferredChannelMessageWithSource,
    CallbackType.DeferredUpdateMessage,
    CallbackType.UpdateMessage,
    CallbackType.Modal,
  ],
  [InteractionType.Autocomplete]: [CallbackType.AutocompleteResult],
};

export function createInteractionRoutes(ctx: {
  world: World;
  messages: MessageStore;
  interactions: Interactions;
  now: () => number;
}): RouteDefinition[] {
  const { world, messages, interactions, now } = ctx;

  function createReply(
    record: InteractionRecord,
    body: JsonObject,
    files: UploadedFile[],
    extraFlags: number,
  ) {
    const channel = world.getChannel(record.channelId);
    if (!channel || channel.deleted) throw Errors.unknownChannel();
    const ephemeral = (extraFlags & MessageFlag.Ephemeral) !== 0;
    return messages.create({
      channel,
      authorId: world.bot.id,
      body,
      files,
      type:
        record.type === InteractionType.ApplicationCommand
          ? MessageType.ChatInputCommand
          : MessageType.Default,
      webhookId: world.application.id,
      interaction: {
        id: record.id,
        type: record.type,
        userId: record.userId,
        name: record.commandName,
        guildId: record.guildId,
      },
      ephemeralTo: ephemeral ? record.userId : null,
      extraFlags,
      defaultParse: PARSE_USERS,
    });
  }

  function componentMessage(record: InteractionRecord): FakeMessage {
    const message = messages.get(record.componentMessageId ?? '');
    if (!message || message.deleted) throw Errors.unknownMessage();
    return message;
  }

  function callback(request: RestRequest) {
    const record = interactions.get(request.params.interaction_id ?? '');
    if (!record || record.token !== request.params.interaction_token) throw Errors.unknownInteraction();
    if (record.failedAt !== null || now() - record.createdAt >= Limits.interactionDeadlineMs) {
      interactions.markFailed(record);
      throw Errors.unknownInteraction();
    }
    if (record.acknowledged) throw Errors.alreadyAcknowledged();
    const type = Number(request.body.type);
    const data = isObject(request.body.data) ? request.body.data : {};
    if (!(ALLOWED_CALLBACKS[record.type] ?? []).includes(type))
      throw invalidFormBody(
        ['type'],
        'BASE_TYPE_CHOICES',
        `Value must be one of ${String(ALLOWED_CALLBACKS[record.type])}.`,
      );
    checkUploadLimit(request.files, record.attachmentSizeLimit);
    const flags = typeof data.flags === 'number' ? data.flags : 0;
    const ephemeralFlag = flags & MessageFlag.Ephemeral;
    let message: FakeMessage | null = null;
    switch (type) {
      case CallbackType.ChannelMessageWithSource:
        validateMessageBody(data, ['data']);
        message = createReply(record, data, request.files, ephemeralFlag);
        record.originalMessageId = message.id;
        break;
      case CallbackType.DeferredChannelMessageWithSource:
        // The user sees "<bot> is thinking…" until the reply is edited.
        message = createReply(record, {}, [], MessageFlag.Loading | ephemeralFlag);
        record.originalMessageId = message.id;
        break;
      case CallbackType.DeferredUpdateMessage:
        message = componentMessage(record);
        record.originalMessageId = message.id;
        break;
      case CallbackType.UpdateMessage:
        validateMessageBody(data, ['data']);
        message = componentMessage(record);
        messages.edit(message, data, request.files, { defaultParse: PARSE_USERS });
        record.originalMessageId = message.id;
        break;
      case CallbackType.AutocompleteResult:
        validateChoices(data.choices);
        break;
      case CallbackType.Modal:
        if (typeof data.custom_id !== 'string' || typeof data.title !== 'string')
          throw invalidFormBody(['data'], 'BASE_TYPE_REQUIRED', 'custom_id and title are required');
        break;
    }
    record.responses.push({
      type,
      at: now(),
      data,
      ephemeral: (message?.ephemeral ?? false) || ephemeralFlag !== 0,
      choices: Array.isArray(data.choices) ? data.choices.filter(isObject) : [],
      message,
    });
    if (request.query.get('with_response') !== 'true') return { status: 204 };
    return {
      status: 200,
      body: {
        interaction: {
          id: record.id,
          type: record.type,
          activity_instance_id: null,
          response_message_id: message?.id ?? null,
          response_message_loading: message ? (message.current.flags & MessageFlag.Loading) !== 0 : null,
          response_message_ephemeral: message ? message.ephemeral : null,
        },
        resource: { type, ...(message ? { message: messages.toApi(message) } : {}) },
      },
    };
  }

  /** The interaction behind a webhook token: 10015 when unknown or not yet answered, 50027 when expired. */
  function tokenRecord(request: RestRequest): InteractionRecord {
    if (request.params.webhook_id !== world.application.id) throw Errors.unknownWebhook();
    const record = interactions.byToken(request.params.webhook_token ?? '');
    if (!record) throw Errors.unknownWebhook();
    if (now() - record.createdAt > Limits.interactionTokenLifetimeMs) throw Errors.invalidWebhookToken();
    if (!record.acknowledged) throw Errors.unknownWebhook();
    return record;
  }

  /** `@original` or a follow-up of this interaction. */
  function tokenMessage(request: RestRequest): { record: InteractionRecord; message: FakeMessage } {
    const record = tokenRecord(request);
    const requested = request.params.message_id;
    const id = requested === '@original' ? record.originalMessageId : requested;
    if (!id || (id !== record.originalMessageId && !record.followUpIds.includes(id)))
      throw Errors.unknownMessage();
    const message = messages.get(id);
    if (!message || message.deleted) throw Errors.unknownMessage();
    return { record, message };
  }

  const webhookMessage = '/webhooks/:webhook_id/:webhook_token/messages/:message_id';

  return [
    {
      method: 'POST',
      route: '/interactions/:interaction_id/:interaction_token/callback',
      auth: false,
      handle: callback,
    },
    {
      method: 'POST',
      route: '/webhooks/:webhook_id/:webhook_token',
      auth: false,
      handle: (request) => {
        const record = tokenRecord(request);
        validateMessageBody(request.body);
        checkUploadLimit(request.files, record.attachmentSizeLimit);
        const flags = typeof request.body.flags === 'number' ? request.body.flags : 0;
        const message = createReply(record, request.body, request.files, flags & MessageFlag.Ephemeral);
        record.followUpIds.push(message.id);
        return request.query.get('wait') === 'true'
          ? { status: 200, body: messages.toApi(message) }
          : { status: 204 };
      },
    },
    {
      method: 'GET',
      route: webhookMessage,
      auth: false,
      handle: (request) => ({ status: 200, body: messages.toApi(tokenMessage(request).message) }),
    },
    {
      method: 'PATCH',
      route: webhookMessage,
      auth: false,
      handle: (request) => {
        const { record, message } = tokenMessage(request);
        validateMessageBody(request.body);
        checkUploadLimit(request.files, record.attachmentSizeLimit);
        messages.edit(message, request.body, request.files, { defaultParse: PARSE_USERS });
        return { status: 200, body: messages.toApi(message) };
      },
    },
    {
      method: 'DELETE',
      route: webhookMessage,
      auth: false,
      handle: (request) => {
        messages.delete(tokenMessage(request).message);
        return { status: 204 };
      },
    },
  ];
}
