/**
 * What an edit changed, line by line: the longest common subsequence keeps lines that stayed; in each
 * run of differences a removed line pairs with an added one when it is the same item with a new value
 * (same `Label:`, both progress bars, or both unlabelled, in order). Removed lines left without a
 * partner are gone from the message.
 */
export interface LineDiff {
  /** Indices (in `after`) of lines that are new or changed. */
  changed: number[];
  /** Indices (in `before`) of lines that disappeared without a replacement. */
  gone: number[];
  unchanged: number;
}

export function diffLines(before: readonly string[], after: readonly string[]): LineDiff {
  // common[i][j]: length of the LCS of before[i…] and after[j…].
  const common = Array.from({ length: before.length + 1 }, () => new Array<number>(after.length + 1).fill(0));
  for (let i = before.length - 1; i >= 0; i--) {
    for (let j = after.length - 1; j >= 0; j--) {
      common[i]![j] =
        before[i] === after[j]
          ? common[i + 1]![j + 1]! + 1
          : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
    }
  }

  const diff: LineDiff = { changed: [], gone: [], unchanged: 0 };
  let removed: number[] = [];
  let added: number[] = [];
  const closeRun = () => {
    diff.changed.push(...added);
    const unpaired = new Set(removed);
    for (const index of added) {
      const label = labelOf(after[index]!);
      const partner = [...unpaired].find((candidate) => labelOf(before[candidate]!) === label);
      if (partner !== undefined) unpaired.delete(partner);
    }
    diff.gone.push(...unpaired);
    removed = [];
    added = [];
  };
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    if (i < before.length && j < after.length && before[i] === after[j]) {
      closeRun();
      diff.unchanged += 1;
      i += 1;
      j += 1;
    } else if (j < after.length && (i === before.length || common[i]![j + 1]! >= common[i + 1]![j]!)) {
      added.push(j++);
    } else {
      removed.push(i++);
    }
  }
  closeRun();
  return diff;
}

/** What a line is about, e.g. `Position in queue` for `Position in queue: 2`; '' when it does not say. */
function labelOf(line: string): string {
  if (/^[▰▱]/.test(line)) return 'progress bar';
  return /^([^:·]{1,30}): /.exec(line)?.[1] ?? '';
}
