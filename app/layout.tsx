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
            {/* Below lg the nav gets a row of its own (scrolling sideways if it must) so that phones never scroll the page sideways. */}
            <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-1 px-4 py-2 lg:h-12 lg:flex-nowrap lg:py-0">
              <Link href="/" aria-label="Tollgate home">
                <Wordmark />
              </Link>
              <div className="order-last -mx-4 w-[calc(100%+2rem)] overflow-x-auto px-4 [&_a]:whitespace-nowrap lg:order-none lg:mx-0 lg:w-auto lg:min-w-0 lg:px-0">
                <Nav items={nav} />
              </div>
              <div className="ml-auto flex min-w-0 items-center gap-2">
                <span className="truncate text-gray-700" data-testid="user-email" title={user.name ?? undefined}>
                  {user.email}
                </span>
                <span className="hidden gap-1 sm:flex">
                  <span className="sr-only">Roles:</span>
                  {user.roles.map((role) => (
                    <RoleBadge key={role} role={role} />
                  ))}
                </span>
                <SignOutButton />
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
