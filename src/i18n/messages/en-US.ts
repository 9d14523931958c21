/**
 * The reference catalogue: every user-facing string of the bot, in English (en-US, the default).
 * `{name}` marks a parameter; other locales must use exactly the same parameters (checked by the compiler
 * through `defineTranslation` and by test/unit/i18n). Values are plain text: callers escape untrusted input
 * before passing it in, and the renderers add markdown around it.
 */
export const enUS = {
  // Slash command descriptions (names are identifiers and live in src/discord/commands/definitions.ts).
  'command.sora.description': 'Track Sora video generation tasks in this channel',
  'command.track.description': 'Post a live progress message for a video task in this channel',
  'command.track.id.description': 'The task id, e.g. video_68d7… or task_…',
  'command.track.notify.description': 'Send me a direct message when the task ends',
  'command.status.description': 'Show the current state of a video task (only you see it)',
  'command.status.id.description': 'The task id, e.g. video_68d7… or task_…',
  'command.untrack.description': 'Stop tracking a video task in this channel',
  'command.untrack.id.description': 'The task id to stop tracking',
  'command.list.description': 'List the video tasks tracked in this channel (only you see it)',

  // Replies to the caller.
  'reply.tracked': 'Tracking {taskId} in this channel: {messageUrl}',
  'reply.alreadyTracked': '{taskId} is already tracked in this channel: {messageUrl}',
  'reply.noteNoAttach':
    'I may not attach files here, so the video will come as a link. A server admin can give me Attach Files in this channel.',
  'reply.noteNoReply':
    'I may not read the message history here, so the result will be a new message rather than a reply to the progress message.',
  'reply.untracked': 'Stopped tracking {taskId} in this channel.',
  'reply.notTracked': '{taskId} is not tracked in this channel.',
  'reply.listEmpty': 'No video tasks are tracked in this channel. Start one with `/sora track`.',
  'reply.listTitle': 'Tracked in this channel ({count})',
  'reply.listMore': '…and {count} more not shown.',
  'reply.limitUser':
    'You already track {limit} active tasks, the most allowed per person. Untrack one or wait until one ends.',
  'reply.limitGuild':
    'This server already tracks {limit} active tasks, the most allowed. Untrack one or wait until one ends.',
  'reply.missingPermissions':
    'I cannot post the progress message in this channel. Ask a server admin to give me these permissions here: {permissions}.',
  'reply.unsupportedChannel':
    'I cannot post progress messages in this kind of channel. Use a text channel or a thread.',

  // Permission names as Discord shows them in the server settings.
  'permission.ViewChannel': 'View Channel',
  'permission.SendMessages': 'Send Messages',
  'permission.SendMessagesInThreads': 'Send Messages in Threads',
  'permission.EmbedLinks': 'Embed Links',
  'permission.AttachFiles': 'Attach Files',
  'permission.ReadMessageHistory': 'Read Message History',

  // Errors, one per kind of video API failure.
  'error.invalidId':
    '{taskId} is not a valid task id. Ids are 1–200 letters, digits and `._:-`, like `video_68d7512d07848190b3e45da0ecbebcde004da08e1e0678d5`, `task_…` or `sora-2:task_…`.',
  'error.notFound':
    'The video API knows no task {taskId}. Check the id, and that the task was created with the API key this bot uses.',
  'error.unauthorized':
    "The video API refused this bot's API key: it is wrong or has no access to this task. A server operator must fix the bot's configuration.",
  'error.rateLimited': 'The video API is limiting requests right now. Try again in a minute.',
  'error.rateLimitedRetry': 'The video API is limiting requests right now. Try again in {retryIn}.',
  'error.unavailable': 'The video API cannot be reached right now. Try again in a few minutes.',
  'error.badRequest': 'The video API rejected the request for {taskId}. Check the id and try again.',
  'error.expired': 'The video of {taskId} has expired at the API and can no longer be fetched.',
  'error.postFailed':
    'Could not post the progress message: Discord did not answer in time. Try again in a moment.',
  'error.guildOnly': 'This command works only in a server channel.',
  'error.unexpected': 'Something went wrong on our side. Try again later.',

  // Status names and icons' words.
  'status.pending': 'Waiting for the first update',
  'status.queued': 'Queued',
  'status.in_progress': 'In progress',
  'status.completed': 'Completed',
  'status.failed': 'Failed',
  'status.ended': 'Tracking stopped',
  'status.preparing': 'Preparing the video',

  // Progress embed.
  'progress.percent': '{percent}%',
  'progress.unknown': 'progress unknown',
  'progress.apiStatus': 'API status: {status}',
  'progress.queuePosition': 'Position in queue: {position}',
  'progress.estimatedWait': 'Estimated wait: {wait}',
  'progress.lastUpdate': 'Last update {time}',
  'progress.footerActive': 'Updates automatically',
  'progress.footerEnded': 'Final state, no longer updated',
  'progress.preparingVideo':
    'The task is done and the video API is still preparing the file. It will be posted here as soon as it is ready.',
  'progress.retryingDownload':
    'The task is done, but the video could not be fetched from the video API just now. It is being tried again and will be posted here as soon as it arrives.',
  'ended.not_found': 'The video API no longer knows this task, so tracking stopped.',
  'ended.unauthorized': "The bot's API key lost access to this task, so tracking stopped.",
  'ended.idle_timeout': 'The task showed no change for too long, so tracking stopped.',
  'ended.max_age': 'The task was tracked for the longest time allowed, so tracking stopped.',
  'ended.untracked': 'Tracking was stopped.',
  'ended.untrackedBy': 'Tracking was stopped by {user}.',

  // Buttons on the progress message, and the answers to a press (only the presser sees them).
  'button.refresh': 'Refresh',
  'button.notify': 'Notify me',
  'button.stop': 'Stop tracking',
  'button.unknown': 'This button is not one I know; it may belong to an older version of this bot.',
  'button.notTracked':
    'This task is no longer tracked in this channel, so its buttons do nothing. Track it again with `/sora track`.',
  'button.refreshed': 'Refreshed: the progress message now shows the latest state.',
  'button.refreshFailed':
    'The video API did not answer just now. The progress message keeps updating on its own; try again in a moment.',
  'button.refreshTooSoon': 'This task was refreshed a moment ago. You can refresh it again {time}.',
  'button.notifyOn': 'You will get a direct message when this task ends. Press 🔔 again to turn it off.',
  'button.notifyOff': 'You will no longer get a direct message when this task ends.',
  'button.stopRefused':
    'Only the person who started tracking ({user}) or members with the Manage Messages permission can stop it.',
  'button.stopped': 'Stopped tracking {taskId} in this channel.',

  // Embed labels.
  'label.taskId': 'Task',
  'label.model': 'Model',
  'label.size': 'Size',
  'label.duration': 'Duration',
  'label.started': 'Started',
  'label.elapsed': 'Elapsed',
  'label.requester': 'Requested by',
  'label.prompt': 'Prompt',
  'label.reason': 'Reason',
  'label.moderation': 'Blocked by content moderation',
  'label.video': 'Video',
  'label.expires': 'Link expires',
  'label.status': 'Status',
  'video.open': 'Open the video',
  'video.linkTooLong': 'The API gave a link too long to show here.',
  'value.none': '—',

  // Durations. Units are joined with `duration.separator`.
  'duration.days': '{n}d',
  'duration.hours': '{n}h',
  'duration.minutes': '{n}m',
  'duration.seconds': '{n}s',
  'duration.separator': ' ',
  'duration.underMinute': 'under a minute',
  'duration.about': 'about {duration}',
  'duration.ago': '{duration} ago',
  'duration.in': 'in {duration}',

  // Lists.
  'list.separator': ', ',
  'list.trackedAgo': 'tracked {ago}',

  // Delivery: the result message in the channel ({mention} is the requester).
  'result.attached': '{mention} your video is ready: {taskId} ({size}).',
  'result.linked':
    '{mention} your video is ready: {taskId}. At {size} it is too large to attach here: [download the MP4]({url}){expiry}.',
  'result.linkedAfterFailure':
    '{mention} your video is ready: {taskId}. Downloading it to attach here failed after several tries: [download the MP4]({url}){expiry}.',
  'result.tooLargeNoLink':
    '{mention} your video is ready: {taskId}, but at {size} it is too large to attach here (the limit is {limit}) and the video API gave no public link. Generating it at a smaller size or a shorter duration would let it fit.',
  'result.linkedNotReady':
    '{mention} your video is ready: {taskId}. The video API was still preparing the file when I stopped waiting for it, so it is not attached here: [download the MP4]({url}){expiry}.',
  'result.linkedAttachDenied':
    '{mention} your video is ready: {taskId}. I am not allowed to attach files in this channel: [download the MP4]({url}){expiry}.',
  'result.attachDeniedNoLink':
    '{mention} your video is ready: {taskId}, but I am not allowed to attach files in this channel and the video API gave no public link. Ask a moderator to give me Attach Files here, or fetch it from the API directly.',
  'result.notReadyNoLink':
    '{mention} the task {taskId} completed, but the video API still had no file for it after 10 minutes of waiting, and it gave no public link. Try again later with `/sora status`, or fetch it from the API directly.',
  'result.downloadFailedNoLink':
    '{mention} your video is ready: {taskId}, but downloading it failed after several tries and the video API gave no public link. Try again later with `/sora status`, or fetch it from the API directly.',
  'result.expired':
    '{mention} your video {taskId} finished, but its download expired before it could be fetched.',
  'result.failed': '{mention} the task {taskId} failed: {reason}',
  'result.moderation': '{mention} the task {taskId} was blocked by content moderation: {reason}',
  'result.expiry': ' (the link expires {time})',
  'result.sizeUnknown': 'its size',
  'result.progressLink': 'Result: {url}',

  // Delivery: the DM to each user who asked.
  'dm.completed': 'Your Sora task {taskId} in {channel} has completed.',
  'dm.failed': 'Your Sora task {taskId} in {channel} failed: {reason}',
  'dm.moderation': 'Your Sora task {taskId} in {channel} was blocked by content moderation: {reason}',
  'dm.ended': 'Tracking of your Sora task {taskId} in {channel} has ended: {reason}',
  'dm.attached': 'The video is attached.',
  'dm.linked': '[Download the MP4]({url}){expiry}',
  'dm.noVideo': 'The video could not be attached here and the video API gave no public link.',
  'dm.channelResult': 'In the channel: {url}',
} as const;
