// Presentational building blocks (no hooks): usable from server and client components alike.
import type { UseQueryResult } from "@tanstack/react-query";
import type { HTMLAttributes, ReactNode } from "react";
import { errorMessage } from "./api";

export function cx(...classes: Array<string | false | null | undefined>): string {
  return classes.filter(Boolean).join(" ");
}

export function PageHeader({ title, description, children }: { title: string; description?: ReactNode; children?: ReactNode }) {
  return (
    <div className="mb-5 flex flex-wrap items-end justify-between gap-3">
      <div>
        <h1 className="text-xl font-semibold tracking-tight text-gray-900">{title}</h1>
        {description ? <p className="mt-1 text-gray-600">{description}</p> : null}
      </div>
      {children}
    </div>
  );
}

export function Card({
  title,
  actions,
  children,
  className,
  bodyClassName,
  as: Tag = "section",
  ...rest
}: {
  title?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  bodyClassName?: string;
  as?: "section" | "article" | "div";
} & Omit<HTMLAttributes<HTMLElement>, "title">) {
  return (
    <Tag className={cx("rounded-lg border border-gray-200 bg-white shadow-xs", className)} {...rest}>
      {title || actions ? (
        <div className="flex flex-wrap items-center justify-between gap-x-3 gap-y-1 border-b border-gray-200 px-4 py-3">
          {typeof title === "string" ? <h2 className="text-sm font-semibold text-gray-900">{title}</h2> : title}
          {actions}
        </div>
      ) : null}
      {/* bodyClassName replaces the default padding: "p-4 p-0" would resolve to p-4 (CSS order, not class order). */}
      <div className={bodyClassName ?? "p-4"}>{children}</div>
    </Tag>
  );
}

export type Tone = "gray" | "green" | "amber" | "red" | "indigo" | "blue" | "violet";

const TONES: Record<Tone, string> = {
  gray: "bg-gray-100 text-gray-700 ring-gray-300",
  green: "bg-emerald-50 text-emerald-800 ring-emerald-300",
  amber: "bg-amber-50 text-amber-800 ring-amber-300",
  red: "bg-red-50 text-red-800 ring-red-300",
  indigo: "bg-indigo-50 text-indigo-800 ring-indigo-300",
  blue: "bg-sky-50 text-sky-800 ring-sky-300",
  violet: "bg-violet-50 text-violet-800 ring-violet-300",
};

export function Badge({
  tone = "gray",
  children,
  className,
  title,
}: {
  tone?: Tone;
  children: ReactNode;
  className?: string;
  title?: string;
}) {
  return (
    <span
      title={title}
      className={cx(
        "inline-flex items-center gap-1 rounded px-1.5 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset",
        TONES[tone],
        className,
      )}
    >
      {children}
    </span>
  );
}

const STATUS_TONES: Record<string, Tone> = {
  PENDING: "amber",
  APPROVED: "green",
  ACTIVE: "green",
  DENIED: "red",
  REVOKED: "red",
  CANCELLED: "gray",
  EXPIRED: "gray",
};

/** Request and grant statuses: PENDING amber, APPROVED/ACTIVE green, DENIED/REVOKED red, others gray. */
export function StatusBadge({ status }: { status: string }) {
  return <Badge tone={STATUS_TONES[status] ?? "gray"}>{status}</Badge>;
}

export function RoleBadge({ role }: { role: string }) {
  const tone: Tone = role === "ADMIN" ? "violet" : role === "APPROVER" ? "indigo" : role === "AUDITOR" ? "blue" : "gray";
  return <Badge tone={tone}>{role.toLowerCase()}</Badge>;
}

type ButtonVariant = "primary" | "secondary" | "danger" | "ghost";

const BUTTONS: Record<ButtonVariant, string> = {
  primary: "bg-indigo-600 text-white shadow-xs hover:bg-indigo-500 disabled:bg-indigo-300",
  secondary: "bg-white text-gray-800 ring-1 ring-inset ring-gray-300 shadow-xs hover:bg-gray-50 disabled:text-gray-400",
  danger: "bg-white text-red-700 ring-1 ring-inset ring-red-300 shadow-xs hover:bg-red-50 disabled:text-red-300",
  ghost: "text-gray-700 hover:bg-gray-100 disabled:text-gray-400",
};

export function buttonClass(variant: ButtonVariant = "secondary", size: "sm" | "md" = "md"): string {
  return cx(
    "inline-flex items-center justify-center gap-1.5 rounded-md font-medium transition-colors disabled:cursor-not-allowed",
    size === "sm" ? "px-2 py-1 text-xs" : "px-3 py-1.5 text-sm",
    BUTTONS[variant],
  );
}

export const inputClass =
  "block w-full rounded-md border-0 bg-white px-2.5 py-1.5 text-sm text-gray-900 shadow-xs ring-1 ring-inset ring-gray-300 placeholder:text-gray-400 focus:ring-2 focus:ring-inset focus:ring-indigo-500 disabled:bg-gray-50 disabled:text-gray-500 aria-[invalid=true]:ring-red-400";

export const labelClass = "mb-1 block text-xs font-medium text-gray-700";

export function FieldError({ id, message }: { id: string; message?: string | null }) {
  if (!message) return null;
  return (
    <p id={id} role="alert" className="mt-1 text-xs text-red-700">
      {message}
    </p>
  );
}

export function Alert({
  tone = "red",
  children,
  className,
}: {
  tone?: "red" | "green" | "amber" | "indigo";
  children: ReactNode;
  className?: string;
}) {
  const tones = {
    red: "border-red-200 bg-red-50 text-red-800",
    green: "border-emerald-200 bg-emerald-50 text-emerald-800",
    amber: "border-amber-200 bg-amber-50 text-amber-900",
    indigo: "border-indigo-200 bg-indigo-50 text-indigo-900",
  } as const;
  return (
    <div role={tone === "red" ? "alert" : "status"} className={cx("rounded-md border px-3 py-2 text-sm", tones[tone], className)}>
      {children}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="py-6 text-center text-sm text-gray-500">{children}</p>;
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="py-6 text-center text-sm text-gray-500" aria-live="polite">
      {label}
    </p>
  );
}

/** The props a `Field` hands its control: id, input styling and the aria link to its error. */
export interface ControlProps {
  id: string;
  className: string;
  "aria-invalid"?: boolean;
  "aria-describedby"?: string;
}

/** Label, control (render prop) and its `FieldError`, wired by `${id}-error`. */
export function Field({
  id,
  label,
  error,
  className,
  children,
}: {
  id: string;
  label: ReactNode;
  error?: string | null;
  className?: string;
  children: (control: ControlProps) => ReactNode;
}) {
  const errorId = `${id}-error`;
  return (
    <div className={className}>
      <label htmlFor={id} className={labelClass}>
        {label}
      </label>
      {children({
        id,
        className: inputClass,
        "aria-invalid": error ? true : undefined,
        "aria-describedby": error ? errorId : undefined,
      })}
      <FieldError id={errorId} message={error} />
    </div>
  );
}

/** Loading, error (padded for a `p-0` card body), empty, or `children(data)`. */
export function QueryState<T>({
  query,
  empty,
  isEmpty = (data) => Array.isArray(data) && data.length === 0,
  loadingLabel,
  children,
}: {
  query: UseQueryResult<T>;
  empty: ReactNode;
  isEmpty?: (data: T) => boolean;
  loadingLabel?: string;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <Loading label={loadingLabel} />;
  if (query.isError) {
    return (
      <div className="p-4">
        <Alert>{errorMessage(query.error)}</Alert>
      </div>
    );
  }
  return isEmpty(query.data) ? <Empty>{empty}</Empty> : children(query.data);
}

const tableClass = "min-w-full divide-y divide-gray-200 text-sm";
const thClass = "px-3 py-2 text-left text-xs font-semibold tracking-wide text-gray-500 uppercase whitespace-nowrap";
export const tdClass = "px-3 py-2 align-top text-gray-800";

/**
 * A column heading: a string, or a label with classes for its `<th>`. `cardLabel` names the column
 * in the phone layout when `label` is not a string (leave it out for a column of buttons).
 */
export type TableHeader = string | { label: ReactNode; className?: string; cardLabel?: string };

function cardLabelOf(header: TableHeader): string | undefined {
  if (typeof header === "string") return header;
  return header.cardLabel ?? (typeof header.label === "string" ? header.label : undefined);
}

/** A CSS string literal (labels are developers' text, but quotes and backslashes must not end it). */
function cssString(text: string): string {
  return `"${text.replace(/[\\"]/g, "\\$&").replace(/\n/g, " ")}"`;
}

/** A short stable class name for a set of column labels (one `<style>` per distinct header row). */
function labelsClass(labels: Array<string | undefined>): string {
  let hash = 5381;
  for (const char of labels.map((label) => label ?? "").join("\u0000")) hash = ((hash * 33) ^ char.charCodeAt(0)) >>> 0;
  return `dt-${hash.toString(36)}`;
}

/**
 * The phone layout's column labels: `td:nth-child(n)::before { content: "Label" }` for this header
 * row, so that the rows' cells need no extra attributes. Cells spanning columns get no label.
 */
function cardLabelsCss(scope: string, labels: Array<string | undefined>): string {
  const rules = labels
    .map((label, index) =>
      label ? `.${scope}>table>tbody>tr>td:nth-child(${index + 1}):not([colspan])::before{content:${cssString(label)}}` : "",
    )
    .join("");
  // The same breakpoint as `.data-table-cards` in globals.css (Tailwind's sm).
  return `@media (width < 40rem){${rules}}`;
}

/**
 * A table with a gray header row; children are the body's `<tr>` rows. On wide screens it scrolls
 * sideways inside its own box when it must; below the `sm` breakpoint (unless `cards={false}`) each
 * row becomes a stacked card, every cell labelled by its column's header (see globals.css,
 * `.data-table-cards`). Cells that are empty are left out of a card.
 */
export function DataTable({
  headers,
  className,
  children,
  cards = true,
}: {
  headers: TableHeader[];
  className?: string;
  children: ReactNode;
  /** false: keep the table (scrolling inside its box) on phones too. */
  cards?: boolean;
}) {
  const labels = headers.map(cardLabelOf);
  const scope = labelsClass(labels);
  return (
    // relative: absolutely positioned cells' content (an sr-only header) scrolls with the table
    // instead of widening the page.
    <div className={cx("relative overflow-x-auto", cards && "data-table-cards", cards && scope, className)}>
      {cards ? (
        // React hoists and de-duplicates it (href + precedence): one rule set per distinct header row.
        <style href={scope} precedence="default">
          {cardLabelsCss(scope, labels)}
        </style>
      ) : null}
      <table className={tableClass}>
        <thead className="bg-gray-50">
          <tr>
            {headers.map((header, index) =>
              typeof header === "string" ? (
                // biome-ignore lint/suspicious/noArrayIndexKey: a table's header row is static
                <th key={index} className={thClass}>
                  {header}
                </th>
              ) : (
                // biome-ignore lint/suspicious/noArrayIndexKey: a table's header row is static
                <th key={index} className={cx(thClass, header.className)}>
                  {header.label}
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody className="divide-y divide-gray-100">{children}</tbody>
      </table>
    </div>
  );
}

export function Forbidden({ neededRole: role, what }: { neededRole: string; what?: string }) {
  return (
    <div className="mx-auto mt-10 max-w-lg rounded-lg border border-gray-200 bg-white p-6 text-center shadow-xs">
      <h1 className="text-base font-semibold text-gray-900">{`You need the ${role} role to see this page`}</h1>
      <p className="mt-2 text-gray-600">{what ?? "Ask an administrator to map one of your identity-provider groups to that role."}</p>
    </div>
  );
}

/** A card listing what waits for a decision, with a count badge (amber while anything waits). */
export function QueueCard<T extends { id: string }>({
  title,
  query,
  countLabel,
  empty,
  item,
  children,
}: {
  title: string;
  query: UseQueryResult<T[]>;
  /** After the count in the badge, e.g. "pending" or "waiting". */
  countLabel: string;
  empty: ReactNode;
  item: (entry: T) => ReactNode;
  /** Shown below the list (e.g. recent outcomes). */
  children?: ReactNode;
}) {
  const count = query.data?.length;
  return (
    <Card
      title={title}
      aria-label={title}
      actions={count !== undefined ? <Badge tone={count ? "amber" : "gray"}>{`${count} ${countLabel}`}</Badge> : null}
      bodyClassName="p-0"
    >
      <QueryState query={query} empty={empty}>
        {(entries) => (
          <ul className="divide-y divide-gray-200">
            {entries.map((entry) => (
              <li key={entry.id}>{item(entry)}</li>
            ))}
          </ul>
        )}
      </QueryState>
      {children}
    </Card>
  );
}
