import { vaultKey } from "@/lib/config";
import { createConnection } from "@/lib/connections/create-connection";
import { listConnections } from "@/lib/connections/list-connections";
import { createConnectionSchema } from "@/lib/connections/schema";
import { handle, methodsNotAllowed, readJson } from "../_lib/handler";

export const dynamic = "force-dynamic";

export const GET = handle(async ({ actor, db }) => listConnections(db, { actor }), { permission: "connections:read" });

export const POST = handle(
  async ({ request, actor, db }) => {
    const input = await readJson(request, createConnectionSchema);
    return createConnection(db, { actor, input, vaultKey: vaultKey() });
  },
  { status: 201, permission: "connections:write" },
);

export const { PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST");
