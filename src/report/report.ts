/** The security-review report (SPEC 7): model.ts builds it, markdown.ts and html.ts lay it out. */
export { buildReport, type Report, type AuditSummaryInput } from './model.js';
export { renderMarkdown } from './markdown.js';
export { renderHtml } from './html.js';
