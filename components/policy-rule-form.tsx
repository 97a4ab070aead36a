"use client";

import { toNestErrors } from "@hookform/resolvers";
import { useId } from "react";
import {
  type FieldError,
  type FieldErrors,
  type FieldValues,
  get,
  type Resolver,
  type UseFormRegisterReturn,
  useFieldArray,
  useForm,
} from "react-hook-form";
import type { z } from "zod";
import {
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
  type Rule,
} from "@/lib/policy/schema";
import { ACTION_LABELS, COMMON_METHODS, STYLE_HELP } from "./policy-format";
import { Alert, buttonClass, cx, Field, FieldError as FieldErrorText, inputClass, labelClass } from "./ui";

// One rule in a form. The form's fields are what a person edits (a method picked from a list,
// keys comma separated, paths one per line, argument matchers as path/operator/value rows); the
// resolver turns them into a rule and checks it with the schema the API parses policies with
// (guardrailRuleSchema / maskRuleSchema), reporting every issue at once on the field it is about.

type Path = ReadonlyArray<PropertyKey>;

/**
 * A resolver that builds the rule from the form's values, validates it with `schema`, and places
 * each issue on the form field `toField` names (null: a form-level error under `root`).
 */
function ruleResolver<V extends FieldValues, S extends z.ZodType>(options: {
  schema: S;
  toRule: (values: V) => unknown;
  toField: (path: Path, values: V) => string | null;
  extra?: (values: V) => Record<string, string>;
}): Resolver<V, unknown, z.output<S>> {
  return async (values, _context, resolverOptions) => {
    const flat: Record<string, FieldError> = { ...mapValues(options.extra?.(values) ?? {}) };
    const result = await options.schema.safeParseAsync(options.toRule(values));
    const formLevel: string[] = [];
    if (!result.success) {
      for (const issue of result.error.issues) {
        const field = options.toField(issue.path, values);
        if (field === null) formLevel.push(issue.path.length ? `${issue.path.map(String).join(".")}: ${issue.message}` : issue.message);
        else flat[field] ??= { type: issue.code, message: issue.message };
      }
    }
    if (formLevel.length) flat.root = { type: "schema", message: capitalize(formLevel.join("; ")) };
    if (result.success && Object.keys(flat).length === 0) return { values: result.data, errors: {} };
    return { values: {}, errors: toNestErrors(flat, resolverOptions) };
  };
}

function mapValues(messages: Record<string, string>): Record<string, FieldError> {
  return Object.fromEntries(Object.entries(messages).map(([field, message]) => [field, { type: "custom", message }]));
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** The message of the error at `name` (or of the first error nested under it), capitalized. */
function messageAt<V extends FieldValues>(errors: FieldErrors<V>, name: string): string | undefined {
  const found: unknown = get(errors, name);
  const first = (value: unknown): string | undefined => {
    if (!value || typeof value !== "object") return undefined;
    const message = (value as { message?: unknown }).message;
    if (typeof message === "string") return message;
    for (const [key, inner] of Object.entries(value)) {
      if (key === "ref") continue;
      const nested = first(inner);
      if (nested) return nested;
    }
    return undefined;
  };
  const message = first(found);
  return message ? capitalize(message) : undefined;
}

function FormButtons({ onCancel, isNew }: { onCancel: () => void; isNew: boolean }) {
  return (
    <div className="flex flex-wrap justify-end gap-2">
      <button type="button" className={buttonClass("secondary")} onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" className={buttonClass("primary")}>
        {isNew ? "Add rule" : "Apply changes"}
      </button>
    </div>
  );
}

function RootError<V extends FieldValues>({ errors }: { errors: FieldErrors<V> }) {
  const message = errors.root?.message;
  return message ? <Alert>{message}</Alert> : null;
}

// ---------------------------------------------------------------------------------------------
// Guardrail rules

type Operator = "equals" | "regex" | "exists";

interface GuardrailValues {
  id: string;
  description: string;
  /** "" any method, one of COMMON_METHODS, or "custom" (then `customMethod`). */
  method: string;
  customMethod: string;
  name: string;
  arguments: Array<{ path: string; operator: Operator; value: string }>;
  action: GuardrailAction;
  holdMinutes: string;
}

function guardrailValues(rule: GuardrailRule | null): GuardrailValues {
  const method = rule?.match.method ?? "";
  const common = method === "" || (COMMON_METHODS as readonly string[]).includes(method);
  return {
    id: rule?.id ?? "",
    description: rule?.description ?? "",
    method: common ? method : "custom",
    customMethod: common ? "" : method,
    name: rule?.match.name ?? "",
    arguments: (rule?.match.arguments ?? []).map((matcher) =>
      matcher.exists !== undefined
        ? { path: matcher.path, operator: "exists" as const, value: String(matcher.exists) }
        : matcher.regex !== undefined
          ? { path: matcher.path, operator: "regex" as const, value: matcher.regex }
          : {
              path: matcher.path,
              operator: "equals" as const,
              value: typeof matcher.equals === "string" ? matcher.equals : JSON.stringify(matcher.equals),
            },
    ),
    action: rule?.action ?? "deny",
    holdMinutes: rule?.holdMinutes === undefined ? "" : String(rule.holdMinutes),
  };
}

/** An "equals" value: JSON when it parses as JSON (true, 42, {"a":1}, "quoted"), else the text as a string. */
function parseEquals(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toGuardrail(values: GuardrailValues): unknown {
  const method = values.method === "custom" ? values.customMethod.trim() : values.method;
  const match: Record<string, unknown> = {};
  if (method) match.method = method;
  if (values.name.trim()) match.name = values.name.trim();
  if (values.arguments.length) {
    match.arguments = values.arguments.map((row) => {
      const path = row.path.trim();
      if (row.operator === "exists") return { path, exists: row.value !== "false" };
      if (row.operator === "regex") return { path, regex: row.value };
      return { path, equals: parseEquals(row.value) };
    });
  }
  const rule: Record<string, unknown> = { kind: "guardrail", match, action: values.action };
  if (values.id) rule.id = values.id;
  if (values.description.trim()) rule.description = values.description.trim();
  if (values.action === "require-approval" && values.holdMinutes.trim() !== "") rule.holdMinutes = Number(values.holdMinutes);
  return rule;
}

function guardrailField(path: Path, values: GuardrailValues): string | null {
  const [first, second, index, leaf] = path;
  if (first === "description" || first === "action" || first === "holdMinutes") return first;
  if (first !== "match") return null;
  if (second === "method") return values.method === "custom" ? "customMethod" : "method";
  if (second === "name") return "name";
  if (second === "arguments" && typeof index === "number") return `arguments.${index}.${leaf === "path" ? "path" : "value"}`;
  return null;
}

function guardrailExtra(values: GuardrailValues): Record<string, string> {
  const extra: Record<string, string> = {};
  values.arguments.forEach((row, index) => {
    if (row.operator !== "exists" && row.value === "") extra[`arguments.${index}.value`] = "enter a value to compare with";
  });
  if (values.method === "custom" && !values.customMethod.trim()) extra.customMethod = "enter a method, e.g. tools/call or resources/*";
  return extra;
}

const guardrailResolver = ruleResolver<GuardrailValues, typeof guardrailRuleSchema>({
  schema: guardrailRuleSchema,
  toRule: toGuardrail,
  toField: guardrailField,
  extra: guardrailExtra,
});

export function GuardrailRuleForm({
  rule,
  onApply,
  onCancel,
}: {
  rule: GuardrailRule | null;
  onApply: (rule: GuardrailRule) => void;
  onCancel: () => void;
}) {
  const id = useId();
  const {
    register,
    control,
    handleSubmit,
    watch,
    formState: { errors },
  } = useForm<GuardrailValues, unknown, GuardrailRule>({ resolver: guardrailResolver, defaultValues: guardrailValues(rule) });
  const matchers = useFieldArray({ control, name: "arguments" });
  const method = watch("method");
  const action = watch("action");
  const operators = watch("arguments");

  return (
    <form
      noValidate
      aria-label={rule ? "Edit guardrail rule" : "New guardrail rule"}
      className="space-y-3"
      onSubmit={(event) => {
        event.stopPropagation();
        void handleSubmit(onApply)(event);
      }}
    >
      <Field id={`${id}-description`} label="Description" error={messageAt(errors, "description")}>
        {(control) => <input {...control} {...register("description")} placeholder="e.g. No environment dumps" />}
      </Field>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field id={`${id}-method`} label="Method" error={messageAt(errors, "method")}>
          {(control) => (
            <select {...control} {...register("method")}>
              <option value="">Any method</option>
              {COMMON_METHODS.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
              <option value="custom">Custom…</option>
            </select>
          )}
        </Field>
        {method === "custom" ? (
          <Field id={`${id}-custom-method`} label="Custom method" error={messageAt(errors, "customMethod")}>
            {(control) => (
              <input {...control} {...register("customMethod")} className={cx(control.className, "font-mono")} placeholder="resources/*" />
            )}
          </Field>
        ) : null}
        <Field
          id={`${id}-name`}
          label="Name (glob)"
          error={messageAt(errors, "name")}
          className={method === "custom" ? "sm:col-span-2" : undefined}
        >
          {(control) => (
            <input
              {...control}
              {...register("name")}
              className={cx(control.className, "font-mono")}
              placeholder="get-env*, delete_*, file:///etc/*"
            />
          )}
        </Field>
      </div>
      <p className="-mt-1 text-xs text-gray-500">
        The name is the tool name, resource URI or prompt name; <code>*</code> matches any run of characters, <code>?</code> one. Compared
        ignoring case.
      </p>

      <fieldset className="rounded-md border border-gray-200 p-3">
        <legend className="px-1 text-xs font-medium text-gray-700">Argument matchers (all must match)</legend>
        {matchers.fields.length === 0 ? <p className="text-xs text-gray-500">None: the rule matches whatever the arguments are.</p> : null}
        <ul className="space-y-2">
          {matchers.fields.map((row, index) => {
            const operator = operators[index]?.operator ?? "equals";
            const pathError = messageAt(errors, `arguments.${index}.path`);
            const valueError = messageAt(errors, `arguments.${index}.value`);
            return (
              <li key={row.id} className="grid grid-cols-[minmax(0,1fr)_auto] gap-2 sm:grid-cols-[minmax(0,1.2fr)_auto_minmax(0,1fr)_auto]">
                <div className="min-w-0">
                  <label htmlFor={`${id}-arg-${index}-path`} className={labelClass}>{`Argument ${index + 1} JSON path`}</label>
                  <input
                    id={`${id}-arg-${index}-path`}
                    className={cx(inputClass, "font-mono")}
                    placeholder="$.query"
                    aria-invalid={pathError ? true : undefined}
                    aria-describedby={pathError ? `${id}-arg-${index}-path-error` : undefined}
                    {...register(`arguments.${index}.path`)}
                  />
                  <FieldErrorText id={`${id}-arg-${index}-path-error`} message={pathError} />
                </div>
                <div>
                  <label htmlFor={`${id}-arg-${index}-operator`} className={labelClass}>
                    Operator
                  </label>
                  <select id={`${id}-arg-${index}-operator`} className={inputClass} {...register(`arguments.${index}.operator`)}>
                    <option value="equals">equals</option>
                    <option value="regex">matches regex</option>
                    <option value="exists">exists?</option>
                  </select>
                </div>
                <div className="col-span-2 min-w-0 sm:col-span-1">
                  <label htmlFor={`${id}-arg-${index}-value`} className={labelClass}>
                    {operator === "exists" ? "Present" : operator === "regex" ? "Regex (RE2)" : "Value (JSON or text)"}
                  </label>
                  {operator === "exists" ? (
                    <select id={`${id}-arg-${index}-value`} className={inputClass} {...register(`arguments.${index}.value`)}>
                      <option value="true">yes (path selects something)</option>
                      <option value="false">no (path selects nothing)</option>
                    </select>
                  ) : (
                    <input
                      id={`${id}-arg-${index}-value`}
                      className={cx(inputClass, "font-mono")}
                      placeholder={operator === "regex" ? "(?i)drop\\s+table" : 'true, 42, "text"'}
                      aria-invalid={valueError ? true : undefined}
                      aria-describedby={valueError ? `${id}-arg-${index}-value-error` : undefined}
                      {...register(`arguments.${index}.value`)}
                    />
                  )}
                  <FieldErrorText id={`${id}-arg-${index}-value-error`} message={valueError} />
                </div>
                <div className="col-start-2 row-start-1 self-start pt-5 sm:col-start-auto sm:row-start-auto">
                  <button
                    type="button"
                    className={buttonClass("ghost", "sm")}
                    aria-label={`Remove argument matcher ${index + 1}`}
                    onClick={() => matchers.remove(index)}
                  >
                    Remove
                  </button>
                </div>
              </li>
            );
          })}
        </ul>
        <button
          type="button"
          className={cx(buttonClass("secondary", "sm"), "mt-2")}
          onClick={() => matchers.append({ path: "$.", operator: "equals", value: "" })}
        >
          Add argument matcher
        </button>
      </fieldset>

      <div className="grid gap-3 sm:grid-cols-2">
        <Field id={`${id}-action`} label="Action" error={messageAt(errors, "action")}>
          {(control) => (
            <select {...control} {...register("action")}>
              {GUARDRAIL_ACTIONS.map((value) => (
                <option key={value} value={value}>
                  {ACTION_LABELS[value]}
                </option>
              ))}
            </select>
          )}
        </Field>
        {action === "require-approval" ? (
          <Field id={`${id}-hold`} label="Hold minutes (wait for a decision)" error={messageAt(errors, "holdMinutes")}>
            {(control) => (
              <input {...control} {...register("holdMinutes")} type="number" inputMode="numeric" min={1} max={1440} placeholder="15" />
            )}
          </Field>
        ) : null}
      </div>
      <RootError errors={errors} />
      <FormButtons onCancel={onCancel} isNew={rule === null} />
    </form>
  );
}

// ---------------------------------------------------------------------------------------------
// Mask rules

interface MaskValues {
  id: string;
  description: string;
  all: boolean;
  detectors: DetectorName[];
  keys: string;
  paths: string;
  regex: string;
  label: string;
  style: MaskStyle;
}

function maskValues(rule: MaskRule | null): MaskValues {
  const all = rule?.detectors?.[0] === "all";
  return {
    id: rule?.id ?? "",
    description: rule?.description ?? "",
    all,
    detectors: all ? [] : ((rule?.detectors ?? []) as DetectorName[]),
    keys: (rule?.keys ?? []).join(", "),
    paths: (rule?.paths ?? []).join("\n"),
    regex: rule?.regex ?? "",
    label: rule?.label ?? "",
    style: rule?.style ?? "redact",
  };
}

const splitList = (text: string, separator: RegExp) =>
  text
    .split(separator)
    .map((item) => item.trim())
    .filter(Boolean);

function toMask(values: MaskValues): unknown {
  const rule: Record<string, unknown> = { kind: "mask", style: values.style };
  if (values.id) rule.id = values.id;
  if (values.description.trim()) rule.description = values.description.trim();
  // An unchecked group can come back as false rather than [] (react-hook-form checkboxes).
  const detectors = Array.isArray(values.detectors) ? values.detectors : [];
  if (values.all) rule.detectors = ["all"];
  else if (detectors.length) rule.detectors = DETECTORS.filter((name) => detectors.includes(name));
  const keys = splitList(values.keys, /,/);
  if (keys.length) rule.keys = keys;
  const paths = splitList(values.paths, /\n/);
  if (paths.length) rule.paths = paths;
  if (values.regex !== "") rule.regex = values.regex;
  if (values.label.trim()) rule.label = values.label.trim();
  return rule;
}

function maskField(path: Path): string | null {
  const [first] = path;
  if (first === "description" || first === "detectors" || first === "keys" || first === "paths" || first === "regex") return first;
  if (first === "label" || first === "style") return first;
  return null;
}

const maskResolver = ruleResolver<MaskValues, typeof maskRuleSchema>({ schema: maskRuleSchema, toRule: toMask, toField: maskField });

export function MaskRuleForm({
  rule,
  onApply,
  onCancel,
}: {
  rule: MaskRule | null;
  onApply: (rule: MaskRule) => void;
  onCancel: () => void;
}) {
  const id = useId();
  const {
    register,
    handleSubmit,
    watch,
    formState: { errors },
  } = useForm<MaskValues, unknown, MaskRule>({ resolver: maskResolver, defaultValues: maskValues(rule) });
  const all = watch("all");
  const detectorsError = messageAt(errors, "detectors");

  return (
    <form
      noValidate
      aria-label={rule ? "Edit mask rule" : "New mask rule"}
      className="space-y-3"
      onSubmit={(event) => {
        event.stopPropagation();
        void handleSubmit(onApply)(event);
      }}
    >
      <Field id={`${id}-description`} label="Description" error={messageAt(errors, "description")}>
        {(control) => <input {...control} {...register("description")} placeholder="e.g. No personal data leaves the server" />}
      </Field>

      <fieldset
        className="rounded-md border border-gray-200 p-3"
        aria-invalid={detectorsError ? true : undefined}
        aria-describedby={detectorsError ? `${id}-detectors-error` : undefined}
      >
        <legend className="px-1 text-xs font-medium text-gray-700">Detectors</legend>
        <Checkbox label="All detectors" registration={register("all")} />
        <div className="mt-2 grid grid-cols-2 gap-x-3 gap-y-1 sm:grid-cols-3">
          {DETECTORS.map((name) => (
            <Checkbox key={name} label={name} value={name} disabled={all} registration={register("detectors")} mono />
          ))}
        </div>
        <FieldErrorText id={`${id}-detectors-error`} message={detectorsError} />
      </fieldset>

      <Field id={`${id}-keys`} label="Keys (comma separated, at any depth)" error={messageAt(errors, "keys")}>
        {(control) => (
          <input {...control} {...register("keys")} className={cx(control.className, "font-mono")} placeholder="password, api_key" />
        )}
      </Field>
      <Field id={`${id}-paths`} label="JSON paths (one per line, from the message root)" error={messageAt(errors, "paths")}>
        {(control) => (
          <textarea
            {...control}
            {...register("paths")}
            rows={2}
            className={cx(control.className, "font-mono")}
            placeholder="$.result.content[*].text"
          />
        )}
      </Field>
      <div className="grid gap-3 sm:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
        <Field id={`${id}-regex`} label="Regex (RE2)" error={messageAt(errors, "regex")}>
          {(control) => (
            <input {...control} {...register("regex")} className={cx(control.className, "font-mono")} placeholder="ORD-\d{6}" />
          )}
        </Field>
        <Field id={`${id}-label`} label="Label" error={messageAt(errors, "label")}>
          {(control) => <input {...control} {...register("label")} className={cx(control.className, "font-mono")} placeholder="order-id" />}
        </Field>
      </div>

      <fieldset className="rounded-md border border-gray-200 p-3">
        <legend className="px-1 text-xs font-medium text-gray-700">Style</legend>
        <div className="space-y-1.5">
          {MASK_STYLES.map((style) => (
            <label key={style} className="flex items-start gap-2 text-sm">
              <input type="radio" value={style} className="mt-1" {...register("style")} />
              <span>
                <span className="font-medium text-gray-900">{style}</span>
                <span className="block text-xs text-gray-600">{STYLE_HELP[style]}</span>
              </span>
            </label>
          ))}
        </div>
      </fieldset>
      <RootError errors={errors} />
      <FormButtons onCancel={onCancel} isNew={rule === null} />
    </form>
  );
}

function Checkbox({
  label,
  value,
  disabled,
  registration,
  mono,
}: {
  label: string;
  value?: string;
  disabled?: boolean;
  registration: UseFormRegisterReturn;
  mono?: boolean;
}) {
  return (
    <label className={cx("flex items-center gap-2 text-sm", disabled && "text-gray-400", mono && "font-mono text-xs")}>
      <input type="checkbox" value={value} disabled={disabled} {...registration} />
      {label}
    </label>
  );
}

/** The form for a rule of either kind: an existing `rule`, or a new one of `kind`. */
export function RuleForm(
  props: ({ rule: Rule; kind?: never } | { rule: null; kind: Rule["kind"] }) & { onApply: (rule: Rule) => void; onCancel: () => void },
) {
  const { onApply, onCancel } = props;
  if (props.rule) {
    return props.rule.kind === "guardrail" ? (
      <GuardrailRuleForm rule={props.rule} onApply={onApply} onCancel={onCancel} />
    ) : (
      <MaskRuleForm rule={props.rule} onApply={onApply} onCancel={onCancel} />
    );
  }
  return props.kind === "guardrail" ? (
    <GuardrailRuleForm rule={null} onApply={onApply} onCancel={onCancel} />
  ) : (
    <MaskRuleForm rule={null} onApply={onApply} onCancel={onCancel} />
  );
}
