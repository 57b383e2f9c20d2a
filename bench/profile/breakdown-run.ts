import { runBreakdown } from './breakdown.js';

/**
 * The hit-path breakdown in a process of its own (see `runBreakdown`). Usage:
 * `breakdown-run.js <rounds> <batchMs>`; prints the rows as one line of JSON.
 */
const [rounds = '9', batchMs = '200'] = process.argv.slice(2);
const rows = await runBreakdown(Number(rounds), Number(batchMs));
process.stdout.write(`${JSON.stringify(rows)}\n`);
