export { renderProgressMessage, renderStatusReply, displayState } from './progress.js';
export type { ProgressView, TrackingState, TrackingEndReason } from './progress.js';
export { renderList, type ListEntry } from './list.js';
export {
  renderError,
  renderTrackedReply,
  renderUntrackedReply,
  renderNotTrackedReply,
  renderLimitReached,
  renderMissingPermissions,
  renderUnsupportedChannel,
  OPTIONAL_CHANNEL_PERMISSIONS,
  REQUIRED_CHANNEL_PERMISSIONS,
  type ChannelPermission,
  type OptionalChannelPermission,
  type ErrorKind,
  type ErrorParams,
} from './replies.js';
export { visibleHash } from './hash.js';
export { messageUrl } from './links.js';
export { LIMITS, embedLength, fitEmbed } from './limits.js';
export { noMentions, type MessagePayload, type TextPayload } from './payload.js';
export { statusLook, progressBar, type DisplayState } from './status.js';
export {
  clip,
  discordTimestamp,
  escapeUntrusted,
  inlineCode,
  neutraliseMentions,
  userMention,
} from './text.js';
export {
  BUTTON_ACTIONS,
  CUSTOM_ID_MAX_LENGTH,
  decodeButtonId,
  encodeButtonId,
  refersTo,
  taskIdHash,
  type ButtonAction,
  type ButtonId,
  type ButtonTaskRef,
} from './custom-id.js';
