#!/usr/bin/env node
// Entry point: /usr/lib/ocf/resource.d/palisade/apache -> this file.
import { runAgent } from '../framework/run.js';
import { apache } from './agent.js';

void runAgent(apache);
