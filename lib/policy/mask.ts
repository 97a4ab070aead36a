import type { RE2JS } from "re2js";
import { compileAdminRegex } from "./admin-regex.ts";
import { isAlnumCode } from "./detectors/chars.ts";
import { DETECTOR_IMPLEMENTATIONS } from "./detectors/index.ts";
import { type Detector, FEATURE, type Span } from "./detectors/types.ts";
import { type Folded, fold, needsFold, originalEnd, originalStart } from "./fold.ts";
import { type CompiledJsonPath, compileJsonPath, formatIndex, formatKey, selectJsonPath } from "./json-path.ts";
import { normalizeKey } from "./normalize.ts";
import { Hasher, isMaskToken, maskedRegions, replacement } from "./replace.ts";
import { DETECTORS, type MaskRule, type MaskStyle } from "./schema.ts";
import { mergeSpans, withoutMasked } from "./spans.ts";

// Masking: every string leaf of a JSON-RPC message except `jsonrpc`, `id`, `method` and
// `error.code` is searched and the sensitive parts replaced. Selections:
//   detectors   spans inside strings (built-in, validated: Luhn, mod-97, JWT header, …)
//   regex       spans inside strings (admin's RE2 pattern, labelled)
//   keys        whole values of properties with that name at any depth, and `key: value`,
//               `key=value`, `"key": "value"` inside free text
//   paths       whole values selected by JSON path from the message root
//   peers       a value taken by a key or path rule (4+ characters) wherever else it appears
// A string that is itself JSON ("{…}" / "[…]", up to 1 MB) is masked as JSON — so key rules and
// detectors see inside serialized payloads in content[].text — and re-serialized only if
// something changed (2-space or the original indentation kept).
// Object keys are searched like values (a map keyed by email address), and so are integers of 7+
// digits (a card number or an SSN stored as a JSON number); a masked number becomes a string.
// Detectors read a folded view of each string (see fold.ts): full-width and other-script digits,
// Unicode spaces and dashes, invisible characters and percent-escapes do not hide a value.
// The result is a new object; the input is never modified. Errors are not caught here: a caller
// that cannot mask must withhold the message, never send it unmasked.

export interface MaskFinding {
  kind: string;
  /**
   * JSON path of the string leaf, e.g. `$.result.content[0].text`. Inside a string that holds
   * JSON, the path within that JSON follows a "#": `$.result.content[0].text#$.user.email`.
   */
  path: string;
  /** Offsets in the original string; for a whole-value replacement 0 and its length. */
  start: number;
  end: number;
}

export interface MaskResult {
  message: unknown;
  findings: MaskFinding[];
  counts: Record<string, number>;
  maskedCount: number;
}

interface Selection {
  kind: string;
  style: MaskStyle;
}

export interface CompiledMask {
  detectors: Array<{ detector: Detector; style: MaskStyle }>;
  regexes: Array<{ re: RE2JS; literal: string | null; kind: string; style: MaskStyle }>;
  /** Normalized key name → what to do with its value. */
  keys: Map<string, Selection>;
  /** `key: value` inside free text, for all key rules at once; null without key rules. */
  keyText: { re: RegExp; selections: Selection[] } | null;
  paths: Array<{ path: CompiledJsonPath; selection: Selection }>;
  hasher: Hasher;
  /** Object keys known to hold nothing to mask (keys repeat across records and messages). */
  cleanKeys: Set<string>;
}

/** Strings longer than this are not parsed as JSON, and are scanned in chunks (see chunkSpans). */
export const MAX_STRING_SCAN = 1024 * 1024;
const CHUNK_OVERLAP = 64 * 1024;
/** Deeper structures are replaced whole rather than risk the stack (the gateway bounds depth first). */
const MAX_DEPTH = 256;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

function keyTextRegex(names: string[]): RegExp {
  // Each normalized key letter may be followed by "_" or "-": "apikey" also finds "API_KEY".
  const alternatives = names.map((name) => `(${Array.from(name, escapeRegExp).join("[_-]?")})`);
  const quoted = `"((?:[^"\\\\\\n]|\\\\.){1,4096})"`;
  const escapedQuoted = `\\\\"((?:[^"\\\\\\n]|\\\\[^"]){1,4096})\\\\"`;
  const singleQuoted = `'([^'\\n]{1,4096})'`;
  const bare = `([^\\s&,;"'<>{}()\\[\\]\\\\][^\\s&,;"'<>{}()\\[\\]]{0,4095})`;
  const source = `(?:${alternatives.join("|")})\\\\?["']?[ \\t]{0,3}[:=][ \\t]{0,3}(?:${quoted}|${escapedQuoted}|${singleQuoted}|${bare})`;
  return new RegExp(source, "gid");
}

/** Compiles the mask rules of both policies (global first); null when there are none. */
export function compileMask(rules: MaskRule[], hashKey: Uint8Array): CompiledMask | null {
  if (rules.length === 0) return null;
  const detectors = new Map<string, { detector: Detector; style: MaskStyle }>();
  const regexes: CompiledMask["regexes"] = [];
  const keys = new Map<string, Selection>();
  const paths: CompiledMask["paths"] = [];
  for (const rule of rules) {
    const names = rule.detectors?.[0] === "all" ? DETECTORS : (rule.detectors ?? []);
    for (const name of names) {
      // The first rule that enables a detector decides its style.
      if (!detectors.has(name))
        detectors.set(name, { detector: DETECTOR_IMPLEMENTATIONS[name as keyof typeof DETECTOR_IMPLEMENTATIONS], style: rule.style });
    }
    if (rule.regex !== undefined) {
      const re = compileAdminRegex(rule.regex);
      regexes.push({ re, literal: requiredLiteral(re), kind: rule.label ?? "regex", style: rule.style });
    }
    for (const key of rule.keys ?? []) {
      const normalized = normalizeKey(key);
      if (normalized !== "" && !keys.has(normalized)) keys.set(normalized, { kind: `key:${key}`, style: rule.style });
    }
    for (const path of rule.paths ?? []) paths.push({ path: compileJsonPath(path), selection: { kind: "path", style: rule.style } });
  }
  const keyNames = [...keys.keys()];
  return {
    detectors: [...detectors.values()],
    regexes,
    keys,
    keyText: keyNames.length > 0 ? { re: keyTextRegex(keyNames), selections: keyNames.map((name) => keys.get(name)!) } : null,
    paths,
    hasher: new Hasher(hashKey),
    cleanKeys: new Set(),
  };
}

type Container = Record<string, unknown> | unknown[];

/** A span plus the style of the rule that found it. */
interface StyledSpan extends Span {
  style: MaskStyle;
}

/**
 * Where a value sits, built as a chain and turned into text only for a finding: most values
 * never need their path, and formatting every one of them would cost more than the masking.
 */
interface PathRef {
  up: PathRef | null;
  key: string | number;
  text?: string;
}

function rootPath(text: string): PathRef {
  return { up: null, key: "", text };
}

function child(up: PathRef, key: string | number): PathRef {
  return { up, key };
}

function pathText(ref: PathRef): string {
  if (ref.text === undefined) {
    const up = ref.up ? pathText(ref.up) : "$";
    ref.text = up + (typeof ref.key === "number" ? formatIndex(ref.key) : formatKey(ref.key));
  }
  return ref.text;
}

/** Assignment that is safe for a "__proto__" key (JSON.parse makes it an own property; so must we). */
function setProp(container: Container, key: string | number, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(container, key, { value, enumerable: true, writable: true, configurable: true });
  else (container as Record<string | number, unknown>)[key] = value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const normalizedKeys = new Map<string, string>();
function cachedNormalizeKey(key: string): string {
  let normalized = normalizedKeys.get(key);
  if (normalized === undefined) {
    normalized = normalizeKey(key);
    if (normalizedKeys.size >= 10_000) normalizedKeys.clear();
    normalizedKeys.set(key, normalized);
  }
  return normalized;
}

/**
 * The literal every match of an RE2 pattern contains, when re2js worked one out (`OPS-\d{4}` →
 * "OPS-"): strings without it are skipped before the engine is even set up. Read defensively from
 * re2js internals; without it every string just goes through the engine.
 */
function requiredLiteral(re: RE2JS): string | null {
  const prefilter: unknown = (re.re2() as { prefilter?: unknown }).prefilter;
  if (typeof prefilter !== "object" || prefilter === null) return null;
  const { type, str } = prefilter as { type?: unknown; str?: unknown };
  return type === 1 && typeof str === "string" && str.length > 0 ? str : null;
}

/** A string leaf that holds JSON, masked as a document of its own. */
interface NestedDocument {
  parent: NestedDocument | null;
  container: Container;
  key: string | number;
  box: { value: unknown };
  indent: string | number | undefined;
  trailingNewline: boolean;
  dirty: boolean;
}

interface PendingLeaf {
  container: Container;
  key: string | number;
  text: string;
  path: PathRef;
  contextKey: string;
  nested: NestedDocument | null;
}

/** Values selected by path rules, by the object or array holding them and their key there. */
type PathSelections = Map<object, Map<string | number, Selection>>;

class Masking {
  readonly findings: MaskFinding[] = [];
  readonly counts: Record<string, number> = {};
  readonly pending: PendingLeaf[] = [];
  readonly nested: NestedDocument[] = [];
  /** Values taken whole by key and path rules, to be masked wherever else they appear. */
  readonly peers = new Map<string, Selection>();

  constructor(
    readonly mask: CompiledMask,
    readonly selected: PathSelections | null,
  ) {}

  record(kind: string, path: PathRef, start: number, end: number): void {
    this.findings.push({ kind, path: pathText(path), start, end });
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
  }

  /**
   * Copies `value` (found at `source[key]`) into container[key], masking as it goes; strings are
   * deferred to the span pass, which runs once every peer value is known.
   */
  copy(
    source: object | null,
    container: Container,
    key: string | number,
    value: unknown,
    path: PathRef,
    contextKey: string,
    nested: NestedDocument | null,
    depth: number,
    sourceKey: string | number = key,
  ): void {
    const byPath = source !== null && this.selected !== null ? this.selected.get(source)?.get(sourceKey) : undefined;
    if (byPath) {
      this.replaceWhole(container, key, value, path, byPath);
      return;
    }
    if (typeof value === "string") {
      this.copyString(container, key, value, path, contextKey, nested, depth);
      return;
    }
    if (value === null || typeof value !== "object") {
      setProp(container, key, value);
      // An integer of 7+ digits may be a card number, an SSN or a phone number stored as a number.
      if (typeof value === "number" && Number.isInteger(value) && Math.abs(value) >= 1_000_000 && Math.abs(value) < 1e21) {
        this.pending.push({ container, key, text: String(value), path, contextKey, nested });
      }
      return;
    }
    if (depth >= MAX_DEPTH) {
      setProp(container, key, "[REDACTED:too-deep]");
      this.record("too-deep", path, 0, 0);
      if (nested) nested.dirty = true;
      return;
    }
    if (Array.isArray(value)) {
      const out: unknown[] = new Array(value.length);
      setProp(container, key, out);
      for (let i = 0; i < value.length; i++) this.copy(value, out, i, value[i], child(path, i), contextKey, nested, depth + 1);
      return;
    }
    const out: Record<string, unknown> = {};
    setProp(container, key, out);
    const record = value as Record<string, unknown>;
    const keyRules = this.mask.keys.size > 0;
    let renamed = false;
    for (const name of Object.keys(record)) {
      const normalized = cachedNormalizeKey(name);
      const byKey = keyRules ? this.mask.keys.get(normalized) : undefined;
      let outName = this.maskKey(name, path, nested);
      if (outName !== name) renamed = true;
      if (renamed && Object.hasOwn(out, outName)) {
        // Two keys masked alike ({"a@x.io": …, "b@y.io": …}) must not overwrite each other.
        let n = 2;
        while (Object.hasOwn(out, `${outName}#${n}`)) n++;
        outName = `${outName}#${n}`;
      }
      if (byKey) {
        if (this.replaceWhole(out, outName, record[name], child(path, outName), byKey) && nested) nested.dirty = true;
      } else {
        this.copy(record, out, outName, record[name], child(path, outName), normalized, nested, depth + 1, name);
      }
    }
  }

  /**
   * An object key with the sensitive parts replaced (a map keyed by email address or card number
   * must not carry them in its keys); findings point at the key by its masked name. Peers are not
   * applied to keys: they are only known once every value has been seen.
   */
  maskKey(name: string, path: PathRef, nested: NestedDocument | null): string {
    if (name.length < 3 || this.mask.cleanKeys.has(name)) return name;
    const spans = this.finish(name, this.scan(name, "", false));
    if (spans.length === 0) {
      if (this.mask.cleanKeys.size >= 10_000) this.mask.cleanKeys.clear();
      this.mask.cleanKeys.add(name);
      return name;
    }
    const masked = this.apply(name, spans);
    for (const span of spans) this.record(span.kind, child(path, masked), span.start, span.end);
    if (nested) nested.dirty = true;
    return masked;
  }

  private apply(text: string, spans: StyledSpan[]): string {
    let out = "";
    let at = 0;
    for (const span of spans) {
      out += text.slice(at, span.start) + replacement(span.style, span.kind, text.slice(span.start, span.end), this.mask.hasher);
      at = span.end;
    }
    return out + text.slice(at);
  }

  private copyString(
    container: Container,
    key: string | number,
    text: string,
    path: PathRef,
    contextKey: string,
    nested: NestedDocument | null,
    depth: number,
  ): void {
    setProp(container, key, text);
    const parsed = text.length <= MAX_STRING_SCAN && depth < MAX_DEPTH ? parseJsonDocument(text) : undefined;
    if (parsed !== undefined) {
      const document: NestedDocument = {
        parent: nested,
        container,
        key,
        box: { value: undefined },
        indent: indentOf(text),
        trailingNewline: endsWithNewline(text),
        dirty: false,
      };
      this.nested.push(document);
      this.copy(
        null,
        document.box as unknown as Container,
        "value",
        parsed,
        rootPath(`${pathText(path)}#$`),
        contextKey,
        document,
        depth + 1,
      );
      return;
    }
    this.pending.push({ container, key, text, path, contextKey, nested });
  }

  /** Replacement of one whole scalar taken by a key or path rule; null when it already is one. */
  private replaceScalar(value: string | number | boolean, path: PathRef, selection: Selection): string | null {
    const text = String(value);
    if (typeof value === "string" && isMaskToken(text)) return null;
    this.record(selection.kind, path, 0, text.length);
    if (text.length >= 4 && !this.peers.has(text)) this.peers.set(text, selection);
    return replacement(selection.style, selection.kind, text, this.mask.hasher);
  }

  /**
   * A key or path rule took this value: a string, number or boolean becomes the replacement
   * string; in an object or array every string and number leaf does. Returns whether anything
   * changed (values that already are replacement tokens stay as they are).
   */
  private replaceWhole(container: Container, key: string | number, value: unknown, path: PathRef, selection: Selection): boolean {
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
      const replaced = this.replaceScalar(value, path, selection);
      setProp(container, key, replaced ?? value);
      return replaced !== null && replaced !== value;
    }
    if (value === null || typeof value !== "object") {
      setProp(container, key, value);
      return false;
    }
    let changed = false;
    // Iterative: a whole subtree may be deep, and nothing in it needs the span pass.
    const root: Container = Array.isArray(value) ? [] : {};
    setProp(container, key, root);
    const stack: Array<{ source: Container; target: Container; path: PathRef }> = [{ source: value as Container, target: root, path }];
    while (stack.length > 0) {
      const { source, target, path: base } = stack.pop()!;
      const keys: Array<string | number> = Array.isArray(source) ? source.map((_, i) => i) : Object.keys(source);
      for (const childKey of keys) {
        const item = (source as Record<string | number, unknown>)[childKey];
        const childPath = child(base, childKey);
        if (typeof item === "string" || typeof item === "number") {
          const replaced = this.replaceScalar(item, childPath, selection);
          setProp(target, childKey, replaced ?? item);
          if (replaced !== null && replaced !== item) changed = true;
        } else if (item !== null && typeof item === "object") {
          const inner: Container = Array.isArray(item) ? [] : {};
          setProp(target, childKey, inner);
          stack.push({ source: item as Container, target: inner, path: childPath });
        } else {
          setProp(target, childKey, item);
        }
      }
    }
    return changed;
  }

  /** Second pass: spans in every deferred string leaf (peers are known by now). */
  maskLeaves(): void {
    for (const leaf of this.pending) {
      const spans = this.spansOf(leaf.text, leaf.contextKey);
      if (spans.length === 0) continue;
      for (const span of spans) this.record(span.kind, leaf.path, span.start, span.end);
      setProp(leaf.container, leaf.key, this.apply(leaf.text, spans));
      if (leaf.nested) leaf.nested.dirty = true;
    }
    // Innermost documents were created last: serialize them first, then mark their parent changed.
    for (let i = this.nested.length - 1; i >= 0; i--) {
      const document = this.nested[i]!;
      if (!document.dirty) continue;
      const json = JSON.stringify(document.box.value, null, document.indent) + (document.trailingNewline ? "\n" : "");
      setProp(document.container, document.key, json);
      if (document.parent) document.parent.dirty = true;
    }
  }

  private peerCache: Array<{ value: string; anchor: number; selection: Selection }> | null = null;

  private peerList(): Array<{ value: string; anchor: number; selection: Selection }> {
    if (this.peerCache === null) {
      this.peerCache = [...this.peers].map(([value, selection]) => ({ value, anchor: rareAnchor(value), selection }));
    }
    return this.peerCache;
  }

  private spansOf(text: string, contextKey: string): StyledSpan[] {
    const found = text.length > MAX_STRING_SCAN ? this.chunkSpans(text, contextKey) : this.scan(text, contextKey, false);
    if (this.peers.size > 0 && text.length >= 4) {
      for (const peer of this.peerList()) {
        const { value, anchor, selection } = peer;
        // Search from a rare character of the value ("sk_test_…" from "_test_…"): substring search
        // scans for its first character, and a common letter would stop it at every word.
        const tail = anchor === 0 ? value : value.slice(anchor);
        for (let at = text.indexOf(tail, anchor); at >= 0; at = text.indexOf(tail, at + 1)) {
          const start = at - anchor;
          if (anchor > 0 && !text.startsWith(value, start)) continue;
          found.push({ start, end: start + value.length, kind: selection.kind, style: selection.style });
          at = start + value.length - 1 + anchor;
        }
      }
    }
    return this.finish(text, found);
  }

  /** Spans minus those on earlier replacements, merged. */
  private finish(text: string, found: StyledSpan[]): StyledSpan[] {
    if (found.length === 0) return found;
    const regions = maskedRegions(text);
    const kept = regions ? withoutMasked(found, regions) : found;
    return mergeSpans(kept);
  }

  /**
   * Strings over 1 MB are scanned in 1 MB chunks that overlap by 64 KB (every pattern we look for
   * is far shorter, so each occurrence lies whole in some chunk), not redacted wholesale: large
   * tool outputs stay usable. PEM blocks can be longer than the overlap, so that detector sees
   * the whole string (it only uses indexOf).
   */
  private chunkSpans(text: string, contextKey: string): StyledSpan[] {
    const spans: StyledSpan[] = [];
    const step = MAX_STRING_SCAN - CHUNK_OVERLAP;
    for (let offset = 0; offset < text.length; offset += step) {
      const chunk = text.slice(offset, offset + MAX_STRING_SCAN);
      for (const span of this.scan(chunk, contextKey, true)) spans.push({ ...span, start: span.start + offset, end: span.end + offset });
      if (offset + MAX_STRING_SCAN >= text.length) break;
    }
    const pem = this.mask.detectors.find((entry) => entry.detector.name === "private-key");
    if (pem) {
      const before = spans.length;
      pem.detector.detect(text, { key: contextKey }, spans);
      for (let i = before; i < spans.length; i++) spans[i]!.style = pem.style;
    }
    return spans;
  }

  private scan(text: string, contextKey: string, chunked: boolean): StyledSpan[] {
    const spans: StyledSpan[] = [];
    if (text.length >= 3) {
      const keyText = this.mask.keyText;
      if (!needsFold(text)) {
        this.detect(text, contextKey, chunked, spans);
      } else {
        // Detectors read the folded view; spans are mapped back onto the original text.
        const dropped = fold(text, "drop");
        this.detectFolded(dropped, contextKey, chunked, spans);
        if (dropped.hadInvisible) this.detectFolded(fold(text, "space"), contextKey, chunked, spans);
        if (dropped.changedAscii) this.detect(text, contextKey, chunked, spans);
        // `ｐａｓｓｗｏｒｄ＝…`, `password%3D…`: key rules in text read the folded view too.
        if (keyText && dropped.edits.length > 0 && (dropped.text.includes(":") || dropped.text.includes("="))) {
          const found: StyledSpan[] = [];
          this.keyTextSpans(dropped.text, keyText, found);
          for (const span of found) {
            if (span.end > span.start)
              spans.push({ ...span, start: originalStart(dropped, span.start), end: originalEnd(dropped, span.end) });
          }
        }
      }
      if (keyText && (text.includes(":") || text.includes("="))) this.keyTextSpans(text, keyText, spans);
    }
    for (const { re, literal, kind, style } of this.mask.regexes) {
      // With a required literal present, finding directly is cheaper than test() then find().
      if (literal !== null ? !text.includes(literal) : !re.test(text)) continue;
      const matcher = re.matcher(text);
      while (matcher.find()) {
        const start = matcher.start();
        const end = matcher.end();
        if (end > start) spans.push({ start, end, kind, style });
      }
    }
    return spans;
  }

  private detect(text: string, contextKey: string, chunked: boolean, spans: StyledSpan[]): void {
    if (text.length < 3) return;
    const context = { key: contextKey };
    const features = text.length <= SHORT_STRING ? featuresOf(text) : ALL_FEATURES;
    for (const { detector, style } of this.mask.detectors) {
      if (text.length < detector.minLength || (features & detector.requires) !== detector.requires) continue;
      if (chunked && detector.name === "private-key") continue;
      const before = spans.length;
      detector.detect(text, context, spans);
      for (let i = before; i < spans.length; i++) spans[i]!.style = style;
    }
  }

  private detectFolded(folded: Folded, contextKey: string, chunked: boolean, spans: StyledSpan[]): void {
    const found: StyledSpan[] = [];
    this.detect(folded.text, contextKey, chunked, found);
    for (const span of found) {
      if (span.end <= span.start) continue;
      spans.push({ ...span, start: originalStart(folded, span.start), end: originalEnd(folded, span.end) });
    }
  }

  private keyTextSpans(text: string, keyText: NonNullable<CompiledMask["keyText"]>, spans: StyledSpan[]): void {
    const { re, selections } = keyText;
    re.lastIndex = 0;
    for (let match = re.exec(text); match !== null; match = re.exec(text)) {
      // A key glued to a longer word ("xpassword=") is not that key.
      if (match.index > 0 && isAlnumCode(text.charCodeAt(match.index - 1))) {
        re.lastIndex = match.index + 1;
        continue;
      }
      let which = 0;
      while (which < selections.length && match[which + 1] === undefined) which++;
      const selection = selections[which];
      const indices = match.indices;
      if (!selection || !indices) continue;
      for (let g = selections.length + 1; g < indices.length; g++) {
        const range = indices[g];
        if (range) {
          spans.push({ start: range[0], end: range[1], kind: selection.kind, style: selection.style });
          break;
        }
      }
    }
  }
}

/** Offset of the first character of `value` that is not a lower-case letter or a space (0 if none). */
function rareAnchor(value: string): number {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (!(code >= 97 && code <= 122) && code !== 32) return i;
  }
  return 0;
}

/**
 * Most string values in JSON are short (names, ids, dates, enums); counting their characters once
 * lets most detectors be skipped without calling them. Longer strings rely on each detector's own
 * prefilter (a substring or regex search in native code), which is cheaper than a JS loop there.
 */
const SHORT_STRING = 256;

const ALL_FEATURES = 0x7fffffff;

function featuresOf(text: string): number {
  let digits = 0;
  let upper = 0;
  let features = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) digits++;
    else if (code >= 65 && code <= 90) upper++;
    else if (code === 64) features |= FEATURE.AT;
    else if (code === 58) features |= FEATURE.IP | FEATURE.DASH_OR_COLON;
    else if (code === 45) features |= FEATURE.DASH | FEATURE.DASH_OR_COLON;
    else if (code === 95) features |= FEATURE.UNDERSCORE;
  }
  if (digits >= 7) features |= FEATURE.DIGITS_7;
  if (digits >= 9) features |= FEATURE.DIGITS_9;
  if (digits >= 13) features |= FEATURE.DIGITS_13;
  if (digits >= 4) features |= FEATURE.IP;
  if (digits >= 2 && upper >= 2) features |= FEATURE.IBAN;
  if (upper >= 4) features |= FEATURE.UPPER_4;
  return features;
}

/** A string that is a JSON object or array (cheap checks first: most strings are not). */
function parseJsonDocument(text: string): unknown {
  let first = 0;
  while (first < text.length && text.charCodeAt(first) <= 32) first++;
  const open = text.charCodeAt(first);
  if (open !== 123 && open !== 91) return undefined; // "{" "["
  let last = text.length - 1;
  while (last > first && text.charCodeAt(last) <= 32) last--;
  const close = text.charCodeAt(last);
  if ((open === 123 && close !== 125) || (open === 91 && close !== 93)) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null ? parsed : undefined;
  } catch {
    return undefined; // not JSON after all: masked as text
  }
}

function endsWithNewline(text: string): boolean {
  for (let i = text.length - 1; i >= 0; i--) {
    const code = text.charCodeAt(i);
    if (code === 10) return true;
    if (code > 32) return false;
  }
  return false;
}

/** JSON.stringify's indent argument that reproduces the original layout (compact stays compact). */
function indentOf(text: string): string | number | undefined {
  if (!text.includes("\n")) return undefined;
  const match = /\n([ \t]+)\S/.exec(text);
  if (!match) return 2;
  const indent = match[1]!;
  return indent.includes("\t") ? "\t" : Math.min(indent.length, 10);
}

const PROTOCOL_FIELDS = new Set(["jsonrpc", "id", "method"]);

function maskOne(mask: CompiledMask, message: unknown, root: string): { result: unknown; masking: Masking } {
  let selected: PathSelections | null = null;
  if (mask.paths.length > 0) {
    selected = new Map();
    for (const { path, selection } of mask.paths) {
      for (const match of selectJsonPath(message, path, root)) {
        if (match.parent === undefined || match.key === undefined) continue; // "$" itself: the envelope stays
        const byKey = selected.get(match.parent) ?? new Map<string | number, Selection>();
        selected.set(match.parent, byKey);
        if (!byKey.has(match.key)) byKey.set(match.key, selection);
      }
    }
  }
  const masking = new Masking(mask, selected);
  const box: { value: unknown } = { value: undefined };
  const rootRef = rootPath(root);
  if (isRecord(message)) {
    const out: Record<string, unknown> = {};
    box.value = out;
    for (const name of Object.keys(message)) {
      const value = message[name];
      const path = child(rootRef, name);
      if (PROTOCOL_FIELDS.has(name)) {
        setProp(out, name, value);
      } else if (name === "error" && isRecord(value)) {
        // error.code is protocol; error.message, error.data and anything else may carry data.
        const error: Record<string, unknown> = {};
        setProp(out, name, error);
        for (const field of Object.keys(value)) {
          if (field === "code") {
            setProp(error, field, value[field]);
          } else {
            const outField = masking.maskKey(field, path, null);
            masking.copy(value, error, outField, value[field], child(path, outField), cachedNormalizeKey(field), null, 2, field);
          }
        }
      } else {
        const outName = masking.maskKey(name, rootRef, null);
        masking.copy(message, out, outName, value, child(rootRef, outName), cachedNormalizeKey(name), null, 1, name);
      }
    }
  } else {
    masking.copy(null, box as unknown as Container, "value", message, rootRef, "", null, 0);
  }
  masking.maskLeaves();
  return { result: box.value, masking };
}

/**
 * Masks a parsed JSON-RPC message (or a batch) with compiled mask rules. Returns a new message;
 * `jsonrpc`, `id`, `method` and `error.code` are copied as they are, so the output is still valid
 * JSON-RPC. Idempotent: masking the output again changes nothing.
 */
export function maskMessage(mask: CompiledMask, message: unknown): MaskResult {
  if (Array.isArray(message)) {
    // A JSON-RPC batch: each element is a message of its own (paths from `$[i]`).
    const out: unknown[] = [];
    const findings: MaskFinding[] = [];
    const counts: Record<string, number> = {};
    message.forEach((element, i) => {
      const { result, masking } = maskOne(mask, element, `$${formatIndex(i)}`);
      out.push(result);
      findings.push(...masking.findings);
      for (const [kind, count] of Object.entries(masking.counts)) counts[kind] = (counts[kind] ?? 0) + count;
    });
    return { message: out, findings, counts, maskedCount: findings.length };
  }
  const { result, masking } = maskOne(mask, message, "$");
  return { message: result, findings: masking.findings, counts: masking.counts, maskedCount: masking.findings.length };
}
