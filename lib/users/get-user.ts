import type { Actor } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import type { Role } from "../db/generated/enums.ts";
import { AppError } from "../errors.ts";

export interface UserView {
  id: string;
  email: string;
  name: string | null;
  roles: Role[];
}

/** The acting user's own profile, read fresh so role changes show at once. */
export async function getUser(db: Db, options: { actor: Actor }): Promise<UserView> {
  const user = await db.user.findUnique({
    where: { id: options.actor.id },
    select: { id: true, email: true, name: true, roles: true },
  });
  if (!user) throw new AppError("UNAUTHENTICATED", "Your user no longer exists; sign in again.");
  return { id: user.id, email: user.email, name: user.name, roles: [...user.roles].sort() };
}
