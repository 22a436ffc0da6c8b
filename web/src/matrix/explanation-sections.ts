// The engine's explanation lines (server/policy/explain.ts writes them; nobody else does) arranged into the
// parts a person scans for: the verdict, egress at the source, ingress at the destination (each with the
// isolating policies, the deciding rule and the near misses) and CNI notes. The text itself is not rewritten.

export const SectionKinds = { verdict: 'verdict', egress: 'egress', ingress: 'ingress', notes: 'notes' } as const;
export type SectionKind = (typeof SectionKinds)[keyof typeof SectionKinds];

export interface ExplanationLine {
  readonly text: string;
  /** `closest: …` / `also: …`: a rule that almost admitted the flow. */
  readonly isNearMiss: boolean;
}

export interface ExplanationSection {
  readonly kind: SectionKind;
  readonly title: string;
  readonly lines: readonly ExplanationLine[];
  /** Policies named after `isolated by` in the section's first line. */
  readonly isolatingPolicies: readonly string[];
  readonly isDenied: boolean;
}

const titles: Readonly<Record<SectionKind, string>> = {
  verdict: 'Verdict',
  egress: 'Egress at the source',
  ingress: 'Ingress at the destination',
  notes: 'Notes',
};

function classifyHead(line: string): SectionKind | undefined {
  if (line.startsWith('egress at ')) return SectionKinds.egress;
  if (line.startsWith('ingress at ')) return SectionKinds.ingress;
  if (line.startsWith('profile ') || line.startsWith('note:')) return SectionKinds.notes;
  return undefined;
}

function findIsolatingPolicies(line: string): string[] {
  const match = /isolated by ([^;)]+)/.exec(line);
  if (match?.[1] === undefined) return [];
  return match[1].split(',').map((name) => name.trim()).filter((name) => name !== '');
}

export function groupExplanation(lines: readonly string[]): ExplanationSection[] {
  const sections: { kind: SectionKind; lines: ExplanationLine[] }[] = [];
  const open = (kind: SectionKind): { kind: SectionKind; lines: ExplanationLine[] } => {
    const last = sections.at(-1);
    // Notes accumulate in one section; a new egress/ingress head always starts its own.
    if (kind === SectionKinds.notes && last?.kind === SectionKinds.notes) return last;
    const section = { kind, lines: [] };
    sections.push(section);
    return section;
  };
  lines.forEach((raw, index) => {
    const isIndented = raw.startsWith('  ');
    const text = raw.trim();
    if (text === '') return;
    if (index === 0) {
      open(SectionKinds.verdict).lines.push({ text, isNearMiss: false });
      return;
    }
    const head = isIndented ? undefined : classifyHead(text);
    const section = head === undefined ? (sections.at(-1) ?? open(SectionKinds.notes)) : open(head);
    section.lines.push({ text, isNearMiss: isIndented && /^(closest|also):/.test(text) });
  });
  return sections.map((section) => {
    const first = section.lines[0]?.text ?? '';
    return {
      kind: section.kind,
      title: titles[section.kind],
      lines: section.lines,
      isolatingPolicies: section.kind === SectionKinds.egress || section.kind === SectionKinds.ingress ? findIsolatingPolicies(first) : [],
      isDenied: section.kind === SectionKinds.verdict ? first.startsWith('DENIED') : /no rule admits|: denied/.test(first),
    };
  });
}
