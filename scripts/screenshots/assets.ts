/**
 * The pictures of the screenshot, drawn here as SVG `data:` URLs so the page loads nothing: the bot's
 * avatar and the first frame of the finished video.
 */

function svgUrl(svg: string): string {
  return `data:image/svg+xml,${encodeURIComponent(svg.replace(/\s*\n\s*/g, ' ').trim())}`;
}

/** The bot: a play sign on Discord's blurple. */
export const BOT_AVATAR = svgUrl(`
  <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 80 80">
    <circle cx="40" cy="40" r="40" fill="#5865f2"/>
    <rect x="18" y="24" width="44" height="32" rx="6" fill="#fff"/>
    <path d="M35 31 L49 40 L35 49 Z" fill="#5865f2"/>
  </svg>`);

/**
 * The video's poster frame, 16:9 like the 1280x720 task: a paper boat on a rainy street at night, in
 * flat colours (the screenshot shows where the video plays, not a real frame).
 */
export const VIDEO_POSTER = svgUrl(`
  <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 360">
    <rect width="640" height="360" fill="#2a1a52"/>
    <rect x="30" y="60" width="110" height="170" fill="#120d2b"/>
    <rect x="160" y="95" width="90" height="135" fill="#160f33"/>
    <rect x="420" y="40" width="120" height="190" fill="#120d2b"/>
    <rect x="555" y="110" width="70" height="120" fill="#160f33"/>
    <rect x="52" y="90" width="64" height="18" rx="4" fill="#ff4fa3"/>
    <rect x="440" y="70" width="80" height="20" rx="4" fill="#34e0ff"/>
    <rect x="178" y="120" width="54" height="14" rx="3" fill="#ffd23f"/>
    <rect y="230" width="640" height="130" fill="#150d30"/>
    <rect x="52" y="250" width="64" height="60" fill="#ff4fa3" opacity="0.25"/>
    <rect x="440" y="248" width="80" height="80" fill="#34e0ff" opacity="0.2"/>
    <rect x="178" y="246" width="54" height="40" fill="#ffd23f" opacity="0.2"/>
    <path d="M250 272 L390 272 L366 298 L274 298 Z" fill="#f4efe6"/>
    <path d="M300 272 L320 216 L340 272 Z" fill="#e6ddd0"/>
    <path d="M274 298 L366 298 L356 304 L284 304 Z" fill="#f4efe6" opacity="0.25"/>
    <g stroke="#9fb4ff" stroke-width="2" opacity="0.35">
      <path d="M80 20 l-8 26"/><path d="M210 40 l-8 26"/><path d="M350 10 l-8 26"/>
      <path d="M500 150 l-8 26"/><path d="M600 30 l-8 26"/><path d="M140 170 l-8 26"/>
      <path d="M390 120 l-8 26"/><path d="M270 160 l-8 26"/>
    </g>
  </svg>`);
