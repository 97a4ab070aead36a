"use client";

import { useId, useState } from "react";
import type { PolicyDocument } from "@/lib/policy/schema";
import { errorMessage } from "./api";
import { collapseUnchanged, diffLines } from "./line-diff";
import { canonicalJson } from "./policy-format";
import { type PolicyScope, type PolicyVersionView, type PolicyView, usePolicyVersions, useRestorePolicyVersion } from "./policy-hooks";
import { Time } from "./time";
import { Alert, Badge, buttonClass, cx, labelClass, QueryState } from "./ui";

// Saved versions, newest first; one selected shows a line diff against the draft (or the saved
// policy) and can be restored, which saves its document as a new version.

const documentText = (document: PolicyDocument) => canonicalJson({ default: document.default, rules: document.rules });

function LineDiff({ before, after, label }: { before: string; after: string; label: string }) {
  const lines = diffLines(before, after);
  const changed = lines.some((line) => line.kind !== "same");
  if (!changed) return <p className="text-xs text-gray-500">No differences.</p>;
  return (
    <figure aria-label={label} className="m-0">
      <pre className="max-h-96 overflow-auto rounded-md bg-gray-50 py-1 font-mono text-xs leading-5 ring-1 ring-gray-200">
        {collapseUnchanged(lines).map((line, index) =>
          line.kind === "skipped" ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: a diff's lines are positional
            <div key={index} className="px-2 text-gray-400 italic">
              {`… ${line.count} unchanged ${line.count === 1 ? "line" : "lines"}`}
            </div>
          ) : (
            <div
              // biome-ignore lint/suspicious/noArrayIndexKey: a diff's lines are positional
              key={index}
              data-diff={line.kind}
              className={cx(
                "px-2 break-all whitespace-pre-wrap",
                line.kind === "added" && "bg-emerald-50 text-emerald-900",
                line.kind === "removed" && "bg-red-50 text-red-900",
                line.kind === "same" && "text-gray-600",
              )}
            >
              <span aria-hidden className="mr-2 select-none">
                {line.kind === "added" ? "+" : line.kind === "removed" ? "−" : " "}
              </span>
              <span className="sr-only">{line.kind === "added" ? "added: " : line.kind === "removed" ? "removed: " : ""}</span>
              {line.text}
            </div>
          ),
        )}
      </pre>
    </figure>
  );
}

export function PolicyVersions({
  scope,
  draft,
  saved,
  onRestored,
}: {
  scope: PolicyScope;
  draft: PolicyDocument;
  saved: PolicyDocument;
  onRestored: (view: PolicyView) => void;
}) {
  const id = useId();
  const versions = usePolicyVersions(scope);
  const restore = useRestorePolicyVersion(scope);
  const [selected, setSelected] = useState<number | null>(null);
  const [against, setAgainst] = useState<"draft" | "saved">("draft");
  const [confirming, setConfirming] = useState(false);

  return (
    <QueryState query={versions} empty="No saved versions yet: the first save creates version 1." loadingLabel="Loading versions…">
      {(list) => {
        const latest = list[0]?.version ?? 0;
        const chosen = list.find((version) => version.version === selected) ?? null;
        return (
          <div className="grid gap-4 lg:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
            <ul className="divide-y divide-gray-100 self-start rounded-md ring-1 ring-gray-200" aria-label="Saved versions">
              {list.map((version) => (
                <li key={version.version}>
                  <VersionButton
                    version={version}
                    latest={version.version === latest}
                    selected={version.version === selected}
                    onSelect={() => {
                      setSelected(version.version === selected ? null : version.version);
                      setConfirming(false);
                      restore.reset();
                    }}
                  />
                </li>
              ))}
            </ul>
            <div className="min-w-0 space-y-3">
              {chosen ? (
                <>
                  <div className="flex flex-wrap items-end justify-between gap-2">
                    <div>
                      <label htmlFor={`${id}-against`} className={labelClass}>
                        {`Compare version ${chosen.version} with`}
                      </label>
                      <select
                        id={`${id}-against`}
                        className="rounded-md border-0 px-2 py-1 text-sm ring-1 ring-gray-300"
                        value={against}
                        onChange={(event) => setAgainst(event.target.value === "saved" ? "saved" : "draft")}
                      >
                        <option value="draft">the draft being edited</option>
                        <option value="saved">the saved policy</option>
                      </select>
                    </div>
                    {chosen.version !== latest && !confirming ? (
                      <button type="button" className={buttonClass("secondary")} onClick={() => setConfirming(true)}>
                        {`Restore version ${chosen.version}…`}
                      </button>
                    ) : null}
                  </div>
                  {confirming ? (
                    <Alert tone="amber">
                      <p>
                        {`Restore version ${chosen.version}? Its rules are saved as a new version and gateways apply them within a second.`}
                        {documentText(draft) !== documentText(saved) ? " Your unsaved changes are discarded." : ""}
                      </p>
                      <div className="mt-2 flex gap-2">
                        <button
                          type="button"
                          className={buttonClass("primary", "sm")}
                          disabled={restore.isPending}
                          onClick={() =>
                            restore.mutate(chosen.version, {
                              onSuccess: (view) => {
                                setConfirming(false);
                                setSelected(null);
                                onRestored(view);
                              },
                            })
                          }
                        >
                          {`Restore version ${chosen.version}`}
                        </button>
                        <button type="button" className={buttonClass("ghost", "sm")} onClick={() => setConfirming(false)}>
                          Cancel
                        </button>
                      </div>
                    </Alert>
                  ) : null}
                  {restore.isError ? <Alert>{errorMessage(restore.error)}</Alert> : null}
                  <p className="text-xs text-gray-600">
                    <span className="mr-3 inline-flex items-center gap-1">
                      <span className="inline-block h-3 w-3 rounded-sm bg-red-100 ring-1 ring-red-300" /> only in version {chosen.version}
                    </span>
                    <span className="inline-flex items-center gap-1">
                      <span className="inline-block h-3 w-3 rounded-sm bg-emerald-100 ring-1 ring-emerald-300" /> only in the{" "}
                      {against === "draft" ? "draft" : "saved policy"}
                    </span>
                  </p>
                  <LineDiff
                    before={documentText(chosen.document)}
                    after={documentText(against === "draft" ? draft : saved)}
                    label={`Differences between version ${chosen.version} and the ${against === "draft" ? "draft" : "saved policy"}`}
                  />
                </>
              ) : (
                <p className="text-sm text-gray-500">Select a version to compare it with your draft or restore it.</p>
              )}
            </div>
          </div>
        );
      }}
    </QueryState>
  );
}

function VersionButton({
  version,
  latest,
  selected,
  onSelect,
}: {
  version: PolicyVersionView;
  latest: boolean;
  selected: boolean;
  onSelect: () => void;
}) {
  return (
    <button
      type="button"
      aria-pressed={selected}
      data-testid="policy-version"
      onClick={onSelect}
      className={cx("block w-full px-3 py-2 text-left hover:bg-gray-50", selected && "bg-indigo-50 hover:bg-indigo-50")}
    >
      <span className="flex flex-wrap items-center gap-2">
        <span className="font-semibold text-gray-900">{`Version ${version.version}`}</span>
        {latest ? <Badge tone="green">in force</Badge> : null}
        {version.restoredFrom !== null ? <Badge tone="blue">{`restored from ${version.restoredFrom}`}</Badge> : null}
      </span>
      <span className="mt-0.5 block text-xs break-words text-gray-700">{version.summary}</span>
      <span className="mt-0.5 block text-xs text-gray-500">
        {version.createdBy} · <Time iso={version.createdAt} zone />
      </span>
    </button>
  );
}
