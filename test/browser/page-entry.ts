// The suite's page with the default codec of a browser build (JSON): no msgpackr in its bundle.
import { installTauonPage } from './page-api.js';

installTauonPage();
