/**
 * What the JetStream store's suites share: the NATS URL, a fresh JetStream stream, subject prefix
 * and KV bucket per store (so that suites running in parallel never meet), deleting them
 * afterwards, and a JetStream cluster of the suite's own nats-server processes.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as connectTcp, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager, type StreamInfo } from '@nats-io/jetstream';
import { SERVICE_HOST, SERVICE_PORTS, requireService } from '../support/services.js';
import { JetStreamStore, type JetStreamStoreOptions } from '../../server-reference/stores/jetstream/jetstream-store.js';

/** NATS with JetStream on this machine (see shared/services.md). */
export const NATS_URL = process.env['TAUON_NATS_URL'] ?? `nats://${SERVICE_HOST}:${SERVICE_PORTS.nats}`;

/** True when NATS answers; skips with a message (or fails under TAUON_REQUIRE_SERVICES=1). */
export function natsAvailable(): Promise<boolean> {
  return requireService('NATS', SERVICE_PORTS.nats);
}

/** The names of one test store. */
export interface TestStoreNames {
  readonly stream: string;
  readonly subjectPrefix: string;
}

/** Hands out unique stream names and subject prefixes, and deletes the stores at the end. */
export class TestStores {
  private readonly streams: string[] = [];

  /** Names no other test uses: stream `T_<random>`, prefix `t<random>`. */
  fresh(): TestStoreNames {
    const id = randomBytes(6).toString('hex');
    this.streams.push(`T_${id}`);
    return { stream: `T_${id}`, subjectPrefix: `t${id}` };
  }

  /** Opens a store on fresh names (or on `names`, to open the same store again). */
  open(names: TestStoreNames = this.fresh(), options: JetStreamStoreOptions = {}): Promise<JetStreamStore> {
    return JetStreamStore.open(NATS_URL, { ...options, ...names });
  }

  /** Deletes every store handed out (its JetStream stream and its KV bucket). */
  async deleteAll(): Promise<void> {
    for (const stream of this.streams.splice(0)) await JetStreamStore.destroy(NATS_URL, { stream });
  }
}

/** The nats-server binary, for suites that run a cluster of their own; undefined when absent. */
export function natsServerBinary(): string | undefined {
  const candidates = [process.env['TAUON_NATS_SERVER'], ...(process.env['PATH'] ?? '').split(delimiter).map((dir) => join(dir, 'nats-server')), '/usr/sbin/nats-server'];
  return candidates.find((path): path is string => path !== undefined && path !== '' && existsSync(path));
}

/** One node of a {@link NatsCluster}. */
interface ClusterNode {
  readonly name: string;
  readonly clientPort: number;
  readonly config: string;
  process: ChildProcess | undefined;
}

/**
 * A JetStream cluster of nats-server processes on this machine, on free ports, with its data in
 * a temporary directory: for what a replicated JetStream does when a node dies. Nodes are
 * stopped by their process handle, never by name.
 */
export class NatsCluster {
  private constructor(
    private readonly directory: string,
    private readonly binary: string,
    private readonly nodes: ClusterNode[],
  ) {}

  /** Starts `size` nodes and waits until JetStream has elected its meta leader (bounded). */
  static async start(binary: string, size = 3): Promise<NatsCluster> {
    const directory = await mkdtemp(join(tmpdir(), 'tauon-nats-cluster-'));
    const ports = await freePorts(size * 2);
    const routes = Array.from({ length: size }, (_, i) => `nats-route://127.0.0.1:${ports[size + i]!}`);
    const nodes: ClusterNode[] = [];
    for (let i = 0; i < size; i++) {
      const name = `n${i + 1}`;
      const config = join(directory, `${name}.conf`);
      await writeFile(
        config,
        [
          `server_name: ${name}`,
          `listen: 127.0.0.1:${ports[i]!}`,
          `jetstream { store_dir: ${JSON.stringify(join(directory, name))} }`,
          `cluster { name: tauon-test, listen: 127.0.0.1:${ports[size + i]!}, routes: [${routes.join(', ')}] }`,
        ].join('\n'),
      );
      nodes.push({ name, clientPort: ports[i]!, config, process: undefined });
    }
    const cluster = new NatsCluster(directory, binary, nodes);
    for (const node of nodes) cluster.spawn(node);
    await cluster.ready();
    return cluster;
  }

  /** The client URLs of every node, comma-separated (as JetStreamStore.open takes them). */
  get url(): string {
    return this.nodes.map((node) => `nats://127.0.0.1:${node.clientPort}`).join(',');
  }

  /** The client URL of one node. */
  urlOf(name: string): string {
    return `nats://127.0.0.1:${this.node(name).clientPort}`;
  }

  /** The node that leads a JetStream stream's replicas now (waits, bounded, while it has none). */
  async leaderOf(stream: string): Promise<string> {
    return (await this.streamInfo(stream, (info) => info.cluster?.leader)).cluster!.leader!;
  }

  /**
   * A JetStream stream's info, asked until `until` holds (at most 30 s). Every request may time
   * out while the cluster elects a meta or stream leader (a node just died), so none of them,
   * not even the manager's API check, is asked outside the retry.
   */
  async streamInfo(stream: string, until: (info: StreamInfo) => unknown = () => true): Promise<StreamInfo> {
    const deadline = Date.now() + 30_000;
    const nc = await connect({ servers: this.url.split(','), noAsyncTraces: true });
    try {
      const jsm = await jetstreamManager(nc, { timeout: 2_000, checkAPI: false });
      for (;;) {
        try {
          const info = await jsm.streams.info(stream);
          if (until(info)) return info;
        } catch (error) {
          if (Date.now() > deadline) throw error;
        }
        if (Date.now() > deadline) throw new Error(`stream ${stream} did not reach the state asked for in 30 s`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await nc.close();
    }
  }

  /** Kills a node at once (SIGKILL: no goodbye to the cluster) and waits until it exited. */
  async kill(name: string): Promise<void> {
    const node = this.node(name);
    const child = node.process;
    node.process = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts a killed node again, on its old ports and data. */
  restart(name: string): void {
    const node = this.node(name);
    if (node.process === undefined) this.spawn(node);
  }

  /** Kills every node and removes the data. */
  async stop(): Promise<void> {
    for (const node of this.nodes) await this.kill(node.name);
    await rm(this.directory, { recursive: true, force: true });
  }

  private node(name: string): ClusterNode {
    const node = this.nodes.find((n) => n.name === name);
    if (node === undefined) throw new Error(`no node ${name}`);
    return node;
  }

  private spawn(node: ClusterNode): void {
    node.process = spawn(this.binary, ['-c', node.config], { stdio: 'ignore' });
  }

  /** Waits (at most 30 s) until every node answers and JetStream places streams on all of them. */
  private async ready(): Promise<void> {
    const deadline = Date.now() + 30_000;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const nc = await connect({ servers: this.url.split(','), noAsyncTraces: true, timeout: 1_000 });
        try {
          // Ready means a stream replicated on every node can be placed: each node knows the others.
          const jsm = await jetstreamManager(nc, { timeout: 2_000 });
          await jsm.streams.add({ name: 'READY_PROBE', subjects: ['tauon-ready-probe'], num_replicas: this.nodes.length });
          await jsm.streams.delete('READY_PROBE');
          return;
        } finally {
          await nc.close();
        }
      } catch (error) {
        last = error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    throw new Error(`the nats cluster did not become ready: ${String(last)}`);
  }
}

/**
 * A TCP link between NATS clients and the NATS server, for network faults: it can silently drop
 * what the server sends (a half-dead connection: the server believes it delivered), and cut every
 * connection, after which clients reconnect through it as usual.
 */
export class FlakyLink {
  private readonly pairs = new Set<{ client: Socket; server: Socket }>();
  /** Bytes from the server still let through before the link drops the rest; Infinity when healthy. */
  private passing = Number.POSITIVE_INFINITY;
  /** Bytes from the server dropped so far. */
  dropped = 0;

  private constructor(
    private readonly listener: Server,
    private readonly target: { host: string; port: number },
  ) {
    listener.on('connection', (client) => this.join(client));
  }

  /** A link to `natsUrl` (one node, no credentials) on a free local port. */
  static async to(natsUrl: string): Promise<FlakyLink> {
    const target = new URL(natsUrl);
    const listener = createServer();
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    return new FlakyLink(listener, { host: target.hostname, port: Number(target.port) });
  }

  /** The URL clients connect to. */
  get url(): string {
    return `nats://127.0.0.1:${(this.listener.address() as AddressInfo).port}`;
  }

  /** From now on, lets `bytes` more bytes from the server through and drops everything after them. */
  dropServerBytesAfter(bytes: number): void {
    this.passing = bytes;
  }

  /** Cuts every connection (both sides), and lets the next ones through in full. */
  cut(): void {
    this.passing = Number.POSITIVE_INFINITY;
    for (const { client, server } of this.pairs) {
      client.destroy();
      server.destroy();
    }
    this.pairs.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.listener.close(resolve));
  }

  private join(client: Socket): void {
    const server = connectTcp(this.target.port, this.target.host);
    const pair = { client, server };
    this.pairs.add(pair);
    const end = (): void => {
      client.destroy();
      server.destroy();
      this.pairs.delete(pair);
    };
    client.on('data', (chunk: Buffer) => server.write(chunk));
    server.on('data', (chunk: Buffer) => {
      const through = Math.max(0, Math.min(chunk.length, this.passing));
      this.passing -= through;
      this.dropped += chunk.length - through;
      if (through > 0) client.write(chunk.subarray(0, through));
    });
    client.on('error', end);
    server.on('error', end);
    client.on('close', end);
    server.on('close', end);
  }
}

/** `count` TCP ports that were free a moment ago. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<Server>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
