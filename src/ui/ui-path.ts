/** Where the playground page is served (GET /ui and /ui/, its files under /ui/). */
export const UI_ROUTE = '/ui';
