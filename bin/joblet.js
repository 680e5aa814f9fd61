#!/usr/bin/env -S node --optimize-for-size
import { main, handleError } from '../dist/src/joblet-main.js';
main(process.argv.slice(2)).catch(handleError);
