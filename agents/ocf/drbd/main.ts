#!/usr/bin/env node
// Entry point: /usr/lib/ocf/resource.d/palisade/drbd -> this file.
import { runAgent } from '../framework/run.js';
import { drbd } from './agent.js';

void runAgent(drbd);
