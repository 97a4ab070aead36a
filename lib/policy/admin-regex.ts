import { RE2JS, RE2JSSyntaxException } from "re2js";

// Regexes written by admins run on every message, so they go through re2js (RE2 semantics,
// linear time in the input) instead of the backtracking RegExp engine: `(a+)+$` cannot hang a
// gateway. RE2 deliberately has no lookaround and no backreferences.

export const MAX_REGEX_LENGTH = 1000;

export class AdminRegexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AdminRegexError";
  }
}

function explain(description: string, near: string | null): string {
  if (/^\(\?<?[=!]/.test(near ?? "")) {
    return "lookahead and lookbehind ((?=…), (?!…), (?<=…), (?<!…)) are not supported";
  }
  if (/^\\[1-9]/.test(near ?? "")) return "backreferences (\\1, \\2, …) are not supported";
  if (/nested repetition/.test(description)) return "possessive or doubled quantifiers (a++, a*+) are not supported";
  if (/repeat count/.test(description)) return "repetition counts must be at most 1000, e.g. a{1,1000}";
  return near ? `${description} near \`${near}\`` : description;
}

/** Compiles with re2js; throws AdminRegexError whose message says why RE2 refuses the pattern. */
export function compileAdminRegex(pattern: string): RE2JS {
  if (pattern.length > MAX_REGEX_LENGTH) throw new AdminRegexError(`must be at most ${MAX_REGEX_LENGTH} characters`);
  try {
    return RE2JS.compile(pattern);
  } catch (error) {
    const syntax = error instanceof RE2JSSyntaxException;
    const description = syntax ? error.getDescription() : (error as Error).message;
    const near = syntax ? error.getPattern() : null;
    throw new AdminRegexError(
      `is not supported by the linear-time regex engine (RE2 syntax, which cannot hang on any input): ${explain(description, near)}`,
    );
  }
}

/** Null when the pattern compiles, else the reason (for schema validation). */
export function adminRegexProblem(pattern: string): string | null {
  try {
    compileAdminRegex(pattern);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
