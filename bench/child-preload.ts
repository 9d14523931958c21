/**
 * Loaded with `node --import` before a tracker's child process runs anything else: puts the process on
 * the run's simulated time (still standing until the parent says go), so discord.js, undici and the bot
 * see compressed time from their first line.
 */
import { readChildConfig } from './child-config.js';
import { createTimeWarp, installTimeWarp } from './time-warp.js';

const config = readChildConfig();
const warp = createTimeWarp(config.timeFactor, config.startAt);
installTimeWarp(warp);
(globalThis as { benchTimeWarp?: unknown }).benchTimeWarp = warp;
