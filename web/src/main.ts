// Entry point of the web UI: styles, the REST client, the app shell. Opened as /?token=… the server has
// set its auth cookie by the time this runs, so the token is taken out of the address bar (and so out of
// bookmarks, history and screenshots).
import '@xterm/xterm/css/xterm.css';
import './styles/app.css';
import { RestClient } from './api/rest-client.ts';
import { AppShell } from './app/app-shell.ts';

function removeTokenFromAddress(): void {
  const url = new URL(window.location.href);
  if (!url.searchParams.has('token')) return;
  url.searchParams.delete('token');
  window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
}

removeTokenFromAddress();
const root = document.getElementById('app');
if (root === null) throw new Error('index.html lacks <div id="app">');
const shell = new AppShell(new RestClient());
root.replaceChildren(shell.element);
void shell.start();
