// Where the Approvals view was scrolled to when it was left, so that coming
// back to the same version returns to the place the reviewer was reading
// (the view itself is remade on each visit). Kept for the app's session.

/** The version shown and the scroll offset of <main> when the view was left. */
export const approvalsScroll: { version: string; top: number } = { version: '', top: 0 };
