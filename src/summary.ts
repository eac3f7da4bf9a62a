/**
 * The job summary: what a reviewer of the run needs to know about the token, never the token itself.
 */
import type * as core from '@actions/core';
import { describeDuration } from './duration.js';
import { SCIM_SCOPE } from './synkzone.js';

export interface RunReport {
  apiUrl: string;
  tokenName: string;
  validitySeconds: number;
  expiresAt?: Date;
  /** true / false, or undefined when verification was skipped by `verify: false`. */
  verified?: boolean;
  userCount?: number;
  /** Where the token went, e.g. "repository secret X of o/r". */
  storedIn?: string;
  /** Set when a renewal was not due and nothing was made. */
  nextRenewalAt?: Date;
  /** The one-line failure, when the run failed part-way. */
  failure?: string;
}

export async function writeSummary(summary: typeof core.summary, report: RunReport): Promise<void> {
  summary.addHeading('Synkzone SCIM token', 2);
  if (report.nextRenewalAt) {
    summary.addRaw(
      escapeHtml(`Not renewed: the ${report.storedIn} is still fresh. Next renewal due ${report.nextRenewalAt.toISOString()}.`),
      true
    );
  } else {
    const rows: [string, string][] = [
      ['Synkzone API', report.apiUrl],
      ['Token name', report.tokenName],
      ['Scope', `${SCIM_SCOPE.name} (clients: ${SCIM_SCOPE.clients.join(', ')})`],
      ['Validity', `${describeDuration(report.validitySeconds)} (${report.validitySeconds} s)`],
      ['Expires', report.expiresAt ? report.expiresAt.toISOString() : 'not created'],
      ['Verified', verifiedText(report)],
      ['Stored in', report.storedIn ?? 'not stored']
    ];
    summary.addTable([
      [
        { data: 'Item', header: true },
        { data: 'Value', header: true }
      ],
      // Cells are inserted as HTML: user-given text (the token name) must not become markup.
      ...rows.map((row) => row.map(escapeHtml))
    ]);
  }
  if (report.failure) summary.addRaw(`**Failed:** ${escapeHtml(report.failure)}`, true);
  await summary.write();
}

function verifiedText(report: RunReport): string {
  if (report.verified === undefined) return report.expiresAt ? 'skipped (verify: false)' : 'no';
  if (!report.verified) return 'no';
  return report.userCount === undefined ? 'yes' : `yes (GET /api/users listed ${report.userCount} users)`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
