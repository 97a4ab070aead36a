// A line diff for the policy versions view: pure, no dependencies.

export interface DiffLine {
  kind: "same" | "added" | "removed";
  text: string;
}

/** A line diff (longest common subsequence) from `before` to `after`. */
export function diffLines(before: string, after: string): DiffLine[] {
  const a = before.split("\n");
  const b = after.split("\n");
  // Common prefix and suffix first: most edits touch a few lines of a long document.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start += 1;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA -= 1;
    endB -= 1;
  }
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const rows = midA.length + 1;
  const cols = midB.length + 1;
  const lcs = new Uint32Array(rows * cols);
  for (let i = midA.length - 1; i >= 0; i -= 1) {
    for (let j = midB.length - 1; j >= 0; j -= 1) {
      lcs[i * cols + j] =
        midA[i] === midB[j] ? (lcs[(i + 1) * cols + j + 1] ?? 0) + 1 : Math.max(lcs[(i + 1) * cols + j] ?? 0, lcs[i * cols + j + 1] ?? 0);
    }
  }
  const out: DiffLine[] = a.slice(0, start).map((text) => ({ kind: "same", text }));
  let i = 0;
  let j = 0;
  while (i < midA.length || j < midB.length) {
    if (i < midA.length && j < midB.length && midA[i] === midB[j]) {
      out.push({ kind: "same", text: midA[i] ?? "" });
      i += 1;
      j += 1;
    } else if (i < midA.length && (j >= midB.length || (lcs[(i + 1) * cols + j] ?? 0) >= (lcs[i * cols + j + 1] ?? 0))) {
      // Removed lines before added ones, as diffs usually read.
      out.push({ kind: "removed", text: midA[i] ?? "" });
      i += 1;
    } else {
      out.push({ kind: "added", text: midB[j] ?? "" });
      j += 1;
    }
  }
  for (const text of a.slice(endA)) out.push({ kind: "same", text });
  return out;
}

const CONTEXT = 3;
type ShownLine = DiffLine | { kind: "skipped"; count: number };

/** Runs of unchanged lines longer than 2 × CONTEXT + 1 shrink to their edges and a count. */
export function collapseUnchanged(lines: DiffLine[]): ShownLine[] {
  const out: ShownLine[] = [];
  let index = 0;
  while (index < lines.length) {
    const line = lines[index];
    if (line && line.kind !== "same") {
      out.push(line);
      index += 1;
      continue;
    }
    let end = index;
    while (end < lines.length && lines[end]?.kind === "same") end += 1;
    const keepBefore = index === 0 ? 0 : CONTEXT;
    const keepAfter = end === lines.length ? 0 : CONTEXT;
    if (end - index > keepBefore + keepAfter + 1) {
      out.push(...lines.slice(index, index + keepBefore));
      out.push({ kind: "skipped", count: end - index - keepBefore - keepAfter });
      out.push(...lines.slice(end - keepAfter, end));
    } else {
      out.push(...lines.slice(index, end));
    }
    index = end;
  }
  return out;
}
