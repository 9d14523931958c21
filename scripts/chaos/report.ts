/** The campaign's one table (Markdown, so it can be pasted into docs/reliability.md as it is). */
import type { Accounting, Figures } from './accounting.js';
import { DISCORD_OUTAGE_SIMULATED_MS } from './plan.js';
import { SECRET_KINDS } from './secrets.js';

const OUTAGE_MINUTES = (DISCORD_OUTAGE_SIMULATED_MS / 60_000).toFixed(1);

const seconds = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);

function faultSummary(faults: Figures['faults'], struck: Figures['faultsStruck']): [string, string][] {
  /** Injected, and how many met a request, for the faults aimed at one task. */
  const aimed = (kind: keyof Figures['faults']) =>
    struck?.[kind] === undefined ? `×${faults[kind]}` : `×${faults[kind]} (struck ${struck[kind]})`;
  return [
    [
      'Video API faults injected',
      `5xx ×${faults['api-5xx']}, 429 + Retry-After ×${faults['api-429']}, timeouts ×${faults['api-timeout']}, ` +
        `malformed bodies ×${faults['api-malformed']}, truncated downloads ×${faults['api-truncated-download']}, ` +
        `key invalid for a while ${aimed('api-key-invalid')}, /content not ready for a while ${aimed('api-content-not-ready')}, ` +
        `download failing for a while ${aimed('api-download-failing')}, status 404 briefly ${aimed('api-status-404')}, ` +
        `download dripping past its deadline ${aimed('api-download-drip')}`,
    ],
    [
      'Discord faults injected',
      `5xx ×${faults['discord-5xx']}, 429 ×${faults['discord-429']}, gateway drops ×${faults['gateway-drop']}, ` +
        `progress messages deleted ×${faults['message-deleted']}, permissions removed ×${faults['permissions-removed']}, ` +
        `Attach Files removed ×${faults['attach-files-removed']}, outage of ${OUTAGE_MINUTES} simulated min ×${faults['discord-outage']}` +
        (faults['store-outage'] > 0 ? `; store outages ×${faults['store-outage']}` : '') +
        (faults['lease-lost-store-stall'] > 0
          ? `; store stalled past the lease ${aimed('lease-lost-store-stall')}`
          : '') +
        (faults['redis-unresponsive'] > 0
          ? `; store not answering (within the lease) ${aimed('redis-unresponsive')}`
          : ''),
    ],
    ['Bot restarted with another SHARD_COUNT (tasks moved)', aimed('shard-count-change')],
  ];
}

export function renderTable(accounting: Accounting): string {
  const f = accounting.figures;
  const rows: [string, string][] = [
    ['Seed', String(f.seed)],
    [
      'Tasks tracked / planned',
      `${f.tasks.tracked} / ${f.tasks.planned} (${f.pairs.tracked} task-channel pairs)`,
    ],
    ['Channels / guilds', `${f.channels} / ${f.guilds}`],
    [
      'Results expected / delivered / lost / duplicated',
      `${f.results.expected} / ${f.results.delivered} / ${f.results.lost} / ${f.results.duplicated}`,
    ],
    [
      'Results attached / linked or explained / corrupt',
      `${f.results.attached} / ${f.results.linkedOrExplained} / ${f.results.corruptAttachments}`,
    ],
    [
      'Pairs exempt (message deleted, permissions removed)',
      `${f.pairs.exempt} (${f.results.inExemptPairs} of them got their result all the same)`,
    ],
    [
      'DMs expected / delivered / lost / duplicated',
      `${f.dms.expected} / ${f.dms.delivered} / ${f.dms.lost} / ${f.dms.duplicated}`,
    ],
    [
      'Progress messages per task per channel',
      f.progressMessages.min === f.progressMessages.max
        ? `${f.progressMessages.max} (every pair)`
        : `${f.progressMessages.min}–${f.progressMessages.max} (${f.progressMessages.pairsNotOne} pairs ≠ 1)`,
    ],
    ['SIGKILLs / restarts', `${f.kills} / ${f.restarts}`],
    ['Longest restart → first poll', seconds(f.longestRestartToFirstPollMs)],
    ['Discord 429s provoked by the bot / injected', `${f.discord429.provoked} / ${f.discord429.injected}`],
    [
      'Invalid Discord requests (401/403/429) per 10 min',
      `${f.invalidRequestsPer10Min} (Discord bans at 10,000)`,
    ],
    ['Unhandled rejections / crashes', `${f.unhandledRejections} / ${f.crashes}`],
    [
      'Secrets in logs / in Discord payloads / in this report / key sent to another host',
      `${f.secretsInLogs} / ${f.secretsInDiscordPayloads} / ${f.secretsInReport} / ${f.keySentElsewhere}`,
    ],
    [
      'Secrets by kind, all output (API key / bot token / upstream header / interaction tokens / webhook URLs)',
      SECRET_KINDS.map((kind) => String(f.secretsByKind[kind])).join(' / '),
    ],
    ['Messages pinging anyone but the requester', String(f.pingsBeyondRequester)],
    ['Store records quarantined', String(f.quarantinedRecords)],
    ...(f.storeOutages && f.storeOutages.injected > 0
      ? [
          [
            'Redis outages / reported by /healthz (503, store)',
            `${f.storeOutages.injected} / ${f.storeOutages.reportedByHealthz}`,
          ] as [string, string],
        ]
      : []),
    ...faultSummary(f.faults, f.faultsStruck),
    ['Duration', seconds(f.durationMs)],
    ['Verdict', accounting.failures.length === 0 ? 'PASS' : `FAIL (${accounting.failures.length} problems)`],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  const valueWidth = Math.max(...rows.map(([, value]) => value.length));
  const line = (a: string, b: string) => `| ${a.padEnd(width)} | ${b.padEnd(valueWidth)} |`;
  return [
    line('Figure', 'Value'),
    `| ${'-'.repeat(width)} | ${'-'.repeat(valueWidth)} |`,
    ...rows.map(([name, value]) => line(name, value)),
  ].join('\n');
}
