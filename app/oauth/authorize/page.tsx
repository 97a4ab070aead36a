import { redirect } from "next/navigation";
import { getPortalUser } from "@/app/auth";
import { Alert, Card } from "@/components/ui";
import { getDb } from "@/lib/db/client";
import { oauthSettings } from "@/lib/oauth/settings";
import { startAuthorization } from "@/lib/oauth/start-authorization";
import { ConsentForm } from "./consent-form";

// GET /oauth/authorize — the authorization endpoint. Signed out, the portal's layout shows the
// sign-in card and brings the user back here. Signed in: the consent page, which is the access
// request form when the user holds no grant for the connection.

export const dynamic = "force-dynamic";

export const metadata = { title: "Authorize an MCP client · Tollgate" };

export default async function AuthorizePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await getPortalUser();
  if (!user) return null; // the layout shows the sign-in card and returns here
  const params = await searchParams;
  const repeated = Object.entries(params).find(([, value]) => Array.isArray(value));
  const query = Object.fromEntries(Object.entries(params).map(([name, value]) => [name, Array.isArray(value) ? undefined : value]));
  const outcome = repeated
    ? ({ kind: "invalid", message: `Parameter ${repeated[0]} is sent more than once.` } as const)
    : await startAuthorization(getDb(), { actor: user, query, settings: oauthSettings() });
  if (outcome.kind === "redirect") redirect(outcome.url);
  if (outcome.kind === "invalid") {
    return (
      <div className="mx-auto max-w-xl">
        <h1 className="mb-3 text-xl font-semibold tracking-tight text-gray-900">This authorization request cannot be used</h1>
        <Alert>{outcome.message}</Alert>
        <p className="mt-3 text-sm text-gray-600">
          Nothing was sent back to the application. Start the connection again from your MCP client; if this keeps happening, the client is
          misconfigured.
        </p>
      </div>
    );
  }
  const { client, connection, grant } = outcome;
  return (
    <div className="mx-auto max-w-xl">
      <h1 className="text-xl font-semibold tracking-tight text-gray-900">
        {grant ? `Allow ${client.name} to use ${connection.name}?` : `${client.name} asks for access to ${connection.name}`}
      </h1>
      <Card className="mt-4" bodyClassName="p-4">
        <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-2 text-sm">
          <dt className="text-gray-500">Application</dt>
          <dd className="min-w-0 break-words font-medium text-gray-900" data-testid="oauth-client-name">
            {client.name}{" "}
            <span className="font-normal text-gray-500">
              {client.kind === "metadata_document" ? `(identified by ${new URL(client.id).host})` : "(self-registered, not verified)"}
            </span>
          </dd>
          <dt className="text-gray-500">Sends you back to</dt>
          <dd className="min-w-0 break-all">
            <span
              className="rounded bg-amber-50 px-1.5 py-0.5 font-mono text-base font-semibold text-amber-900 ring-1 ring-amber-200"
              data-testid="oauth-redirect-host"
            >
              {client.redirectHost}
            </span>
          </dd>
          <dt className="text-gray-500">MCP server</dt>
          <dd className="min-w-0 break-words text-gray-900">
            {connection.name} <span className="font-mono text-xs text-gray-500">{connection.slug}</span>
          </dd>
          <dt className="text-gray-500">Endpoint</dt>
          <dd className="min-w-0 break-all font-mono text-xs text-gray-700">{outcome.resource}</dd>
        </dl>
        <p className="mt-3 text-xs text-gray-500">
          Only continue if you started this from that application. It will act as you ({user.email}) on {connection.name}; every call is
          recorded, and revoking your grant cuts it off.
        </p>
      </Card>
      <ConsentForm
        authorizationId={outcome.authorizationId}
        clientName={client.name}
        connection={{ name: connection.name, maxMinutes: connection.maxMinutes }}
        grantExpiresAt={grant ? grant.expiresAt.toISOString() : null}
        canRequest={outcome.canRequest}
      />
    </div>
  );
}
