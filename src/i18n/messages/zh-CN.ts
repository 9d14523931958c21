import { defineTranslation } from '../catalogue.js';

/** Simplified Chinese. Same keys and `{placeholders}` as en-US, enforced by `defineTranslation`. */
export const zhCN = defineTranslation({
  'command.sora.description': '在本频道跟踪 Sora 视频生成任务',
  'command.track.description': '在本频道发布一条实时更新的视频任务进度消息',
  'command.track.id.description': '任务 ID，例如 video_68d7… 或 task_…',
  'command.track.notify.description': '任务结束时私信通知我',
  'command.status.description': '查看视频任务的当前状态（仅你可见）',
  'command.status.id.description': '任务 ID，例如 video_68d7… 或 task_…',
  'command.untrack.description': '停止在本频道跟踪某个视频任务',
  'command.untrack.id.description': '要停止跟踪的任务 ID',
  'command.list.description': '列出本频道正在跟踪的视频任务（仅你可见）',

  'reply.tracked': '已在本频道跟踪 {taskId}：{messageUrl}',
  'reply.alreadyTracked': '{taskId} 已在本频道跟踪中：{messageUrl}',
  'reply.noteNoAttach':
    '我无权在此频道附加文件，视频将以链接形式发送。服务器管理员可在此频道授予我“附加文件”权限。',
  'reply.noteNoReply': '我无权读取此频道的消息历史，结果将作为新消息发送，而不是回复进度消息。',
  'reply.untracked': '已停止在本频道跟踪 {taskId}。',
  'reply.notTracked': '{taskId} 未在本频道跟踪。',
  'reply.listEmpty': '本频道没有正在跟踪的视频任务。可用 `/sora track` 开始跟踪。',
  'reply.listTitle': '本频道跟踪的任务（{count}）',
  'reply.listMore': '……另有 {count} 个未显示。',
  'reply.limitUser':
    '你已在跟踪 {limit} 个进行中的任务，已达每人上限。请先取消跟踪一个，或等待某个任务结束。',
  'reply.limitGuild':
    '本服务器已在跟踪 {limit} 个进行中的任务，已达上限。请先取消跟踪一个，或等待某个任务结束。',
  'reply.missingPermissions':
    '我无法在本频道发布进度消息。请服务器管理员在此频道授予我以下权限：{permissions}。',
  'reply.unsupportedChannel': '我无法在这类频道发布进度消息。请在文字频道或子区中使用。',

  // Permission names as the Chinese Discord client labels them.
  'permission.ViewChannel': '查看频道',
  'permission.SendMessages': '发送消息',
  'permission.SendMessagesInThreads': '在子区中发送消息',
  'permission.EmbedLinks': '嵌入链接',
  'permission.AttachFiles': '附加文件',
  'permission.ReadMessageHistory': '阅读消息历史',

  'error.invalidId':
    '{taskId} 不是有效的任务 ID。任务 ID 由 1–200 个字母、数字和 `._:-` 组成，例如 `video_68d7512d07848190b3e45da0ecbebcde004da08e1e0678d5`、`task_…` 或 `sora-2:task_…`。',
  'error.notFound':
    '视频 API 中没有任务 {taskId}。请检查 ID，并确认该任务是用本机器人所用的 API 密钥创建的。',
  'error.unauthorized':
    '视频 API 拒绝了本机器人的 API 密钥：密钥错误或无权访问此任务。需要服务器运维人员修正机器人配置。',
  'error.rateLimited': '视频 API 当前限制了请求频率，请一分钟后再试。',
  'error.rateLimitedRetry': '视频 API 当前限制了请求频率，请在 {retryIn}后再试。',
  'error.unavailable': '当前无法连接视频 API，请几分钟后再试。',
  'error.badRequest': '视频 API 拒绝了对 {taskId} 的请求。请检查 ID 后重试。',
  'error.expired': '{taskId} 的视频已在 API 端过期，无法再获取。',
  'error.postFailed': '无法发布进度消息：Discord 未及时响应。请稍后再试。',
  'error.guildOnly': '此命令只能在服务器频道中使用。',
  'error.unexpected': '出了点问题，请稍后再试。',

  'status.pending': '等待首次更新',
  'status.queued': '排队中',
  'status.in_progress': '生成中',
  'status.completed': '已完成',
  'status.failed': '失败',
  'status.ended': '已停止跟踪',
  'status.preparing': '正在准备视频',

  'progress.percent': '{percent}%',
  'progress.unknown': '进度未知',
  'progress.apiStatus': 'API 状态：{status}',
  'progress.queuePosition': '排队位置：{position}',
  'progress.estimatedWait': '预计等待：{wait}',
  'progress.lastUpdate': '最后更新：{time}',
  'progress.footerActive': '自动更新中',
  'progress.footerEnded': '最终状态，不再更新',
  'progress.preparingVideo': '任务已完成，视频 API 仍在准备视频文件。文件就绪后会立即发布在这里。',
  'progress.retryingDownload':
    '任务已完成，但暂时无法从视频 API 获取视频。正在重试，获取后会立即发布在这里。',
  'ended.not_found': '视频 API 已找不到此任务，已停止跟踪。',
  'ended.unauthorized': '本机器人的 API 密钥已无权访问此任务，已停止跟踪。',
  'ended.idle_timeout': '任务长时间没有变化，已停止跟踪。',
  'ended.max_age': '任务跟踪时间已达上限，已停止跟踪。',
  'ended.untracked': '已停止跟踪。',
  'ended.untrackedBy': '{user} 停止了跟踪。',

  'button.refresh': '刷新',
  'button.notify': '通知我',
  'button.stop': '停止跟踪',
  'button.unknown': '无法识别此按钮，它可能来自本机器人的旧版本。',
  'button.notTracked': '本频道已不再跟踪此任务，因此这些按钮不再起作用。可用 `/sora track` 重新跟踪。',
  'button.refreshed': '已刷新：进度消息现在显示最新状态。',
  'button.refreshFailed': '视频 API 暂时没有响应。进度消息仍会自动更新，请稍后再试。',
  'button.refreshTooSoon': '此任务刚刚刷新过，{time}可以再次刷新。',
  'button.notifyOn': '任务结束时你将收到私信通知。再次点击 🔔 可取消。',
  'button.notifyOff': '任务结束时你将不再收到私信通知。',
  'button.stopRefused': '只有发起跟踪的人（{user}）或拥有“管理消息”权限的成员才能停止跟踪。',
  'button.stopped': '已停止在本频道跟踪 {taskId}。',

  'label.taskId': '任务',
  'label.model': '模型',
  'label.size': '尺寸',
  'label.duration': '时长',
  'label.started': '开始于',
  'label.elapsed': '用时',
  'label.requester': '发起人',
  'label.prompt': '提示词',
  'label.reason': '原因',
  'label.moderation': '被内容审核拦截',
  'label.video': '视频',
  'label.expires': '链接过期',
  'label.status': '状态',
  'video.open': '打开视频',
  'video.linkTooLong': 'API 给出的链接太长，无法在此显示。',
  'value.none': '—',

  'duration.days': '{n} 天',
  'duration.hours': '{n} 小时',
  'duration.minutes': '{n} 分钟',
  'duration.seconds': '{n} 秒',
  'duration.separator': ' ',
  'duration.underMinute': '不到 1 分钟',
  'duration.about': '约 {duration}',
  'duration.ago': '{duration}前',
  'duration.in': '{duration}后',

  'list.separator': '、',
  'list.trackedAgo': '{ago}开始跟踪',

  'result.attached': '{mention} 你的视频已生成：{taskId}（{size}）。',
  'result.linked':
    '{mention} 你的视频已生成：{taskId}。文件大小 {size}，超出此处的上传上限：[下载 MP4]({url}){expiry}。',
  'result.linkedAfterFailure':
    '{mention} 你的视频已生成：{taskId}。多次尝试下载以附加到此处均失败：[下载 MP4]({url}){expiry}。',
  'result.tooLargeNoLink':
    '{mention} 你的视频已生成：{taskId}，但文件大小 {size} 超出此处的上传上限（{limit}），且视频 API 没有提供公开链接。改用更小的分辨率或更短的时长即可上传。',
  'result.linkedNotReady':
    '{mention} 你的视频已生成：{taskId}。我停止等待时视频 API 仍在准备文件，因此未在此附上：[下载 MP4]({url}){expiry}。',
  'result.linkedAttachDenied':
    '{mention} 你的视频已生成：{taskId}。我在此频道没有上传文件的权限：[下载 MP4]({url}){expiry}。',
  'result.attachDeniedNoLink':
    '{mention} 你的视频已生成：{taskId}，但我在此频道没有上传文件的权限，且视频 API 没有提供公开链接。请让管理员在此授予我“附加文件”权限，或直接从 API 获取。',
  'result.notReadyNoLink':
    '{mention} 任务 {taskId} 已完成，但等待 10 分钟后视频 API 仍没有该视频的文件，也没有提供公开链接。请稍后用 `/sora status` 再试，或直接从 API 获取。',
  'result.downloadFailedNoLink':
    '{mention} 你的视频已生成：{taskId}，但多次尝试下载均失败，且视频 API 没有提供公开链接。请稍后用 `/sora status` 重试，或直接从 API 获取。',
  'result.expired': '{mention} 你的视频 {taskId} 已完成，但在下载前已过期。',
  'result.failed': '{mention} 任务 {taskId} 失败：{reason}',
  'result.moderation': '{mention} 任务 {taskId} 被内容审核拦截：{reason}',
  'result.expiry': '（链接{time}过期）',
  'result.sizeUnknown': '未知大小',
  'result.progressLink': '结果：{url}',

  'dm.completed': '你在 {channel} 的 Sora 任务 {taskId} 已完成。',
  'dm.failed': '你在 {channel} 的 Sora 任务 {taskId} 失败：{reason}',
  'dm.moderation': '你在 {channel} 的 Sora 任务 {taskId} 被内容审核拦截：{reason}',
  'dm.ended': '你在 {channel} 的 Sora 任务 {taskId} 已停止跟踪：{reason}',
  'dm.attached': '视频已附上。',
  'dm.linked': '[下载 MP4]({url}){expiry}',
  'dm.noVideo': '视频无法附加在此处，且视频 API 没有提供公开链接。',
  'dm.channelResult': '频道中的结果：{url}',
});
