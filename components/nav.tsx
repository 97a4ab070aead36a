"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { type ReactNode, useEffect, useId, useRef, useState } from "react";
import { cx } from "./ui";

export interface NavItem {
  href: string;
  label: string;
}

function isActive(pathname: string, href: string): boolean {
  return href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`);
}

/**
 * The main navigation. From the md breakpoint up: a row of links (a row of its own below lg,
 * scrolling sideways if it must). On phones: a "Menu" button that opens the links as a list under
 * the header, with `menuFooter` (roles, sign out) below them; a link, Escape or a tap outside closes it.
 */
export function Nav({ items, menuFooter }: { items: NavItem[]; menuFooter?: ReactNode }) {
  const pathname = usePathname() ?? "/";
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const menuParts = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") setOpen(false);
    };
    const onPointer = (event: PointerEvent) => {
      if (!(event.target instanceof Node) || !menuParts.current?.contains(event.target)) setOpen(false);
    };
    window.addEventListener("keydown", onKey);
    document.addEventListener("pointerdown", onPointer);
    return () => {
      window.removeEventListener("keydown", onKey);
      document.removeEventListener("pointerdown", onPointer);
    };
  }, [open]);

  const links = (vertical: boolean) =>
    items.map((item) => {
      const active = isActive(pathname, item.href);
      return (
        <Link
          key={item.href}
          href={item.href}
          aria-current={active ? "page" : undefined}
          onClick={() => setOpen(false)}
          className={cx(
            "rounded-md font-medium whitespace-nowrap",
            vertical ? "block px-3 py-2 text-base" : "px-2.5 py-1.5 text-sm",
            active ? "bg-indigo-50 text-indigo-700" : "text-gray-600 hover:bg-gray-100 hover:text-gray-900",
          )}
        >
          {item.label}
        </Link>
      );
    });

  return (
    <>
      <div className="order-last -mx-4 hidden w-[calc(100%+2rem)] overflow-x-auto px-4 md:block lg:order-none lg:mx-0 lg:w-auto lg:min-w-0 lg:px-0">
        <nav aria-label="Main" className="flex items-center gap-1">
          {links(false)}
        </nav>
      </div>
      {/* display: contents — the button stays a flex item of the header; the div only groups it with its panel. */}
      <div ref={menuParts} className="contents md:hidden">
        <button
          type="button"
          className="order-last -mr-1.5 inline-flex items-center gap-1.5 rounded-md px-2 py-1.5 text-sm font-medium text-gray-700 hover:bg-gray-100 md:hidden"
          aria-expanded={open}
          aria-controls={panelId}
          onClick={() => setOpen(!open)}
        >
          <svg aria-hidden="true" viewBox="0 0 20 20" className="size-5" fill="none" stroke="currentColor" strokeWidth="1.75">
            {open ? <path d="M5 5l10 10M15 5L5 15" /> : <path d="M3 5.5h14M3 10h14M3 14.5h14" />}
          </svg>
          Menu
        </button>
        {open ? (
          <div id={panelId} className="absolute inset-x-0 top-full border-b border-gray-200 bg-white px-4 pt-2 pb-3 shadow-lg md:hidden">
            <nav aria-label="Main" className="space-y-0.5">
              {links(true)}
            </nav>
            {menuFooter ? <div className="mt-2 flex flex-wrap items-center gap-2 border-t border-gray-200 pt-3">{menuFooter}</div> : null}
          </div>
        ) : null}
      </div>
    </>
  );
}
