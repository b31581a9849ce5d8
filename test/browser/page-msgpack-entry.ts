// The suite's page of a site that chooses msgpack: it imports the codec (and msgpackr with it) and passes it.
import { msgpackCodec } from 'tauon/protocol';
import { installTauonPage } from './page-api.js';

installTauonPage(msgpackCodec);
