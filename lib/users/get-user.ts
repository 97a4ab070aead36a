import type { Actor } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import type { UserView } from "./views.ts";

/** The API's shape of the caller: the zod schema in ./views.ts (the OpenAPI document's). */
export type { UserView };

/** The acting user's own profile, read fresh so role changes show at once. */
export async function getUser(db: Db, options: { actor: Actor }): Promise<UserView> {
  const user = await db.user.findUnique({
    where: { id: options.actor.id },
    select: { id: true, email: true, name: true, roles: true },
  });
  if (!user) throw new AppError("UNAUTHENTICATED", "Your user no longer exists; sign in again.");
  return { id: user.id, email: user.email, name: user.name, roles: [...user.roles].sort() };
}
