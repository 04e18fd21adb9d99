import type { AppError } from '@ich/errors';
import type { Request, Response } from 'express';
import type { Caller } from '../auth/caller.js';
import { type AuthenticatedPrincipal, authorize } from '../auth/principal.js';

export interface CallerSource {
  servicesFor(req: Request): Promise<{ caller: Caller }>;
}

/**
 * Who is calling a DICOMweb route. PACS configurations (Orthanc's DicomWeb.Servers, dcm4chee's web app entries) hold
 * a user name and a password, so HTTP Basic is accepted with an API token as the password (any user name); Bearer
 * works as everywhere else. The session cookie counts only for retrievals (GET), which the web viewer makes through
 * the web origin; a store must present a token, so no browser form can store into the archive on a user's behalf.
 */
export async function dicomWebCaller(
  deps: CallerSource,
  req: Request,
  res: Response,
  access: 'read' | 'write',
): Promise<{ caller: Caller; principal: AuthenticatedPrincipal }> {
  const header = req.headers.authorization;
  const basic = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (basic) {
    const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    req.headers.authorization = `Bearer ${colon >= 0 ? decoded.slice(colon + 1) : ''}`;
  }
  if (access === 'write' && !header) delete req.headers.cookie;
  const { caller } = await deps.servicesFor(req);
  try {
    return {
      caller,
      principal: authorize(caller.principal, { scope: access === 'read' ? 'read:studies' : 'write:uploads' }),
    };
  } catch (error) {
    if ((error as AppError).code === 'UNAUTHENTICATED')
      res.setHeader('WWW-Authenticate', 'Basic realm="ICH DICOMweb", charset="UTF-8"');
    throw error;
  }
}
