import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import { SignInCard, SignOutButton, Wordmark } from "@/components/auth-buttons";
import { LiveUpdates } from "@/components/live-updates";
import { Nav, type NavItem } from "@/components/nav";
import { RoleBadge } from "@/components/ui";
import { can } from "@/lib/authz/permissions";
import { getPortalUser } from "./auth";
import { Providers } from "./providers";
import "./globals.css";

// Everything the portal shows depends on who is signed in.
export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: "Tollgate",
  description: "Just-in-time access for MCP servers",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const user = await getPortalUser();

  if (!user) {
    return (
      <html lang="en">
        <body>
          <Providers>
            <main>
              <SignInCard />
            </main>
          </Providers>
        </body>
      </html>
    );
  }

  const nav: NavItem[] = [
    { href: "/", label: "Catalog" },
    { href: "/access", label: "My access" },
    ...(can(user, "access:decide") ? [{ href: "/approvals", label: "Approvals" }] : []),
    { href: "/sessions", label: "Sessions" },
    ...(can(user, "connections:write") ? [{ href: "/admin/connections", label: "Connections" }] : []),
    ...(can(user, "policies:write") ? [{ href: "/admin/policies", label: "Policies" }] : []),
    ...(can(user, "audit:read") ? [{ href: "/audit", label: "Audit" }] : []),
  ];

  return (
    <html lang="en">
      <body>
        <Providers>
          <header className="sticky top-0 z-10 border-b border-gray-200 bg-white">
            {/* Phones: wordmark, email and a Menu button (links, roles, sign out). md–lg: the links get a row of their own. */}
            <div className="mx-auto flex max-w-7xl items-center gap-x-3 gap-y-1 px-4 py-2 md:flex-wrap md:gap-x-6 lg:h-12 lg:flex-nowrap lg:py-0">
              <Link href="/" aria-label="Tollgate home" className="shrink-0">
                <Wordmark />
              </Link>
              <Nav
                items={nav}
                menuFooter={
                  <>
                    <span className="sr-only">Roles:</span>
                    {user.roles.map((role) => (
                      <RoleBadge key={role} role={role} />
                    ))}
                    <span className="ml-auto">
                      <SignOutButton />
                    </span>
                  </>
                }
              />
              <div className="ml-auto flex min-w-0 items-center gap-2">
                <span className="truncate text-gray-700" data-testid="user-email" title={user.name ?? undefined}>
                  {user.email}
                </span>
                <span className="hidden gap-1 md:flex">
                  <span className="sr-only">Roles:</span>
                  {user.roles.map((role) => (
                    <RoleBadge key={role} role={role} />
                  ))}
                </span>
                <span className="hidden md:inline-flex">
                  <SignOutButton />
                </span>
              </div>
            </div>
          </header>
          <main className="mx-auto max-w-7xl px-4 py-6">{children}</main>
          <LiveUpdates />
        </Providers>
      </body>
    </html>
  );
}
