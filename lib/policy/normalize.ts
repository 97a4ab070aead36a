// Names of tools, resources and prompts are compared in one canonical form so that look-alikes of a
// denied name (full-width letters, other case, zero-width characters) still hit the rule.

// Default_Ignorable_Code_Point covers zero-width (U+200B–U+200F), word joiners (U+2060–U+2064),
// BOM (U+FEFF), soft hyphen (U+00AD), CGJ (U+034F), variation selectors and the bidi controls
// (U+202A–U+202E, U+2066–U+2069); they render as nothing, so they must not make two names differ.
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;
const PLAIN_ASCII = /^[\x20-\x7e]*$/;

/**
 * NFKC, case folding, NFKC again, without default-ignorable code points. Case folding is
 * approximated by upper- then lower-casing, which also folds "ß" to "ss" (plain toLowerCase does
 * not), plus final sigma to sigma. Confusables across scripts (Cyrillic "а" for Latin "a") are NOT
 * unified: NFKC does not map them.
 */
export function normalizeName(value: string): string {
  // Fast path: printable ASCII only needs lower-casing.
  if (PLAIN_ASCII.test(value)) return value.toLowerCase();
  const stripped = value.normalize("NFKC").replace(IGNORABLE, "");
  // toLowerCase turns a word-final Σ into ς; case folding makes every sigma σ.
  return stripped.toUpperCase().toLowerCase().replace(/ς/g, "σ").normalize("NFKC").replace(IGNORABLE, "");
}

const KEY_SEPARATORS = /[_-]/g;

/** Property names for key rules: case-insensitive, "_" and "-" ignored (apiKey = api_key = API-KEY). */
export function normalizeKey(key: string): string {
  return key.replace(KEY_SEPARATORS, "").toLowerCase();
}
