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
    const field = [...issue.path, issue.keys[0]!].join(".");
    throw new AppError("BAD_REQUEST", `${field}: is not a field that can be set here.`, { field });
  }
  const field = issue.path.join(".");
  throw new AppError("BAD_REQUEST", field ? `${field}: ${issue.message}` : issue.message, { field: field || undefined });
}

/** A timestamp as the API returns it (Date#toISOString), for response schemas. */
export function timestamp() {
  return z.string().meta({ format: "date-time", example: "2026-01-31T09:30:00.000Z" });
}
