#!/usr/bin/env node
import { main, handleError } from '../dist/src/cli/main.js';
main(process.argv.slice(2)).catch(handleError);
