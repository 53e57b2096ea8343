#!/usr/bin/env node
// Entry point: /usr/lib/ocf/resource.d/palisade/IPaddr2 -> this file.
import { runAgent } from '../framework/run.js';
import { ipaddr2 } from './agent.js';

void runAgent(ipaddr2);
