// The sandbox's live terminal: xterm.js over /api/ws/sandboxes/:id/terminal. Keystrokes go out as input
// frames, the panel's size follows its container (fit addon + ResizeObserver, only while visible, since
// FitAddon cannot measure a hidden element), and after a network blip the socket comes back and the server
// replays recent history in place of the screen.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { terminalClientFrameSchema, terminalServerFrameSchema } from '../../../server/api/protocol/index.ts';
import { ReconnectingSocket, SocketStates, type SocketStatus } from '../api/reconnecting-socket.ts';
import { buildTerminalPath, buildWebSocketUrl } from '../api/ws-url.ts';
import { createElement, createFrameScheduler, listen } from '../lib/dom.ts';
import { DisposableStore, toDisposable, type Disposable } from '../lib/disposable.ts';
import { clampTerminalSize, splitInput } from './terminal-input.ts';
import { interpretTerminalFrame, normalizeNewlines } from './terminal-frames.ts';
import { readTerminalTheme } from './terminal-theme.ts';

const heartbeat = { intervalMs: 20_000, timeoutMs: 10_000, ping: { type: 'ping' } } as const;

function describeStatus(status: SocketStatus): string {
  switch (status.state) {
    case SocketStates.connecting:
      return status.attempt === 0 ? 'connecting…' : `reconnecting (attempt ${status.attempt})…`;
    case SocketStates.open:
      return 'connected';
    case SocketStates.waiting:
      return `disconnected — retrying in ${Math.max(1, Math.round((status.retryInMs ?? 0) / 1000))} s`;
    case SocketStates.stopped:
      return `closed${status.reason === undefined ? '' : `: ${status.reason}`}`;
  }
}

export class TerminalPanel implements Disposable {
  readonly element: HTMLElement;
  readonly #store = new DisposableStore();
  readonly #host: HTMLElement;
  readonly #status: HTMLElement;
  readonly #reconnect: HTMLButtonElement;
  readonly #terminal: Terminal;
  readonly #fit: FitAddon;
  readonly #socket: ReconnectingSocket<typeof terminalServerFrameSchema, typeof terminalClientFrameSchema>;
  #isOpened = false;

  constructor(options: { readonly sandboxId: string }) {
    this.#status = createElement('span', { className: 'terminal-status', text: 'connecting…', attrs: { 'aria-live': 'polite', 'data-state': 'connecting' } });
    this.#reconnect = createElement('button', { className: 'button button-small', text: 'Reconnect now', attrs: { type: 'button', hidden: true } });
    const clear = createElement('button', { className: 'button button-small', text: 'Clear', attrs: { type: 'button', 'aria-label': 'Clear the terminal screen' } });
    this.#host = createElement('div', { className: 'terminal-host', attrs: { role: 'region', 'aria-label': `Terminal of ${options.sandboxId}` } });
    this.element = createElement('section', { className: 'terminal-panel', attrs: { 'aria-labelledby': `terminal-title-${options.sandboxId}` } }, [
      createElement('header', { className: 'terminal-header' }, [
        createElement('h2', { className: 'terminal-title', text: 'Terminal', attrs: { id: `terminal-title-${options.sandboxId}` } }),
        createElement('span', { className: 'terminal-hint', text: 'type help · Tab completes · Ctrl-C cancels' }),
        this.#status,
        this.#reconnect,
        clear,
      ]),
      this.#host,
    ]);

    this.#terminal = this.#store.add(
      new Terminal({
        fontFamily: 'ui-monospace, "Cascadia Mono", "JetBrains Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace',
        fontSize: 13,
        lineHeight: 1.15,
        cursorBlink: true,
        scrollback: 5000,
        theme: readTerminalTheme(),
      }),
    );
    this.#fit = new FitAddon();
    this.#terminal.loadAddon(this.#fit);

    this.#socket = this.#store.add(
      new ReconnectingSocket({
        url: () => buildWebSocketUrl(window.location, buildTerminalPath(options.sandboxId)),
        serverFrameSchema: terminalServerFrameSchema,
        clientFrameSchema: terminalClientFrameSchema,
        heartbeat,
      }),
    );
    this.#store.add(this.#socket.onStatus((status) => this.#showStatus(status)));
    this.#store.add(this.#socket.onOpen(() => this.#sendSize()));
    this.#store.add(
      this.#socket.onFrame((frame) => {
        const action = interpretTerminalFrame(frame);
        switch (action.kind) {
          case 'write':
            this.#terminal.write(action.data);
            return;
          case 'replace':
            this.#terminal.reset();
            this.#terminal.write(action.data);
            return;
          case 'close':
            this.#terminal.write(action.data);
            this.#socket.stop(action.reason);
            return;
          case 'none':
            return;
        }
      }),
    );
    this.#store.add(this.#socket.onInvalidFrame((error) => this.#terminal.write(`\r\n\x1b[31m${normalizeNewlines(error)}\x1b[0m\r\n`)));
    this.#store.add(
      this.#terminal.onData((data) => {
        for (const chunk of splitInput(data)) {
          if (!this.#socket.send({ type: 'input', data: chunk })) {
            this.#terminal.write('\x07');
            return;
          }
        }
      }),
    );
    this.#store.add(this.#terminal.onResize(() => this.#sendSize()));
    this.#store.add(listen(clear, 'click', () => this.#terminal.clear()));
    this.#store.add(listen(this.#reconnect, 'click', () => this.#socket.reconnectNow()));

    const scheduler = this.#store.add(createFrameScheduler(() => this.#fitIfVisible()));
    const observer = new ResizeObserver(() => scheduler.schedule());
    observer.observe(this.#host);
    this.#store.add(toDisposable(() => observer.disconnect()));
    const scheme = window.matchMedia('(prefers-color-scheme: dark)');
    const updateTheme = (): void => {
      this.#terminal.options.theme = readTerminalTheme();
    };
    scheme.addEventListener('change', updateTheme);
    this.#store.add(toDisposable(() => scheme.removeEventListener('change', updateTheme)));
  }

  focus(): void {
    this.#terminal.focus();
  }

  /** Fits now (the dock was dragged, or the panel just became visible). */
  refit(): void {
    this.#fitIfVisible();
  }

  dispose(): void {
    this.#store.dispose();
  }

  #fitIfVisible(): void {
    // FitAddon measures the container; hidden or zero-sized it yields nonsense (xterm.js#3029).
    if (this.#host.clientWidth === 0 || this.#host.clientHeight === 0) return;
    if (!this.#isOpened) {
      this.#terminal.open(this.#host);
      this.#isOpened = true;
    }
    this.#fit.fit();
  }

  #sendSize(): void {
    const size = clampTerminalSize(this.#terminal.cols, this.#terminal.rows);
    this.#socket.send({ type: 'resize', cols: size.cols, rows: size.rows });
  }

  #showStatus(status: SocketStatus): void {
    this.#status.textContent = describeStatus(status);
    this.#status.dataset['state'] = status.state;
    this.#reconnect.hidden = status.state !== SocketStates.waiting;
  }
}
