import { ApplicationCommandOptionType } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { soraCommandDefinitions, soraCommand } from '../../../src/discord/commands/definitions.js';

/** Discord's naming rule for command and option names (docs/discord-limits.md#command-names-and-localisation). */
const NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

interface Named {
  name: string;
  name_localizations?: Record<string, string | null> | null;
  description: string;
  description_localizations?: Record<string, string | null> | null;
  options?: readonly Named[];
}

/** The command, its subcommands and their options, each with a readable path. */
function everyPart(part: Named, path = part.name): [string, Named][] {
  return [
    [path, part],
    ...(part.options ?? []).flatMap((child) => everyPart(child, `${path} ${child.name}`)),
  ];
}

const parts = everyPart(soraCommand);

describe('/sora definition', () => {
  it('has exactly the subcommands and option names operators script against', () => {
    expect(soraCommand.name).toBe('sora');
    const shape = soraCommand.options.map((sub) => ({
      name: sub.name,
      type: sub.type,
      options: ('options' in sub ? sub.options : []).map((option) => ({
        name: option.name,
        type: option.type,
        required: option.required,
      })),
    }));
    expect(shape).toEqual([
      {
        name: 'track',
        type: ApplicationCommandOptionType.Subcommand,
        options: [
          { name: 'id', type: ApplicationCommandOptionType.String, required: true },
          { name: 'notify', type: ApplicationCommandOptionType.Boolean, required: false },
        ],
      },
      {
        name: 'status',
        type: ApplicationCommandOptionType.Subcommand,
        options: [{ name: 'id', type: ApplicationCommandOptionType.String, required: true }],
      },
      {
        name: 'untrack',
        type: ApplicationCommandOptionType.Subcommand,
        options: [{ name: 'id', type: ApplicationCommandOptionType.String, required: true }],
      },
      { name: 'list', type: ApplicationCommandOptionType.Subcommand, options: [] },
    ]);
  });

  it('bounds ids to 200 characters and autocompletes only untrack', () => {
    const ids = parts
      .filter(([path]) => path.endsWith(' id'))
      .map(
        ([path, part]) => [path, part as Named & { max_length?: number; autocomplete?: boolean }] as const,
      );
    expect(ids.map(([path]) => path)).toEqual(['sora track id', 'sora status id', 'sora untrack id']);
    for (const [, id] of ids) expect(id.max_length).toBe(200);
    expect(ids.filter(([, id]) => id.autocomplete === true).map(([path]) => path)).toEqual([
      'sora untrack id',
    ]);
  });

  it('is usable in guilds only, as a guild install', () => {
    expect(soraCommand.contexts).toEqual([0]);
    expect(soraCommand.integration_types).toEqual([0]);
  });

  it.each(parts)('%s: localised in en-US and zh-CN, with valid names and descriptions', (_path, part) => {
    expect(part.name).toMatch(NAME);
    expect(part.name).toBe(part.name.toLowerCase());
    expect(part.name_localizations?.['en-US']).toBe(part.name);
    const zhName = part.name_localizations?.['zh-CN'];
    expect(zhName).toMatch(NAME);
    expect(zhName).toBe(zhName?.toLowerCase());

    for (const description of [
      part.description,
      part.description_localizations?.['en-US'],
      part.description_localizations?.['zh-CN'],
    ]) {
      expect(description?.length).toBeGreaterThanOrEqual(1);
      expect(description?.length).toBeLessThanOrEqual(100);
    }
    expect(part.description_localizations?.['en-US']).toBe(part.description);
    expect(part.description_localizations?.['zh-CN']).toMatch(/\p{Script=Han}/u);
  });

  it('keeps localised option names unique within each subcommand', () => {
    for (const sub of soraCommand.options) {
      const options = 'options' in sub ? sub.options : [];
      const zhNames = options.map((option) => option.name_localizations['zh-CN']);
      expect(new Set(zhNames).size).toBe(zhNames.length);
    }
    const zhSubcommands = soraCommand.options.map((sub) => sub.name_localizations['zh-CN']);
    expect(new Set(zhSubcommands).size).toBe(zhSubcommands.length);
  });

  it('is the one command the deploy script registers', () => {
    expect(soraCommandDefinitions).toEqual([soraCommand]);
    // Survives the JSON round trip of a REST body unchanged.
    expect(JSON.parse(JSON.stringify(soraCommandDefinitions))).toEqual(soraCommandDefinitions);
  });
});
