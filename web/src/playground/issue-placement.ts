// Puts the server's findings where they belong in the editor: each issue at its 1-based line (clamped to
// the document; line 0 means "unknown" and lands on line 1), its severity kept, and issues about other
// files (the scenario's own manifests) set apart so they are listed rather than pinned to a wrong line.
import type { z } from 'zod';
import type { issueSchema } from '../../../server/api/protocol/index.ts';

type Issue = z.infer<typeof issueSchema>;

export interface PlacedIssue {
  readonly line: number;
  readonly severity: Issue['severity'];
  /** message, the YAML path, and the fix, in that order. */
  readonly message: string;
  readonly code: string;
}

export interface IssuePlacement {
  readonly inline: readonly PlacedIssue[];
  readonly elsewhere: readonly Issue[];
}

export function formatIssue(issue: Pick<Issue, 'message' | 'path' | 'fix' | 'object'>): string {
  const where = [issue.object, issue.path].filter((part): part is string => part !== undefined && part !== '').join(' ');
  const head = where === '' ? issue.message : `${issue.message} (${where})`;
  return issue.fix === '' ? head : `${head}\nfix: ${issue.fix}`;
}

export function placeIssues(issues: readonly Issue[], options: { readonly lineCount: number; readonly isEditorFile: (file: string) => boolean }): IssuePlacement {
  const inline: PlacedIssue[] = [];
  const elsewhere: Issue[] = [];
  const seen = new Set<string>();
  for (const issue of issues) {
    if (!options.isEditorFile(issue.file)) {
      elsewhere.push(issue);
      continue;
    }
    const line = Math.min(Math.max(1, Math.floor(issue.line)), Math.max(1, options.lineCount));
    const message = formatIssue(issue);
    // Validation and lint can report the same finding; one marker per line and text is enough.
    const key = `${line}\u0000${issue.code}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    inline.push({ line, severity: issue.severity, message, code: issue.code });
  }
  return { inline, elsewhere };
}
