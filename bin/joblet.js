#!/usr/bin/env node
import { main, handleError } from '../dist/src/joblet-main.js';
main(process.argv.slice(2)).catch(handleError);
