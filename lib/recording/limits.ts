// Import-safe in the browser (no database code): the portal's hooks page by the same size.

/** The most events GET /api/v1/sessions/{id}/events returns per call; page on with `?after=<last seq>`. */
export const SESSION_EVENTS_PAGE = 1000;
