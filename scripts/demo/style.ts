/** Bold, dim and coloured text on a terminal; plain text when piped to a file or NO_COLOR is set. */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  good(text: string): string;
  bad(text: string): string;
}

export function createStyle(enabled: boolean): Style {
  const wrap = (open: number, close: number) => (text: string) =>
    enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return { bold: wrap(1, 22), dim: wrap(2, 22), good: wrap(32, 39), bad: wrap(31, 39) };
}

export function stdoutWantsColour(): boolean {
  return process.stdout.isTTY && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';
}
