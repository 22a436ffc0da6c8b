// Extend and destroy, the two things a person does to a running sandbox, used by the list and the
// workspace header. Destroy asks twice (the button turns into "Confirm" for a few seconds) instead of a
// blocking dialog, so it stays keyboard friendly and never surprises a screen reader.
import { describeError } from '../api/api-error.ts';
import type { RestClient, SandboxView } from '../api/rest-client.ts';
import { createElement, listen } from '../lib/dom.ts';
import { DisposableStore, MutableDisposable, setTimeoutDisposable, type Disposable } from '../lib/disposable.ts';
import { formatDuration } from './duration.ts';
import { NoticeKinds, nameSandbox, type Notice } from './sandbox-reducer.ts';

export interface SandboxActionContext {
  readonly client: RestClient;
  readonly upsert: (sandbox: SandboxView) => void;
  readonly notify: (notice: Notice) => void;
}

const confirmWindowMs = 4000;

export function createExtendButton(sandbox: SandboxView, bySeconds: number, context: SandboxActionContext, owner: DisposableStore): HTMLButtonElement {
  const label = `+${formatDuration(bySeconds)}`;
  const button = createElement('button', {
    className: 'button button-small',
    text: label,
    attrs: { type: 'button', 'data-action': 'extend', 'aria-label': `Extend ${sandbox.name ?? sandbox.id} by ${formatDuration(bySeconds)}`, title: `Extend the TTL by ${formatDuration(bySeconds)}` },
  });
  owner.add(
    listen(button, 'click', () => {
      button.disabled = true;
      context.client
        .extendSandbox(sandbox.id, bySeconds)
        .then((updated) => {
          context.upsert(updated);
          context.notify({ kind: NoticeKinds.info, message: `${nameSandbox(updated)} extended by ${formatDuration(bySeconds)}.`, sandboxId: updated.id });
        })
        .catch((error: unknown) => context.notify({ kind: NoticeKinds.error, message: `Could not extend ${nameSandbox(sandbox)}: ${describeError(error)}`, sandboxId: sandbox.id }))
        .finally(() => {
          button.disabled = false;
        });
    }),
  );
  return button;
}

export function createDestroyButton(sandbox: SandboxView, context: SandboxActionContext, owner: DisposableStore): HTMLButtonElement {
  const name = sandbox.name ?? sandbox.id;
  const button = createElement('button', {
    className: 'button button-small button-danger',
    text: 'Destroy',
    attrs: { type: 'button', 'data-action': 'destroy', 'aria-label': `Destroy ${name}` },
  });
  const confirmTimer = owner.add(new MutableDisposable<Disposable>());
  let isArmed = false;
  const disarm = (): void => {
    isArmed = false;
    button.textContent = 'Destroy';
    button.setAttribute('aria-label', `Destroy ${name}`);
    button.classList.remove('is-armed');
  };
  owner.add(
    listen(button, 'click', () => {
      if (!isArmed) {
        isArmed = true;
        button.textContent = 'Confirm destroy';
        button.setAttribute('aria-label', `Confirm: destroy ${name} now`);
        button.classList.add('is-armed');
        confirmTimer.value = setTimeoutDisposable(disarm, confirmWindowMs);
        return;
      }
      confirmTimer.value = undefined;
      disarm();
      button.disabled = true;
      context.client
        .destroySandbox(sandbox.id)
        .then((updated) => context.upsert(updated))
        .catch((error: unknown) => {
          button.disabled = false;
          context.notify({ kind: NoticeKinds.error, message: `Could not destroy ${nameSandbox(sandbox)}: ${describeError(error)}`, sandboxId: sandbox.id });
        });
    }),
  );
  return button;
}
