// A small JSON path dialect, shared by argument matchers (paths into params.arguments) and mask
// rules (paths from the message root):
//   $            the root
//   .key         a property            ['key'] / ["key"]  a property with any characters
//   [n]          an array element      [*] / .*           every element or property value
//   ..key        `key` at any depth    ..* / ..[n]         recursive descent with any selector
// Paths are parsed once (compileJsonPath) and reused; selection returns the concrete path of each
// match in the canonical form produced by formatPath, which the masker compares against.

export type JsonPathSelector = { type: "key"; key: string } | { type: "index"; index: number } | { type: "wildcard" };
export interface JsonPathSegment {
  descendant: boolean;
  selector: JsonPathSelector;
}
export interface CompiledJsonPath {
  source: string;
  segments: JsonPathSegment[];
}
export interface JsonPathMatch {
  value: unknown;
  path: string;
  /** The object or array holding the value and its key there (absent for the root). */
  parent?: object;
  key?: string | number;
}

export class JsonPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JsonPathError";
  }
}

const NAME_CHAR = /[^.[\]\s'"*]/u;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const MAX_PATH_LENGTH = 1000;

function fail(source: string, at: number, what: string): never {
  throw new JsonPathError(`"${source}" is not a valid JSON path: ${what} at position ${at + 1}`);
}

function parseBracket(source: string, at: number): { selector: JsonPathSelector; next: number } {
  // `at` points just after "[".
  const c = source[at];
  if (c === "*") {
    if (source[at + 1] !== "]") fail(source, at + 1, 'expected "]" after "[*"');
    return { selector: { type: "wildcard" }, next: at + 2 };
  }
  if (c === "'" || c === '"') {
    let key = "";
    let i = at + 1;
    for (;;) {
      const ch = source[i];
      if (ch === undefined) fail(source, i, `unterminated ${c}…${c} key`);
      if (ch === "\\") {
        const escaped = source[i + 1];
        if (escaped === undefined) fail(source, i, "dangling backslash");
        key += escaped;
        i += 2;
        continue;
      }
      if (ch === c) break;
      key += ch;
      i++;
    }
    if (source[i + 1] !== "]") fail(source, i + 1, `expected "]" after the quoted key`);
    return { selector: { type: "key", key }, next: i + 2 };
  }
  const close = source.indexOf("]", at);
  if (close < 0) fail(source, at, 'missing "]"');
  const inner = source.slice(at, close).trim();
  if (!/^\d{1,9}$/.test(inner)) fail(source, at, `"[${inner}]" must be an index like [0], a quoted key like ['name'] or [*]`);
  return { selector: { type: "index", index: Number(inner) }, next: close + 1 };
}

function parseName(source: string, at: number): { selector: JsonPathSelector; next: number } {
  if (source[at] === "*") return { selector: { type: "wildcard" }, next: at + 1 };
  let i = at;
  while (i < source.length && NAME_CHAR.test(source[i]!)) i++;
  if (i === at) fail(source, at, 'expected a property name, "*" or "[" after "."');
  return { selector: { type: "key", key: source.slice(at, i) }, next: i };
}

/** Parses a path like `$.items[*].name` or `$..password`; throws JsonPathError with a readable message. */
export function compileJsonPath(source: string): CompiledJsonPath {
  if (source.length > MAX_PATH_LENGTH) throw new JsonPathError(`JSON path is longer than ${MAX_PATH_LENGTH} characters`);
  if (source[0] !== "$") throw new JsonPathError(`"${source}" is not a valid JSON path: it must start with "$" (e.g. "$.query")`);
  const segments: JsonPathSegment[] = [];
  let i = 1;
  while (i < source.length) {
    const c = source[i];
    if (c === ".") {
      if (source[i + 1] === ".") {
        const after = i + 2;
        const parsed = source[after] === "[" ? parseBracket(source, after + 1) : parseName(source, after);
        segments.push({ descendant: true, selector: parsed.selector });
        i = parsed.next;
      } else {
        const parsed = parseName(source, i + 1);
        segments.push({ descendant: false, selector: parsed.selector });
        i = parsed.next;
      }
    } else if (c === "[") {
      const parsed = parseBracket(source, i + 1);
      segments.push({ descendant: false, selector: parsed.selector });
      i = parsed.next;
    } else {
      fail(source, i, `unexpected "${c}" (expected ".", ".." or "[")`);
    }
  }
  return { source, segments };
}

const formatted = new Map<string, string>();

/** Canonical path step for a property: `.name` when it is an identifier, else `['name']`. */
export function formatKey(key: string): string {
  let step = formatted.get(key);
  if (step === undefined) {
    step = IDENTIFIER.test(key) ? `.${key}` : `['${key.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}']`;
    if (formatted.size >= 10_000) formatted.clear();
    formatted.set(key, step);
  }
  return step;
}

export function formatIndex(index: number): string {
  return `[${index}]`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function applySelector(node: JsonPathMatch, selector: JsonPathSelector, out: JsonPathMatch[]): void {
  const { value, path } = node;
  if (selector.type === "key") {
    if (isRecord(value) && Object.hasOwn(value, selector.key)) {
      out.push({ value: value[selector.key], path: path + formatKey(selector.key), parent: value, key: selector.key });
    }
  } else if (selector.type === "index") {
    if (Array.isArray(value) && selector.index < value.length) {
      out.push({ value: value[selector.index], path: path + formatIndex(selector.index), parent: value, key: selector.index });
    }
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) out.push({ value: value[i], path: path + formatIndex(i), parent: value, key: i });
  } else if (isRecord(value)) {
    for (const key of Object.keys(value)) out.push({ value: value[key], path: path + formatKey(key), parent: value, key });
  }
}

/** Every node at or below `node`, pre-order, iteratively (no recursion limit on deep input). */
function descendants(node: JsonPathMatch): JsonPathMatch[] {
  const out: JsonPathMatch[] = [];
  const stack: JsonPathMatch[] = [node];
  while (stack.length > 0) {
    const current = stack.pop()!;
    out.push(current);
    const children: JsonPathMatch[] = [];
    applySelector(current, { type: "wildcard" }, children);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return out;
}

/** The values `path` selects in `value`, each with its concrete path (e.g. `$.items[2].name`). */
export function selectJsonPath(value: unknown, path: CompiledJsonPath, rootPath = "$"): JsonPathMatch[] {
  let current: JsonPathMatch[] = [{ value, path: rootPath }];
  for (const segment of path.segments) {
    const next: JsonPathMatch[] = [];
    for (const node of current) {
      if (segment.descendant) for (const inner of descendants(node)) applySelector(inner, segment.selector, next);
      else applySelector(node, segment.selector, next);
    }
    current = next;
    if (current.length === 0) return current;
  }
  if (path.segments.some((segment) => segment.descendant)) {
    // `$..a..b` can reach one node along several routes; report each once.
    const seen = new Set<string>();
    current = current.filter((match) => {
      if (seen.has(match.path)) return false;
      seen.add(match.path);
      return true;
    });
  }
  return current;
}

/** Convenience: compile (throws on a bad path) and select. */
export function select(value: unknown, path: string | CompiledJsonPath): JsonPathMatch[] {
  return selectJsonPath(value, typeof path === "string" ? compileJsonPath(path) : path);
}
