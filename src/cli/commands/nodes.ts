// rnx nodes: the nodes in the config file, without contacting any of them.
import type { CAC } from 'cac';
import type { Context } from '../context.js';
import { selectNode } from '../config.js';
import { json, table } from '../format/text.js';

export function listNodes(ctx: Context): void {
  const config = ctx.config();
  // The default is worked out as commands would pick it; a config with no default marks none.
  let chosen: string | undefined;
  try { chosen = selectNode(config, ctx.value('--node')).name; } catch { chosen = undefined; }
  if (ctx.json) {
    ctx.out(json(config.nodes.map((n) => ({ name: n.name, address: n.address, nodeId: n.nodeId ?? '', default: n.name === chosen }))));
    return;
  }
  const rows = config.nodes.map((n) => [n.name === chosen ? '*' : ' ', n.name, n.address, n.nodeId ?? '-']);
  ctx.out(`Nodes in ${config.path}:\n${table(['', 'NAME', 'ADDRESS', 'NODE ID'], rows)}`);
}

export function register(cli: CAC, ctx: Context): void {
  cli.command('nodes', 'List the nodes in the config file (* marks the one commands use)')
    .action(() => listNodes(ctx));
}
