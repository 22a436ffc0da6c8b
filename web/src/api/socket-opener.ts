// The transport seam under ReconnectingSocket (client-node keeps its WebSocket the same way): the browser's
// WebSocket behind three handlers, so the reconnect logic runs unchanged against Node's WebSocket in tests.

export interface SocketHandlers {
  onOpen(): void;
  onMessage(data: unknown): void;
  onClose(code: number, reason: string): void;
}

export interface SocketConnection {
  readonly isOpen: boolean;
  /** Bytes queued but not yet sent; a growing number means the network or the server is not keeping up. */
  readonly bufferedAmount: number;
  send(text: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketOpener = (url: string, handlers: SocketHandlers) => SocketConnection;

export const openWebSocket: SocketOpener = (url, handlers) => {
  const socket = new WebSocket(url);
  let isClosed = false;
  socket.addEventListener('open', () => handlers.onOpen());
  socket.addEventListener('message', (event) => handlers.onMessage(event.data));
  // 'error' is always followed by 'close', which carries the code; reconnecting is decided there.
  socket.addEventListener('close', (event) => {
    if (isClosed) return;
    isClosed = true;
    handlers.onClose(event.code, event.reason);
  });
  return {
    get isOpen(): boolean {
      return socket.readyState === WebSocket.OPEN;
    },
    get bufferedAmount(): number {
      return socket.bufferedAmount;
    },
    send(text: string): void {
      socket.send(text);
    },
    close(code?: number, reason?: string): void {
      // CONNECTING sockets cannot take a close code other than 1000/3000-4999; both are what we pass.
      socket.close(code, reason);
    },
  };
};
