#!/usr/bin/env node
// Entry point: ocf:palisade:Filesystem <action>
import { runAgent } from '../framework/run.js';
import { filesystem } from './agent.js';

void runAgent(filesystem);
