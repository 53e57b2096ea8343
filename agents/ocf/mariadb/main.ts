#!/usr/bin/env node
// Entry point: /usr/lib/ocf/resource.d/palisade/mariadb (and .../mysql) -> this file.
import { runAgent } from '../framework/run.js';
import { mariadb } from './agent.js';

void runAgent(mariadb);
