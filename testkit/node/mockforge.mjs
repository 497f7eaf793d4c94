// A mockforge server for node:test (or any runner): started on ephemeral
// ports, reset between tests, with expectations that reject with the verdict
// and its closest misses. Only Node's standard library is used (Node 18+).
//
//   import { before, after, beforeEach, test } from 'node:test';
//   import { startMockforge } from './mockforge.mjs';
//   let mf;
//   before(async () => { mf = await startMockforge({ config: 'mockforge.yaml' }); });
//   after(() => mf.stop());
//   beforeEach(() => mf.reset());
//   test('order is confirmed', async () => {
//     await placeOrder(mf.kafkaBootstrap);
//     await mf.expect({ protocol: 'kafka', topic: 'orders.confirmed' });
//   });
//
// Options: bin (MOCKFORGE_BIN, else `mockforge` on PATH), config, args,
// readyTimeoutMs; connect({ adminUrl }) uses a running server instead.
// MOCKFORGE_ADMIN_TOKEN is sent as the bearer token when set.
import { spawn } from 'node:child_process';
import { AssertionError } from 'node:assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export class MockforgeError extends Error {}

export function formatVerdict(verdict) {
  if (typeof verdict !== 'object' || verdict === null) return String(verdict);
  const lines = [verdict.message ?? 'expectation not met'];
  (verdict.steps ?? []).forEach((step, i) => {
    const at = step.completed_at_seq;
    lines.push(`  step ${i + 1}: ${step.expect} (${at == null ? 'not reached' : `completed at #${at}`})`);
  });
  for (const miss of verdict.closest_misses ?? []) {
    lines.push(`  #${miss.seq} on ${miss.destination}:`);
    for (const reason of miss.reasons ?? []) lines.push(`    - ${reason}`);
  }
  return lines.join('\n');
}

export class Mockforge {
  constructor({ adminUrl, ports, host = '127.0.0.1', token, child, workdir }) {
    this.adminUrl = adminUrl.replace(/\/$/, '');
    this.ports = ports;
    this.host = host;
    this.token = token ?? process.env.MOCKFORGE_ADMIN_TOKEN;
    this.child = child;
    this.workdir = workdir;
  }

  address(port) {
    return this.host.includes(':') ? `[${this.host}]:${port}` : `${this.host}:${port}`;
  }
  get kafkaBootstrap() { return this.address(this.ports.kafka); }
  get mqttUrl() { return `mqtt://${this.address(this.ports.mqtt)}`; }
  get amqpUrl() { return `amqp://guest:guest@${this.address(this.ports.amqp)}/`; }

  // Calls the admin API; resolves to { status, body } (body parsed when JSON).
  async call(method, path, body) {
    const headers = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const response = await fetch(this.adminUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed = text;
    try { parsed = JSON.parse(text); } catch { /* text */ }
    return { status: response.status, body: parsed };
  }

  async request(method, path, body) {
    const { status, body: answer } = await this.call(method, path, body);
    if (status !== 200) {
      throw new MockforgeError(`${method} ${path}: HTTP ${status}: ${JSON.stringify(answer)}`);
    }
    return answer;
  }

  reset(protocol) {
    return this.request('POST', protocol ? `/__mockforge/api/${protocol}/reset` : '/__mockforge/api/reset');
  }

  loadFixtures(dir, protocol) {
    const query = new URLSearchParams({ dir });
    if (protocol) query.set('protocol', protocol);
    return this.request('POST', `/__mockforge/api/fixtures/load?${query}`);
  }

  async history(filters = {}) {
    const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v != null));
    const text = query.toString();
    return (await this.request('GET', `/__mockforge/api/history${text ? `?${text}` : ''}`)).messages;
  }

  // Resolves to the verdict when met; rejects with an AssertionError carrying
  // the verdict (as .verdict) when not.
  async expect(spec) {
    const { status, body } = await this.call('POST', '/__mockforge/api/expect', spec);
    if (status === 200) return body;
    if (status === 417) {
      const error = new AssertionError({ message: formatVerdict(body) });
      error.verdict = body;
      throw error;
    }
    throw new MockforgeError(`expect: HTTP ${status}: ${JSON.stringify(body)}`);
  }

  async stop() {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(timer);
    }
    if (this.workdir) await rm(this.workdir, { recursive: true, force: true });
  }
}

export async function startMockforge({ bin = process.env.MOCKFORGE_BIN ?? 'mockforge', config, args = [],
  readyTimeoutMs = 30000, env } = {}) {
  const workdir = await mkdtemp(join(tmpdir(), 'node-mockforge-'));
  const readyFile = join(workdir, 'ready.json');
  const logPath = join(workdir, 'serve.log');
  const command = ['serve', '--admin-port', '0', '--kafka-port', '0', '--mqtt-port', '0',
    '--mqtt-ws-port', '0', '--amqp-port', '0', '--ready-file', readyFile];
  if (config) command.push('--config', config);
  command.push(...args);
  const log = openSync(logPath, 'w');
  const child = spawn(bin, command, { stdio: ['ignore', log, log], env: { ...process.env, ...env } });
  closeSync(log);
  let spawnError;
  child.once('error', (error) => { spawnError = error; });
  const deadline = Date.now() + readyTimeoutMs;
  while (!existsSync(readyFile)) {
    if (spawnError || child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      const output = await readFile(logPath, 'utf8').catch(() => '');
      await rm(workdir, { recursive: true, force: true });
      throw new MockforgeError(`mockforge serve did not become ready${spawnError ? `: ${spawnError.message}` : ''}:\n${output}`);
    }
    await sleep(5);
  }
  const info = JSON.parse(await readFile(readyFile, 'utf8'));
  return new Mockforge({ adminUrl: `http://127.0.0.1:${info.ports.admin}`, ports: info.ports, child, workdir });
}

export async function connect({ adminUrl = process.env.MOCKFORGE_URL, token } = {}) {
  const server = new Mockforge({ adminUrl, ports: {}, token });
  const info = await server.request('GET', '/__mockforge/api/info');
  server.ports = info.ports;
  const bind = Array.isArray(info.bind) ? info.bind[0] : info.bind;
  server.host = { '0.0.0.0': '127.0.0.1', '::': '::1' }[bind] ?? bind ?? '127.0.0.1';
  return server;
}
