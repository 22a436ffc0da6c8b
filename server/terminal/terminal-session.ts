// One sandbox's terminal: keystrokes in, ANSI out. A prompt with line editing, history and Tab completion; the
// command language run against a TerminalBackend; `apply` collecting pasted YAML until `---end`; results printed
// line by line as they complete; Ctrl-C cancelling whatever runs. Notices (TTL warnings) print above the prompt.
import { formatDurationSeconds, parseDurationSeconds } from '../api/protocol/duration.ts';
import { Limits } from '../api/protocol/limits.ts';
import type { Issue } from '../policy/index.ts';
import { Ansi, colour, measureColumns, toTerminalLines } from './ansi.ts';
import { commandSpecs, findCommandSpec, parseCommandLine } from './command-line.ts';
import type { TerminalCommand } from './command-line.ts';
import { completeLine, findCommonPrefix } from './completion.ts';
import type { CompletionContext } from './completion.ts';
import { createKeyDecoder } from './decode-keys.ts';
import type { Key } from './decode-keys.ts';
import { formatApplyResult, formatExplain, formatIssue, formatMatrix, formatPods, formatPolicies, formatResult, formatRunSummary, formatServices } from './format-output.ts';
import { applyEditKey, commitLine, createEditorState, renderClearLine, renderLine, setLineText } from './line-editor.ts';
import type { EditorState } from './line-editor.ts';
import type { TerminalBackend, TerminalDisposable, TerminalRun } from './terminal-backend.ts';

export const applyEndMarker = '---end';

/** A failure as a client may see it (the server's one error map decides; host paths are scrubbed there). */
export interface DescribedError {
  readonly code: string;
  readonly message: string;
  readonly issues: readonly Issue[];
}

export interface TerminalSessionOptions {
  readonly backend: TerminalBackend;
  /** Every byte of output. */
  readonly write: (data: string) => void;
  /** Known failures in client-safe words; undefined for unknown ones (bugs), which print a safe line only. */
  readonly describeError: (error: unknown) => DescribedError | undefined;
  /** Unknown failures: the terminal shows a safe line, the owner logs the detail. */
  readonly onInternalError: (error: unknown) => void;
  readonly now?: () => number;
}

type Mode = 'prompt' | 'busy' | 'apply' | 'ended';

/** Keys typed while a command runs are kept (as a shell keeps type-ahead) up to this many; Ctrl-C discards them. */
export const maxTypeaheadKeys = 4096;

export class TerminalSession {
  readonly #backend: TerminalBackend;
  readonly #write: (data: string) => void;
  readonly #onInternalError: (error: unknown) => void;
  readonly #describeError: (error: unknown) => DescribedError | undefined;
  readonly #now: () => number;
  readonly #decoder = createKeyDecoder();
  #editor: EditorState = createEditorState();
  #mode: Mode = 'prompt';
  #cols = 80;
  #offset = 0;
  #applyLines: string[] = [];
  #applyBytes = 0;
  /** Cancels the running command (Ctrl-C). */
  #cancel: (() => void) | undefined;
  #watch: TerminalDisposable | undefined;
  #typeahead: Key[] = [];
  #isDrainingTypeahead = false;

  constructor(options: TerminalSessionOptions) {
    this.#backend = options.backend;
    this.#write = options.write;
    this.#onInternalError = options.onInternalError;
    this.#describeError = options.describeError;
    this.#now = options.now ?? Date.now;
  }

  get mode(): Mode {
    return this.#mode;
  }

  start(): void {
    let title = this.#backend.sandboxId;
    try {
      const detail = this.#backend.snapshot();
      const name = detail.name === undefined ? '' : ` (${detail.name})`;
      const scenario = detail.scenario === undefined ? '' : `, scenario ${detail.scenario}`;
      title = `${detail.id}${name}: ${detail.provider}, cni ${detail.cni}${scenario}, ${detail.pods.length} pods`;
    } catch (error) {
      this.#reportError(error);
    }
    this.#write(toTerminalLines(`${colour.bold('rehearsal')} terminal for ${title}\n${colour.grey('Type help for the commands. Tab completes; Ctrl-C cancels what runs.')}\n`));
    this.#showPrompt();
  }

  resize(cols: number): void {
    this.#cols = cols;
    if (this.#mode === 'prompt' || this.#mode === 'apply') this.#redraw();
  }

  /** Text printed above the prompt (TTL warnings, the sandbox ending), whatever the mode. */
  notice(text: string): void {
    this.#print(text);
  }

  /** The sandbox is gone: cancel what runs, say why, and stop accepting input. */
  end(reason: string): void {
    if (this.#mode === 'ended') return;
    this.#stopRunning();
    if (this.#mode === 'prompt' || this.#mode === 'apply') this.#write(renderClearLine({ previousOffset: this.#offset, cols: this.#cols }));
    this.#mode = 'ended';
    this.#offset = 0;
    this.#write(toTerminalLines(`${colour.yellow(reason)}\n`));
  }

  dispose(): void {
    this.#stopRunning();
    this.#mode = 'ended';
  }

  input(data: string): void {
    for (const key of this.#decoder.decode(data)) this.#handleKey(key);
  }

  #stopRunning(): void {
    this.#typeahead = [];
    this.#cancel?.();
    this.#cancel = undefined;
    this.#watch?.dispose();
    this.#watch = undefined;
  }

  #prompt(): string {
    return this.#mode === 'apply' ? colour.grey('yaml> ') : `${colour.cyan('rehearse')} ${colour.bold(this.#backend.sandboxId)}${colour.cyan('>')} `;
  }

  #redraw(): void {
    const prompt = this.#prompt();
    const rendered = renderLine({ prompt, promptColumns: measureColumns(prompt), chars: this.#editor.chars, cursor: this.#editor.cursor, cols: this.#cols, previousOffset: this.#offset });
    this.#offset = rendered.offset;
    this.#write(rendered.output);
  }

  #showPrompt(): void {
    if (this.#mode === 'ended') return;
    if (this.#mode === 'busy') this.#mode = 'prompt';
    this.#offset = 0;
    this.#redraw();
    this.#drainTypeahead();
  }

  /** Replays type-ahead until a command makes the session busy again; a loop, not recursion, however much waits. */
  #drainTypeahead(): void {
    if (this.#isDrainingTypeahead) return;
    this.#isDrainingTypeahead = true;
    try {
      while (this.#typeahead.length > 0 && (this.#mode === 'prompt' || this.#mode === 'apply')) {
        const key = this.#typeahead.shift();
        if (key !== undefined) this.#handleKey(key);
      }
    } finally {
      this.#isDrainingTypeahead = false;
    }
  }

  /** Prints text on its own lines; with the prompt shown, the prompt is erased first and drawn again below. */
  #print(text: string): void {
    const body = `${toTerminalLines(text.replace(/\n+$/, ''))}${Ansi.newline}`;
    if (this.#mode === 'prompt' || this.#mode === 'apply') {
      this.#write(renderClearLine({ previousOffset: this.#offset, cols: this.#cols }) + body);
      this.#offset = 0;
      this.#redraw();
      return;
    }
    this.#write(body);
  }

  /** Ends the visible input line (cursor to its end, then a new line) before output starts below it. */
  #finishLine(): void {
    const prompt = this.#prompt();
    const rendered = renderLine({ prompt, promptColumns: measureColumns(prompt), chars: this.#editor.chars, cursor: this.#editor.chars.length, cols: this.#cols, previousOffset: this.#offset });
    this.#write(rendered.output + Ansi.newline);
    this.#offset = 0;
  }

  #handleKey(key: Key): void {
    switch (this.#mode) {
      case 'ended':
        return;
      case 'busy':
        if (key.kind === 'interrupt') {
          this.#typeahead = [];
          this.#write(colour.grey('^C') + Ansi.newline);
          this.#stopRunning();
        } else if (this.#typeahead.length < maxTypeaheadKeys) {
          this.#typeahead.push(key);
        }
        return;
      case 'prompt':
      case 'apply':
        this.#handleEditingKey(key);
    }
  }

  #handleEditingKey(key: Key): void {
    switch (key.kind) {
      case 'enter':
        this.#submit();
        return;
      case 'paste':
        for (const [index, line] of key.text.split(/\r\n|\r|\n/).entries()) {
          if (index > 0) this.#submit();
          this.#editor = applyEditKey(this.#editor, { kind: 'text', text: line }) ?? this.#editor;
        }
        this.#redraw();
        return;
      case 'interrupt': {
        this.#finishLine();
        this.#write(colour.grey('^C') + Ansi.newline);
        if (this.#mode === 'apply') {
          this.#write(toTerminalLines(`${colour.yellow('apply cancelled: nothing was applied')}\n`));
          this.#mode = 'prompt';
        }
        this.#applyLines = [];
        this.#applyBytes = 0;
        this.#editor = { ...this.#editor, chars: [], cursor: 0, historyIndex: this.#editor.history.length, draft: [] };
        this.#showPrompt();
        return;
      }
      case 'eof':
        if (this.#editor.chars.length > 0) {
          this.#editor = applyEditKey(this.#editor, { kind: 'delete' }) ?? this.#editor;
          this.#redraw();
        }
        return;
      case 'clear-screen':
        this.#write(Ansi.clearScreen);
        this.#offset = 0;
        this.#redraw();
        return;
      case 'tab':
        if (this.#mode === 'prompt') this.#complete();
        return;
      default: {
        const next = applyEditKey(this.#editor, key);
        if (next !== undefined) {
          this.#editor = next;
          this.#redraw();
        }
      }
    }
  }

  #completionContext(): CompletionContext {
    let detail;
    try {
      detail = this.#backend.snapshot();
    } catch {
      return { pods: [], services: [], externals: [], policies: [], portsOf: () => [] };
    }
    const ports = new Map<string, string[]>();
    for (const pod of detail.pods) ports.set(pod.key, pod.ports.flatMap((port) => [`${port.port}/${port.protocol}`, ...(port.name === undefined ? [] : [port.name])]));
    for (const service of detail.services) ports.set(service.key, service.ports.map((port) => `${port.port}/${port.protocol}`));
    for (const external of detail.externals) ports.set(external.key, external.ports.map((port) => `${port.port}/${port.protocol}`));
    return {
      pods: detail.pods.map((pod) => pod.key),
      services: detail.services.map((service) => service.key),
      externals: detail.externals.map((external) => external.key),
      policies: detail.policies.map((policy) => `${policy.namespace}/${policy.name}`),
      portsOf: (key) => ports.get(key) ?? [],
    };
  }

  #complete(): void {
    const completion = completeLine(this.#editor.chars, this.#editor.cursor, this.#completionContext());
    if (completion.candidates.length === 0) {
      this.#write(Ansi.bell);
      return;
    }
    const [only] = completion.candidates;
    const insert = (text: string): void => {
      const chars = this.#editor.chars;
      const tail = chars.slice(this.#editor.cursor);
      const head = [...chars.slice(0, completion.from), ...Array.from(text)];
      this.#editor = { ...this.#editor, chars: [...head, ...tail], cursor: head.length };
      this.#redraw();
    };
    if (completion.candidates.length === 1 && only !== undefined) {
      insert(`${only} `);
      return;
    }
    const common = findCommonPrefix(completion.candidates);
    if (common.length > completion.word.length) {
      insert(common);
      return;
    }
    const shown = completion.candidates.slice(0, 60);
    const more = completion.candidates.length > shown.length ? colour.grey(`  ... ${completion.candidates.length - shown.length} more`) : '';
    this.#print(`${shown.join('  ')}${more}`);
  }

  #submit(): void {
    this.#finishLine();
    const committed = commitLine(this.#editor);
    if (this.#mode === 'apply') {
      this.#editor = { ...committed.state, history: this.#editor.history, historyIndex: this.#editor.history.length };
      this.#collectYamlLine(committed.line);
      return;
    }
    this.#editor = committed.state;
    const parsed = parseCommandLine(committed.line, { parseDuration: parseDurationSeconds });
    switch (parsed.kind) {
      case 'empty':
        this.#showPrompt();
        return;
      case 'error':
        this.#write(toTerminalLines(`${colour.red('error:')} ${parsed.message}${parsed.usage === undefined ? '' : `\n  usage: ${parsed.usage}`}\n`));
        this.#showPrompt();
        return;
      case 'command':
        this.#execute(parsed.command);
    }
  }

  #collectYamlLine(line: string): void {
    if (line.trim() === applyEndMarker) {
      const yaml = this.#applyLines.join('\n');
      this.#applyLines = [];
      this.#applyBytes = 0;
      this.#mode = 'busy';
      if (yaml.trim() === '') {
        this.#write(toTerminalLines(`${colour.yellow('nothing to apply')}\n`));
        this.#showPrompt();
        return;
      }
      this.#runAsync(async () => this.#print(formatApplyResult(await this.#backend.applyPolicies(yaml))));
      return;
    }
    this.#applyBytes += Buffer.byteLength(line) + 1;
    if (this.#applyBytes > Limits.maxManifestBytes) {
      this.#applyLines = [];
      this.#applyBytes = 0;
      this.#mode = 'prompt';
      this.#write(toTerminalLines(`${colour.red('error:')} the YAML is over ${Limits.maxManifestBytes} bytes; nothing was applied\n`));
      this.#showPrompt();
      return;
    }
    this.#applyLines.push(line);
    this.#offset = 0;
    this.#redraw();
  }

  #reportError(error: unknown): void {
    const described = this.#describeError(error);
    if (described === undefined) {
      this.#onInternalError(error);
      this.#print(`${colour.red('error:')} internal error; the server log has the details`);
      return;
    }
    this.#print([`${colour.red('error:')} ${described.message} ${colour.grey(`(${described.code})`)}`, ...described.issues.slice(0, 20).map(formatIssue)].join('\n'));
  }

  /** Runs async work in busy mode; its errors are printed; the prompt comes back when it ends. */
  #runAsync(work: (signal: AbortSignal) => Promise<void>): void {
    this.#mode = 'busy';
    const controller = new AbortController();
    this.#cancel = () => controller.abort();
    void work(controller.signal)
      .catch((error: unknown) => {
        if (this.#mode !== 'ended') this.#reportError(error);
      })
      .finally(() => {
        this.#cancel = undefined;
        if (this.#mode === 'busy') this.#showPrompt();
      });
  }

  #execute(command: TerminalCommand): void {
    this.#mode = 'busy';
    const backend = this.#backend;
    switch (command.name) {
      case 'help':
        this.#print(this.#formatHelp(command.topic));
        this.#showPrompt();
        return;
      case 'clear':
        this.#write(Ansi.clearScreen);
        this.#showPrompt();
        return;
      case 'apply':
        this.#mode = 'apply';
        this.#applyLines = [];
        this.#applyBytes = 0;
        this.#write(toTerminalLines(`${colour.grey(`paste NetworkPolicy YAML; end with a line ${applyEndMarker} (Ctrl-C aborts). Policies are added or replaced by namespace/name.`)}\n`));
        this.#offset = 0;
        this.#redraw();
        return;
      case 'watch':
        this.#startWatch();
        return;
      case 'run':
        this.#runAsync((signal) => this.#streamRun(backend.startRun({ kind: command.kind }), signal));
        return;
      case 'probe':
        this.#runAsync((signal) =>
          this.#streamRun(backend.startRun({ kind: 'probe', probe: { from: command.from, to: command.to, port: command.port, protocol: command.protocol } }), signal),
        );
        return;
      default:
        this.#runAsync(async () => this.#runSimple(command));
    }
  }

  async #runSimple(command: TerminalCommand): Promise<void> {
    const backend = this.#backend;
    switch (command.name) {
      case 'pods':
        this.#print(formatPods(backend.snapshot()));
        return;
      case 'services':
        this.#print(formatServices(backend.snapshot()));
        return;
      case 'policies':
        this.#print(formatPolicies(backend.snapshot()));
        return;
      case 'rules':
        this.#print(await backend.rules());
        return;
      case 'ttl': {
        const detail = backend.snapshot();
        const leftSeconds = (Date.parse(detail.expiresAt) - this.#now()) / 1000;
        this.#print(`${detail.id} expires at ${detail.expiresAt} (in ${formatDurationSeconds(leftSeconds)}); ttl extend 15m gives it more time`);
        return;
      }
      case 'ttl-extend': {
        const extended = await backend.extend(command.seconds);
        const leftSeconds = (Date.parse(extended.expiresAt) - this.#now()) / 1000;
        this.#print(`${colour.green('extended')} by ${command.text}: expires at ${extended.expiresAt} (in ${formatDurationSeconds(leftSeconds)})`);
        return;
      }
      case 'delete-policy': {
        const ref = this.#resolvePolicy(command.policy);
        if (ref === undefined) return;
        this.#print(formatApplyResult(await backend.deletePolicy(ref)));
        return;
      }
      case 'label-pod': {
        const [namespace = '', name = ''] = command.pod.split('/');
        const result = await backend.labelPod({ namespace, name }, command.labels);
        this.#print(`${colour.green('labelled')} ${result.pod.key}: ${result.summary}`);
        return;
      }
      case 'explain': {
        const text = backend.explain({ from: command.from, to: command.to, port: command.port, protocol: command.protocol });
        this.#print(formatExplain(text, `${command.from} → ${command.to} ${command.port}/${command.protocol}`));
        return;
      }
      case 'matrix':
        this.#print(formatMatrix(backend.matrix({ ...(command.port === undefined ? {} : { port: command.port }), ...(command.protocol === undefined ? {} : { protocol: command.protocol }) }), { cols: this.#cols }));
        return;
      default:
        return;
    }
  }

  #resolvePolicy(text: string): { namespace: string; name: string } | undefined {
    if (text.includes('/')) {
      const [namespace = '', name = ''] = text.split('/');
      return { namespace, name };
    }
    const matches = this.#backend.snapshot().policies.filter((policy) => policy.name === text);
    if (matches.length === 1 && matches[0] !== undefined) return { namespace: matches[0].namespace, name: matches[0].name };
    if (matches.length === 0) this.#print(`${colour.red('error:')} no policy named ${text}; policies lists them`);
    else this.#print(`${colour.red('error:')} ${text} is ambiguous: ${matches.map((policy) => `${policy.namespace}/${policy.name}`).join(', ')}; write NS/NAME`);
    return undefined;
  }

  async #streamRun(run: TerminalRun, signal: AbortSignal): Promise<void> {
    const onAbort = (): void => run.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      this.#print(colour.grey(`run ${run.runId}: ${run.probeCount} probe${run.probeCount === 1 ? '' : 's'}`));
      for await (const result of run.results) {
        const mismatch = result.mismatch === 'none' ? undefined : this.#backend.describeMismatch(run.runId, result);
        this.#print(formatResult(result, mismatch));
      }
      this.#print(formatRunSummary(await run.done));
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  #startWatch(): void {
    this.#mode = 'busy';
    this.#print(colour.grey('watching every probe result and policy change of this sandbox; Ctrl-C stops'));
    this.#watch = this.#backend.watch((event) => {
      switch (event.kind) {
        case 'result': {
          const mismatch = event.result.mismatch === 'none' ? undefined : this.#backend.describeMismatch(event.runId, event.result);
          this.#print(`${colour.grey(event.runId)} ${formatResult(event.result, mismatch)}`);
          return;
        }
        case 'run':
          if (event.status !== 'running') this.#print(colour.grey(`run ${event.runId} (${event.kindName}) ${event.status}: ${event.summary.passed}/${event.summary.total} passed`));
          else this.#print(colour.grey(`run ${event.runId} (${event.kindName}) started`));
          return;
        case 'policies':
          this.#print(`${colour.magenta('policies')} ${event.change}`);
          return;
        case 'sandbox':
          this.#print(`${colour.yellow('sandbox')} ${event.status}: ${event.reason}`);
          return;
      }
    });
    this.#cancel = () => {
      this.#watch?.dispose();
      this.#watch = undefined;
      if (this.#mode === 'busy') this.#showPrompt();
    };
  }

  #formatHelp(topic: string | undefined): string {
    if (topic !== undefined) {
      const spec = findCommandSpec(topic);
      return spec === undefined ? `${colour.red('error:')} no command ${topic}; help lists them` : `${colour.bold(spec.usage)}\n  ${spec.summary}`;
    }
    const width = Math.max(...commandSpecs.map((spec) => spec.usage.length));
    return [
      ...commandSpecs.map((spec) => `  ${colour.bold(spec.usage.padEnd(width))}  ${spec.summary}`),
      colour.grey('FROM and TO are ns/pod, svc/ns/name or external/name. Keys: ←/→ Home/End Ctrl-A/E/U/K/W, ↑/↓ history, Tab completes.'),
    ].join('\n');
  }
}
