import { getServerSession, type NextAuthOptions } from "next-auth";
import type { OAuthConfig } from "next-auth/providers/oauth";
import type { Actor } from "@/lib/authz/permissions";
import { oidcConfig } from "@/lib/config";
import { getDb } from "@/lib/db/client";
import { upsertUserFromIdp } from "@/lib/users/upsert-user-from-idp";

// next-auth with one generic OIDC provider: Okta, Entra ID, Google, Keycloak or the dev IdP are
// all configured by OIDC_ISSUER / OIDC_CLIENT_ID / OIDC_CLIENT_SECRET / OIDC_GROUPS_CLAIM alone.

interface OidcProfile extends Record<string, unknown> {
  sub: string;
  email?: string;
  name?: string;
  preferred_username?: string;
}

/** Reads a (possibly dotted, e.g. "realm_access.roles") claim as a list of group names. */
export function readGroups(profile: Record<string, unknown>, claim: string): string[] {
  let value: unknown = profile;
  for (const part of claim.split(".")) {
    value = value && typeof value === "object" ? (value as Record<string, unknown>)[part] : undefined;
  }
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === "string");
  if (typeof value === "string") return value.split(/[,\s]+/).filter(Boolean);
  return [];
}

let cached: NextAuthOptions | undefined;

/** Built on first use, not at import, so `next build` needs no IdP configuration. */
export function getAuthOptions(): NextAuthOptions {
  if (cached) return cached;
  const oidc = oidcConfig();
  const provider: OAuthConfig<OidcProfile> = {
    id: "oidc",
    name: oidc.OIDC_PROVIDER_NAME,
    type: "oauth",
    wellKnown: `${oidc.OIDC_ISSUER.replace(/\/$/, "")}/.well-known/openid-configuration`,
    clientId: oidc.OIDC_CLIENT_ID,
    clientSecret: oidc.OIDC_CLIENT_SECRET,
    authorization: { params: { scope: oidc.OIDC_SCOPE } },
    idToken: true,
    checks: ["pkce", "state"],
    profile(profile) {
      return { id: profile.sub, email: profile.email ?? null, name: profile.name ?? profile.preferred_username ?? null };
    },
  };
  cached = {
    secret: process.env.NEXTAUTH_SECRET,
    session: { strategy: "jwt", maxAge: 8 * 60 * 60 },
    providers: [provider],
    pages: { signIn: "/", error: "/" },
    callbacks: {
      async signIn({ profile }) {
        // Without an email we cannot show who did what; refuse rather than invent one.
        return typeof profile?.email === "string" && profile.email.length > 0;
      },
      async jwt({ token, profile }) {
        if (profile) {
          const claims = profile as unknown as OidcProfile;
          const user = await upsertUserFromIdp(getDb(), {
            subject: claims.sub,
            email: String(claims.email),
            name: claims.name ?? null,
            groups: readGroups(claims, oidc.OIDC_GROUPS_CLAIM),
          });
          token.uid = user.id;
        }
        return token;
      },
      async session({ session, token }) {
        return { ...session, uid: typeof token.uid === "string" ? token.uid : undefined };
      },
    },
  };
  return cached;
}

export type PortalUser = Actor & { name: string | null };

/** The signed-in user, read fresh from Postgres so role changes apply at once; null if signed out. */
export async function getPortalUser(): Promise<PortalUser | null> {
  const session = (await getServerSession(getAuthOptions())) as { uid?: string } | null;
  if (!session?.uid) return null;
  const user = await getDb().user.findUnique({ where: { id: session.uid } });
  return user ? { id: user.id, email: user.email, name: user.name, roles: user.roles } : null;
}
