import { getPortalUser } from "@/app/auth";
import { Alert, Card } from "@/components/ui";
import { getDb } from "@/lib/db/client";
import { hasNul } from "@/lib/oauth/schema";
import { WaitForApproval } from "./wait-for-approval";

// The consent page after the access request was filed: it waits live for the approver, then sends
// the browser on to the MCP client (with a code, or error=access_denied).

export const dynamic = "force-dynamic";

export const metadata = { title: "Waiting for approval · Tollgate" };

export default async function WaitingPage({ searchParams }: { searchParams: Promise<{ authorization?: string | string[] }> }) {
  const user = await getPortalUser();
  if (!user) return null; // the layout shows the sign-in card
  const { authorization: id } = await searchParams;
  const db = getDb();
  const authorization =
    typeof id === "string" && !hasNul(id)
      ? await db.oAuthAuthorization.findFirst({ where: { id, userId: user.id }, include: { client: true } })
      : null;
  const request = authorization?.accessRequestId
    ? await db.accessRequest.findUnique({ where: { id: authorization.accessRequestId }, include: { connection: true } })
    : null;
  if (!authorization || !request) {
    return (
      <div className="mx-auto max-w-xl">
        <Alert>This authorization request is unknown or not yours. Start again from your MCP client.</Alert>
      </div>
    );
  }
  return (
    <div className="mx-auto max-w-xl">
      <h1 className="text-xl font-semibold tracking-tight text-gray-900">Waiting for an approver</h1>
      <Card className="mt-4" bodyClassName="p-4">
        <p className="text-sm text-gray-800">
          Your request for <strong>{request.minutes} minutes</strong> on <strong>{request.connection.name}</strong> went to the approvers.
          When one approves, this tab sends you back to <strong>{authorization.client.name}</strong> (
          <span className="font-mono">{new URL(authorization.redirectUri).host}</span>) by itself; keep it open.
        </p>
        <p className="mt-2 text-sm text-gray-600">
          Reason: <span className="text-gray-800">{request.reason}</span>
        </p>
        <WaitForApproval authorizationId={authorization.id} clientName={authorization.client.name} />
      </Card>
    </div>
  );
}
