"use client";

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";
import { ApiError } from "@/components/api";

export function Providers({ children }: { children: ReactNode }) {
  // One QueryClient per browser tab (and per server render), never shared between users.
  const [client] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: {
            staleTime: 1_000,
            // A 4xx will not get better by asking again; network blips and 5xx get two more tries.
            retry: (failures, error) => !(error instanceof ApiError && error.status < 500) && failures < 2,
          },
          mutations: { retry: false },
        },
      }),
  );
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}
