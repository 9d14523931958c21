/**
 * Prism (@stoplight/prism-cli, a devDependency) serving one OpenAPI document verbatim from
 * test/fixtures/specs/, in its static mode (no -d): it answers with the document's examples, or with
 * answers it makes up from the schemas when there are none, and validates every request against the
 * document.
 *
 * Between the client and Prism sits a recording pass-through on another port, so a test sees each
 * exchange: the request headers sent, and the `sl-violations` header Prism adds when an exchange
 * breaks the document. Prism's own log (stdout) is kept too; `findings()` reads violations from both.
 * One instance per document per test file: start it in beforeAll (it takes seconds).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer, request as forward, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../e2e/harness.js';

export const SPECS = fileURLToPath(new URL('../fixtures/specs/', import.meta.url));

export interface Exchange {
  method: string;
  /** The request target as sent, e.g. `/v1/videos/sora-2:task_…`. */
  url: string;
  requestHeaders: IncomingHttpHeaders;
  status: number;
  /** Parsed `sl-violations` (Prism's findings for this exchange), [] when absent. */
  violations: PrismViolation[];
}

export interface PrismViolation {
  location: string[];
  severity: string;
  code: string | number;
  message: string;
}

export interface Findings {
  /** Requests that break the document: what a gateway enforcing it would refuse. */
  request: string[];
  /** Answers that break the document: Prism serving the document's own example against its schema. */
  response: string[];
  /** Requests to a path the document does not have. */
  unmatched: string[];
}

export interface PrismServer {
  /** `http://127.0.0.1:<pass-through port>`: add the document's base path (`/v1`) for SORA_BASE_URL. */
  origin: string;
  readonly exchanges: Exchange[];
  /** Prism's log so far, without colours. */
  log(): string;
  findings(): Findings;
  close(): Promise<void>;
}

const STARTUP_DEADLINE_MS = 90_000;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

function prismEntry(): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('@stoplight/prism-cli/package.json');
  const { bin } = require(manifest) as { bin: { prism: string } };
  return join(dirname(manifest), bin.prism);
}

export async function startPrism(specFile: string): Promise<PrismServer> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [prismEntry(), 'mock', join(SPECS, specFile), '--host', '127.0.0.1', '--port', String(port)],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await listening(child, () => output);

  const exchanges: Exchange[] = [];
  const passThrough = createServer((req, res) => {
    const upstream = forward(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        exchanges.push({
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          requestHeaders: { ...req.headers },
          status: answer.statusCode ?? 0,
          violations: parseViolations(answer.headers['sl-violations']),
        });
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  const origin = await listen(passThrough);
  const log = () => output.replace(ANSI, '');

  return {
    origin,
    exchanges,
    log,
    findings: () => findingsOf(log(), exchanges),
    async close() {
      await new Promise<void>((resolve) => {
        passThrough.close(() => resolve());
        passThrough.closeAllConnections();
      });
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** Resolves once Prism says it listens; rejects with its output if it exits or the deadline passes. */
function listening(child: ChildProcess, output: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`Prism did not start within ${STARTUP_DEADLINE_MS} ms:\n${output()}`));
    }, STARTUP_DEADLINE_MS);
    const check = () => {
      if (!/Prism is listening on/.test(output())) return;
      clearTimeout(deadline);
      child.stdout?.off('data', check);
      resolve();
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(deadline);
      reject(new Error(`Prism exited (${code}) before listening:\n${output()}`));
    });
  });
}

function parseViolations(header: string | string[] | undefined): PrismViolation[] {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (text === undefined || text.trim() === '') return [];
  return JSON.parse(text) as PrismViolation[];
}

/**
 * Every violation Prism reported, from both places. Its log marks each with `[VALIDATOR] ✖` (error) or
 * `⚠` (warning); response findings read `Violation: response…`. A path outside the document ends with
 * `NO_PATH_MATCHED_ERROR`.
 */
export function findingsOf(log: string, exchanges: readonly Exchange[]): Findings {
  const findings: Findings = { request: [], response: [], unmatched: [] };
  for (const line of log.split('\n')) {
    if (line.includes('NO_PATH_MATCHED_ERROR')) {
      findings.unmatched.push(line.replace(/^.*\[HTTP SERVER\]\s*/, '').replace(/\s+✖.*$/, ''));
      continue;
    }
    const finding = /\[VALIDATOR\]\s+[✖⚠]\s+\w+\s+(.*)$/.exec(line)?.[1]?.trim();
    if (finding === undefined || /^Request did not pass the validation rules$/.test(finding)) continue;
    if (/^Violation: response/.test(finding)) findings.response.push(finding.replace(/^Violation: \S+ /, ''));
    else findings.request.push(finding.replace(/^Violation: \S+ /, ''));
  }
  for (const exchange of exchanges) {
    for (const violation of exchange.violations) {
      const side = violation.location[0] === 'response' ? findings.response : findings.request;
      side.push(violation.message);
    }
  }
  return findings;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}
