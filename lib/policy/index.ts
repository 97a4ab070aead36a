// The policy engine: framework-free (no database, no Next.js, no gateway code), shared by the
// gateway and the portal's preview. See evaluate.ts for the entry point, guardrails.ts for the
// decision semantics and mask.ts for masking.

export { AdminRegexError, compileAdminRegex } from "./admin-regex.ts";
export { DETECTOR_IMPLEMENTATIONS, detect } from "./detectors/index.ts";
export type { Detector, DetectorContext, Span } from "./detectors/types.ts";
export {
  type CompiledPolicy,
  type CompilePolicyInput,
  compilePolicy,
  type EvaluateInput,
  emptyPolicy,
  evaluateMessage,
  type PolicyResult,
} from "./evaluate.ts";
export { compileGlob, type GlobMatcher } from "./glob.ts";
export {
  type CompiledGuardrails,
  compileGuardrails,
  decide,
  type GuardrailDecision,
  type GuardrailRequest,
  type GuardrailScope,
  jsonEquals,
  type MatchedRule,
  targetName,
  USE_METHODS,
} from "./guardrails.ts";
export {
  type CompiledJsonPath,
  compileJsonPath,
  formatIndex,
  formatKey,
  JsonPathError,
  type JsonPathMatch,
  select,
  selectJsonPath,
} from "./json-path.ts";
export { filterListResult, LIST_METHODS, type ToolAccess, toolAccess } from "./list-filter.ts";
export { type CompiledMask, compileMask, type MaskFinding, type MaskResult, maskMessage } from "./mask.ts";
export { normalizeKey, normalizeName } from "./normalize.ts";
export { partialMask } from "./replace.ts";
export {
  type ArgumentMatcher,
  assignRuleIds,
  DETECTORS,
  type DetectorName,
  GUARDRAIL_ACTIONS,
  type GuardrailAction,
  type GuardrailRule,
  guardrailRuleSchema,
  MASK_STYLES,
  type MaskRule,
  type MaskStyle,
  maskRuleSchema,
  type PolicyDocument,
  type PolicyDocumentInput,
  policyDocumentSchema,
  type Rule,
  ruleSchema,
} from "./schema.ts";
