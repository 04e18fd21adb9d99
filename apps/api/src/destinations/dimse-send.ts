import { AppError } from '@ich/errors';
import dimse from 'dcmjs-dimse';
import {
  type ConnectionCheck,
  DEFAULT_CALLING_AET,
  type OutgoingInstance,
  type ResolvedDestination,
} from './transport.js';

const { Client, constants, log, requests } = dimse;

// dcmjs-dimse logs PDUs and connection errors itself; the sender reports every outcome (and the send status keeps it).
log.setLevel('silent');

function address(destination: ResolvedDestination) {
  if (!destination.host || !destination.port || !destination.calledAet)
    throw new AppError('BAD_CONFIG', `Destination ${destination.name} needs a host, a port and a called AE title.`);
  return {
    host: destination.host,
    port: destination.port,
    calling: destination.callingAet || DEFAULT_CALLING_AET,
    called: destination.calledAet,
  };
}

/**
 * Runs requests over one association (dcmjs-dimse's Client: associate, send, release) and resolves with each
 * request's DIMSE status, or rejects with DESTINATION_UNREACHABLE when the association could not be made (refused
 * connection, timeout, association rejected: wrong AE title).
 */
function associate(
  destination: ResolvedDestination,
  make: Array<() => InstanceType<typeof requests.Request>>,
  timeoutMs: number,
): Promise<number[]> {
  const { host, port, calling, called } = address(destination);
  return new Promise((resolve, reject) => {
    const client = new Client();
    const statuses: number[] = make.map(() => -1);
    make.forEach((build, index) => {
      const request = build();
      request.on('response', (response: { getStatus(): number }) => {
        statuses[index] = response.getStatus();
      });
      client.addRequest(request);
    });
    let failure: AppError | null = null;
    const timer = setTimeout(() => {
      failure ??= new AppError('DESTINATION_UNREACHABLE', `${destination.name}: no answer in time`);
      client.abort?.();
      reject(failure);
    }, timeoutMs);
    client.on('associationRejected', (result: { reason?: number; source?: number }) => {
      failure = new AppError(
        'DESTINATION_REJECTED',
        `${destination.name}: association rejected by ${called}@${host}:${port} (reason ${result?.reason ?? '?'}; check the AE titles)`,
      );
    });
    client.on('networkError', (error: Error) => {
      failure ??= new AppError('DESTINATION_UNREACHABLE', `${destination.name}: ${error?.message ?? String(error)}`);
    });
    client.on('closed', () => {
      clearTimeout(timer);
      if (failure) reject(failure);
      else resolve(statuses);
    });
    client.send(host, port, calling, called, {
      connectTimeout: timeoutMs,
      associationTimeout: timeoutMs,
      pduTimeout: timeoutMs,
    });
  });
}

/** Stores instances with C-STORE, one association for all of them; any non-success status is a rejection. */
export async function cStoreInstances(
  destination: ResolvedDestination,
  instances: readonly OutgoingInstance[],
  timeoutMs: number,
): Promise<void> {
  const statuses = await associate(
    destination,
    instances.map((instance) => () => new requests.CStoreRequest(instance.file)),
    timeoutMs,
  );
  const refused = instances
    .map((instance, i) => ({ instance, status: statuses[i] ?? -1 }))
    .filter(({ status }) => status !== constants.Status.Success);
  if (refused.length > 0) {
    const list = refused.map(({ instance, status }) =>
      status === -1
        ? `${instance.sopInstanceUid} (no answer)`
        : `${instance.sopInstanceUid} (status 0x${status.toString(16)})`,
    );
    throw new AppError('DESTINATION_REJECTED', `${destination.name} did not store ${list.join(', ')}`);
  }
}

/** A connection test: C-ECHO (verification) over a fresh association. */
export async function checkDimse(destination: ResolvedDestination, timeoutMs: number): Promise<ConnectionCheck> {
  const started = performance.now();
  const done = (ok: boolean, message: string) => ({ ok, message, durationMs: Math.round(performance.now() - started) });
  try {
    const [status] = await associate(destination, [() => new requests.CEchoRequest()], timeoutMs);
    return status === constants.Status.Success
      ? done(true, 'C-ECHO succeeded')
      : done(false, `C-ECHO answered status ${status === -1 ? 'none' : `0x${(status ?? 0).toString(16)}`}`);
  } catch (error) {
    return done(false, error instanceof Error ? error.message : String(error));
  }
}
