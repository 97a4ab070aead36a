// react-hook-form glue shared by the portal's forms: the lib/ zod schema the API route parses with
// checks every field before a request is sent, and the API's own 400s (`error.field`) land on the
// field they name.

import type { FieldError, FieldErrors, FieldPath, FieldValues, Resolver, UseFormSetError } from "react-hook-form";
import type { z } from "zod";
import { ApiError, errorMessage } from "./api";

/** The form-level error (not about one field): `errors.root.server`. */
export const ROOT_ERROR = "root.server" as const;

/** The message of a field's error as the form shows it: "is required" → "Is required". */
export function fieldMessage(error: Pick<FieldError, "message"> | undefined): string | undefined {
  const message = error?.message;
  return message ? message.charAt(0).toUpperCase() + message.slice(1) : undefined;
}

/**
 * Shows a failed mutation in the form: a 400 whose `error.field` maps to one of the form's fields
 * goes next to that field (without the "field: " prefix the API puts in front), anything else
 * becomes the form-level error (`errors.root.server`).
 */
export function showServerError<V extends FieldValues>(
  error: unknown,
  setError: UseFormSetError<V>,
  toField: (apiField: string) => FieldPath<V> | null,
): void {
  const field = error instanceof ApiError && error.field ? toField(error.field) : null;
  if (error instanceof ApiError && error.field && field) {
    const prefix = `${error.field}: `;
    const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
    setError(field, { type: "server", message }, { shouldFocus: true });
    return;
  }
  setError(ROOT_ERROR, { type: "server", message: errorMessage(error) });
}

/** A form whose fields are named as the API's: `error.field` "reason" is the field "reason". */
export function sameNames<const N extends string>(names: readonly N[]): (apiField: string) => N | null {
  return (apiField) => names.find((name) => name === apiField) ?? null;
}

/**
 * A resolver for a form whose values are not the schema's input as they are (a credential entered
 * as a name and a value, arguments one per line, text inputs for an optional query): `toInput`
 * builds the input, the lib schema the API parses it with checks it, and every issue is reported
 * on the form field `toField` maps its path to (first issue per field; issues with no field become
 * the form-level error). `extra` adds checks that only exist in the form. The submit handler
 * receives the parsed output. (zodResolver serves forms whose values are the schema's input.)
 */
export function schemaResolver<V extends FieldValues, S extends z.ZodType>(options: {
  schema: S;
  toInput: (values: V) => unknown;
  toField: (issue: { path: string; code: string }) => FieldPath<V> | null;
  extra?: (values: V) => Partial<Record<FieldPath<V>, string>>;
}): Resolver<V, unknown, z.output<S>> {
  return async (values) => {
    const errors: Record<string, FieldError> = {};
    const extra: Partial<Record<string, string>> = options.extra?.(values) ?? {};
    for (const [field, message] of Object.entries(extra)) if (message) errors[field] = { type: "custom", message };

    const result = await options.schema.safeParseAsync(options.toInput(values));
    const unplaced: string[] = [];
    if (!result.success) {
      for (const issue of result.error.issues) {
        const path = issue.path.map(String).join(".");
        const field = options.toField({ path, code: issue.code });
        if (field === null) unplaced.push(path ? `${path}: ${issue.message}` : issue.message);
        else errors[field] ??= { type: issue.code, message: issue.message };
      }
    }
    if (Object.keys(errors).length === 0 && unplaced.length === 0 && result.success) return { values: result.data, errors: {} };

    const fieldErrors: FieldErrors<V> = { ...errors } as FieldErrors<V>;
    if (unplaced.length > 0) fieldErrors.root = { server: { type: "schema", message: unplaced.join(" ") } };
    return { values: {}, errors: fieldErrors };
  };
}

/** `setValueAs` for an optional number input: empty is "not given" (undefined), anything else a number (NaN if not one). */
export function optionalNumber(value: unknown): number | undefined {
  if (value === undefined || value === null || (typeof value === "string" && value.trim() === "")) return undefined;
  return typeof value === "number" ? value : Number(value);
}
