/**
 * Names every controller in Harbormaster writes under. Kept in the kit so the
 * reconcilers cannot drift apart: server-side apply tracks field ownership by
 * manager name, and two names would make our own writers conflict.
 */

/** The server-side apply field manager of every Harbormaster write. */
export const FIELD_MANAGER = 'harbormaster';
