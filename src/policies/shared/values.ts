/** Value checks shared by the annotation validators. */

/** Control characters, braces, semicolons: never valid in a value that may reach a config file. */
// eslint-disable-next-line no-control-regex
export const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f{};]/;

export function isBool(v: string): boolean {
  return v === 'true' || v === 'false';
}

export function intInRange(v: string, min: number, max: number): boolean {
  return /^(0|[1-9][0-9]{0,9})$/.test(v) && Number(v) >= min && Number(v) <= max;
}

export { DNS_LABEL } from '../../kube/names.js';

/** Shows a tenant value in a message: quoted, truncated, with control characters escaped. */
export function shown(v: string): string {
  return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
}
