/**
 * The web view's entry (docs/web-view.md): scripts/build-ui.js bundles it into dist/ui/app.js,
 * which the reference server serves at /ui. Runs in the browser only.
 * @module
 */
import { render } from 'preact';
import { App } from './app.js';

const root = document.getElementById('app');
if (root !== null) {
  root.textContent = '';
  render(<App />, root);
}
