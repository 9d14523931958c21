/**
 * The page that is photographed: one self-contained HTML document with the Discord look-alike components
 * bundled in (esbuild, from node_modules), the messages' markup and a dark Discord theme. It loads
 * nothing from anywhere: no CDN, no web font (the system's Noto fonts are used).
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { dividerMarkup, escapeHtml, messageMarkup, type MarkupContext } from './markup.js';
import type { Section } from './scenes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Runs in the page: defines the components, waits until every one has rendered, gives the video player
 * its length (a player learns it from the file, and there is none here), waits for fonts, then says so.
 */
const BROWSER_ENTRY = `
import '@skyra/discord-components-core';

// The look-alike paints the seek bar of a video not yet played all blue, with the browser's own knob;
// Discord's is a plain grey bar.
const UNPLAYED = new CSSStyleSheet();
const SEEK_BAR = "input[type='range'].discord-media-attachment-playback-control";
UNPLAYED.replaceSync(\`
  \${SEEK_BAR} { appearance: none; border-radius: 3px; background: hsl(210 9.3% 78.8% / 0.3); }
  \${SEEK_BAR}::-webkit-slider-runnable-track { background: none; }
  \${SEEK_BAR}::-webkit-slider-thumb { appearance: none; opacity: 0; }
\`);

async function settle() {
  await customElements.whenDefined('discord-message');
  const rendered = () =>
    Promise.all([...document.querySelectorAll('*')].map((el) => el.updateComplete).filter(Boolean));
  await rendered();
  for (const player of document.querySelectorAll('discord-video-attachment[data-duration]')) {
    player.totalMediaDuration = player.dataset.duration;
    player.shadowRoot.adoptedStyleSheets = [...player.shadowRoot.adoptedStyleSheets, UNPLAYED];
  }
  await rendered();
  await document.fonts.ready;
  window.__screenshotReady = true;
}
settle().catch((error) => {
  window.__screenshotError = String((error && error.stack) || error);
});
`;

/** The components and the code above as one minified script. */
export async function bundleComponents(): Promise<string> {
  const result = await build({
    stdin: { contents: BROWSER_ENTRY, resolveDir: ROOT, loader: 'js', sourcefile: 'screenshots-entry.js' },
    bundle: true,
    format: 'esm',
    minify: true,
    target: 'chrome120',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  // Inside an inline <script>, "</script" would end it early.
  return result.outputFiles[0]!.text.replace(/<\/(script)/gi, '<\\/$1');
}

/** Discord's dark theme of today, where the components' defaults are older shades. */
const STYLE = `
  html, body { margin: 0; background: #313338; }
  body { width: var(--page-width); -webkit-font-smoothing: antialiased; }
  discord-messages {
    background-color: #313338;
    border: none;
    padding-bottom: 8px;
    font-family: 'Noto Sans', sans-serif;
  }
  .divider {
    display: flex;
    align-items: center;
    margin: 20px 16px 4px !important;
    padding: 0 !important;
    color: #949ba4;
    font: 600 12px/16px 'Noto Sans', sans-serif;
  }
  .divider::before, .divider::after { content: ''; flex: 1; height: 1px; background: #3f4147; }
  .divider span { padding: 0 8px; }
  .divider:first-child { margin-top: 14px !important; }
`;

export function pageHtml(input: {
  sections: readonly Section[];
  context: MarkupContext;
  channelName: string;
  width: number;
  script: string;
}): string {
  const body = input.sections
    .flatMap((section) => [
      dividerMarkup(section.caption),
      ...section.messages.map((message) => messageMarkup(message, input.context)),
    ])
    .join('\n');
  return `<!doctype html>
<html lang="en-US">
<head>
<meta charset="utf-8" />
<title>sora-tracker messages</title>
<style>:root { --page-width: ${input.width}px; }${STYLE}</style>
</head>
<body>
<discord-messages channel-type="text" channel-name="${escapeHtml(input.channelName)}">
${body}
</discord-messages>
<script type="module">${input.script}</script>
</body>
</html>
`;
}
