import { z } from "zod";
import { AppError } from "./errors.ts";

/**
 * Parses input with a zod schema; the first problem becomes a 400 AppError that names the field
 * at fault ("maxMinutes", "headers.X-Api-Key", or the unknown key of a strict object).
 */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === "unrecognized_keys" && issue.keys.length > 0) {
    const field = shortField([...issue.path, issue.keys[0]!].join("."));
    throw new AppError("BAD_REQUEST", `${field}: is not a field that can be set here.`, { field });
  }
  const field = shortField(issue.path.join("."));
  throw new AppError("BAD_REQUEST", field ? `${field}: ${issue.message}` : issue.message, { field: field || undefined });
}

/** A field path as an error names it: a client's key can be any length, the message stays readable. */
export function shortField(field: string): string {
  return field.length > 200 ? `${field.slice(0, 200)}…` : field;
}

/** A timestamp as the API returns it (Date#toISOString), for response schemas. */
export function timestamp() {
  return z.string().meta({ format: "date-time", example: "2026-01-31T09:30:00.000Z" });
}

/** A UTF-16 code unit of a surrogate pair without its other half (JSON's "\ud800" escape makes one). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why Postgres could not store a string, or null when it can: it refuses U+0000 in text and jsonb,
 * and a lone surrogate in jsonb (JSON.stringify writes it as a "\ud800" escape, which jsonb rejects).
 */
export function unstorableText(value: string): string | null {
  if (value.includes("\u0000")) return "must not contain a NUL character (\\u0000)";
  if (LONE_SURROGATE.test(value)) return "must be valid Unicode text (it contains half of a surrogate pair, e.g. \\ud800)";
  return null;
}

/**
 * The body of a write that takes no input: `{}` or nothing. Anything else (another field, `null`,
 * JSON that does not parse) is a 400 rather than ignored, so a malformed call does not act.
 */
export const noBodySchema = z.strictObject({}).describe("This operation takes no input: send `{}` or no body.").meta({ id: "NoBody" });
