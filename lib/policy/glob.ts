// Globs for methods and names: `*` is any run of characters (including `/`), `?` exactly one
// character, everything else literal. Matched by hand rather than via RegExp: the pattern is split
// on `*` and the pieces are found left to right, which needs no backtracking (a leftmost match of
// each middle piece is always a valid choice), so time is bounded by O(text × pattern).

export type GlobMatcher = (text: string) => boolean;

/** One piece between stars, as code points; "?" entries match any single code point. */
type Piece = string[];

function matchesAt(text: string[], at: number, piece: Piece): boolean {
  if (at + piece.length > text.length) return false;
  for (let i = 0; i < piece.length; i++) {
    const p = piece[i]!;
    if (p !== "?" && p !== text[at + i]) return false;
  }
  return true;
}

function indexOfPiece(text: string[], from: number, end: number, piece: Piece): number {
  for (let at = from; at + piece.length <= end; at++) if (matchesAt(text, at, piece)) return at;
  return -1;
}

export function compileGlob(pattern: string): GlobMatcher {
  if (!pattern.includes("*") && !pattern.includes("?")) return (text) => text === pattern;
  if (pattern === "*") return () => true;
  const pieces: Piece[] = pattern.split("*").map((piece) => Array.from(piece));
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  const hasStar = pieces.length > 1;
  return (input) => {
    const text = Array.from(input);
    if (!hasStar) return text.length === first.length && matchesAt(text, 0, first);
    if (text.length < first.length + last.length) return false;
    if (!matchesAt(text, 0, first) || !matchesAt(text, text.length - last.length, last)) return false;
    let at = first.length;
    const end = text.length - last.length;
    for (let i = 1; i < pieces.length - 1; i++) {
      const piece = pieces[i]!;
      const found = indexOfPiece(text, at, end, piece);
      if (found < 0) return false;
      at = found + piece.length;
    }
    return true;
  };
}
