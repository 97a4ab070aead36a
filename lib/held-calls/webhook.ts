// The announcement of a new held call on a Slack-compatible incoming webhook (`{ text, blocks }`):
// who, which connection and tool, the rule, the deadline and a deep link to the portal's
// approvals page. Argument values are never included — they may hold secrets, and approvers see
// them masked in the portal.

export interface HeldCallAnnouncement {
  id: string;
  callerEmail: string;
  connection: { slug: string; name: string };
  method: string;
  tool: string | null;
  rule: { id: string; description: string | null };
  deadline: Date;
}

/** Slack mrkdwn: &, < and > are control characters; user-supplied text must not form links or mentions. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function approvalLink(portalUrl: string, heldCallId: string): string {
  return `${portalUrl.replace(/\/+$/, "")}/approvals?heldCall=${encodeURIComponent(heldCallId)}`;
}

export function heldCallWebhookPayload(call: HeldCallAnnouncement, portalUrl: string) {
  const link = approvalLink(portalUrl, call.id);
  const what = call.tool ? `\`${escapeMrkdwn(call.tool)}\` (${escapeMrkdwn(call.method)})` : `\`${escapeMrkdwn(call.method)}\``;
  const rule = call.rule.description
    ? `${escapeMrkdwn(call.rule.description)} (rule ${escapeMrkdwn(call.rule.id)})`
    : `rule ${escapeMrkdwn(call.rule.id)}`;
  const deadline = call.deadline.toISOString().replace(/\.\d{3}Z$/, "Z");
  const summary = `${escapeMrkdwn(call.callerEmail)} called ${what} on ${escapeMrkdwn(call.connection.name)} — held for approval: ${rule}. Decide before ${deadline}.`;
  return {
    text: `Tollgate: ${summary} <${link}|Review it in Tollgate>`,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `:raised_hand: *A tool call is waiting for approval*\n${summary}` } },
      {
        type: "actions",
        elements: [{ type: "button", text: { type: "plain_text", text: "Review in Tollgate" }, url: link, style: "primary" }],
      },
    ],
  };
}

/**
 * Posts the announcement; resolves whatever happens (fire-and-forget for the caller), bounded by
 * `timeoutMs`. Returns an error message for the log, or null when the webhook accepted it.
 */
export async function postHeldCallWebhook(
  call: HeldCallAnnouncement,
  options: { url: string; portalUrl: string; timeoutMs?: number; fetch?: typeof fetch },
): Promise<string | null> {
  const doFetch = options.fetch ?? globalThis.fetch;
  try {
    const response = await doFetch(options.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(heldCallWebhookPayload(call, options.portalUrl)),
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      redirect: "error",
    });
    await response.body?.cancel().catch(() => undefined);
    return response.ok ? null : `webhook answered HTTP ${response.status}`;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
