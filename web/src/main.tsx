// First, so the language file is requested before the rest of the console is evaluated.
import './i18n';
import 'virtual:antd.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { i18nReady } from './i18n';

const render = () =>
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
// Rendered once the language is loaded, or without it (keys for text) if its file failed.
void i18nReady.then(render, render);
