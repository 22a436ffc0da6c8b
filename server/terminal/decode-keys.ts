// Keystrokes as xterm.js sends them (onData: text, control bytes, escape sequences, pastes) decoded into key
// events. Stateful only across chunk boundaries: an escape sequence split between two frames is held back.

export type Key =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'paste'; readonly text: string }
  | {
      readonly kind:
        | 'enter'
        | 'backspace'
        | 'delete'
        | 'left'
        | 'right'
        | 'up'
        | 'down'
        | 'home'
        | 'end'
        | 'word-left'
        | 'word-right'
        | 'tab'
        | 'interrupt'
        | 'eof'
        | 'kill-to-start'
        | 'kill-to-end'
        | 'kill-word'
        | 'clear-screen';
    };

export interface KeyDecoder {
  decode(data: string): Key[];
}

const controlKeys: Readonly<Record<string, Key>> = {
  '\r': { kind: 'enter' },
  '\n': { kind: 'enter' },
  '\x7f': { kind: 'backspace' },
  '\x08': { kind: 'backspace' },
  '\t': { kind: 'tab' },
  '\x01': { kind: 'home' },
  '\x05': { kind: 'end' },
  '\x02': { kind: 'left' },
  '\x06': { kind: 'right' },
  '\x10': { kind: 'up' },
  '\x0e': { kind: 'down' },
  '\x03': { kind: 'interrupt' },
  '\x04': { kind: 'eof' },
  '\x15': { kind: 'kill-to-start' },
  '\x0b': { kind: 'kill-to-end' },
  '\x17': { kind: 'kill-word' },
  '\x0c': { kind: 'clear-screen' },
};

/** Final byte (and parameters) of CSI / SS3 sequences → key. */
function decodeSequence(params: string, final: string): Key | undefined {
  switch (final) {
    case 'A':
      return { kind: 'up' };
    case 'B':
      return { kind: 'down' };
    case 'C':
      return params.endsWith(';5') || params.endsWith(';3') ? { kind: 'word-right' } : { kind: 'right' };
    case 'D':
      return params.endsWith(';5') || params.endsWith(';3') ? { kind: 'word-left' } : { kind: 'left' };
    case 'H':
      return { kind: 'home' };
    case 'F':
      return { kind: 'end' };
    case '~':
      switch (params.split(';')[0]) {
        case '1':
        case '7':
          return { kind: 'home' };
        case '4':
        case '8':
          return { kind: 'end' };
        case '3':
          return { kind: 'delete' };
        default:
          return undefined;
      }
    default:
      return undefined;
  }
}

const pasteStart = '\x1b[200~';
const pasteEnd = '\x1b[201~';

export function createKeyDecoder(): KeyDecoder {
  let pending = '';
  let paste: string | undefined;

  return {
    decode(data) {
      const keys: Key[] = [];
      let input = pending + data;
      pending = '';
      let text = '';
      const flushText = (): void => {
        if (text !== '') keys.push({ kind: 'text', text });
        text = '';
      };
      let index = 0;
      while (index < input.length) {
        if (paste !== undefined) {
          const end = input.indexOf(pasteEnd, index);
          if (end === -1) {
            // Keep a possible partial end marker for the next chunk.
            const keep = Math.min(pasteEnd.length - 1, input.length - index);
            paste += input.slice(index, input.length - keep);
            pending = input.slice(input.length - keep);
            return keys;
          }
          paste += input.slice(index, end);
          keys.push({ kind: 'paste', text: paste });
          paste = undefined;
          index = end + pasteEnd.length;
          continue;
        }
        const char = input[index] ?? '';
        if (char === '\x1b') {
          const rest = input.slice(index);
          if (rest.startsWith(pasteStart)) {
            flushText();
            paste = '';
            index += pasteStart.length;
            continue;
          }
          if (rest.length === 1) {
            pending = rest;
            break;
          }
          const second = rest[1] ?? '';
          if (second === '[' || second === 'O') {
            const match = /^\x1b[[O]([0-?]*)([ -/]*)([@-~])/.exec(rest);
            if (match === null) {
              // Incomplete sequence: wait for the rest, unless it is clearly not one.
              if (/^\x1b[[O][0-?]*[ -/]*$/.test(rest) && rest.length < 32) {
                pending = rest;
                break;
              }
              index += 2;
              continue;
            }
            flushText();
            const key = decodeSequence(match[1] ?? '', match[3] ?? '');
            if (key !== undefined) keys.push(key);
            index += match[0].length;
            continue;
          }
          // Alt-b / Alt-f move by word (readline); other Alt combinations are ignored.
          flushText();
          if (second === 'b') keys.push({ kind: 'word-left' });
          else if (second === 'f') keys.push({ kind: 'word-right' });
          else if (second === '\x7f') keys.push({ kind: 'kill-word' });
          index += 2;
          continue;
        }
        if (char === '\r' && input[index + 1] === '\n') {
          flushText();
          keys.push({ kind: 'enter' });
          index += 2;
          continue;
        }
        const control = controlKeys[char];
        if (control !== undefined) {
          flushText();
          keys.push(control);
          index += 1;
          continue;
        }
        if (char < ' ') {
          index += 1;
          continue;
        }
        text += char;
        index += 1;
      }
      flushText();
      input = '';
      return keys;
    },
  };
}
