// The playground page at /ui: bundled by scripts/build-ui.mjs into ui/dist/playground.{js,css}.
import 'uplot/dist/uPlot.min.css';
import './playground.css';
import { html, render } from 'htm/preact';
import { App } from './components/app';

render(html`<${App} />`, document.getElementById('app')!);
